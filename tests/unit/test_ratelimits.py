"""The rate limiter's rules, over an in-memory counter store and a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from tokenbridge.domain.errors import RateLimitExceeded
from tokenbridge.domain.ratelimits import (
    SANDBOX_LIMITS,
    Limit,
    NoRateLimits,
    StoreRateLimiter,
    rate_limiter,
    scaled,
)
from tokenbridge.settings import Settings, from_env


class Clock:
    """A `Clock` that stands still at `at` until the test moves it."""

    def __init__(self, at: float = 1_700_000_000.0) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


class Counters:
    """The store's counter table as a dict, recording what was asked of it."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], int] = {}
        self.prunes: list[int] = []

    async def increment_rate_counters(
        self, scopes: Sequence[str], window_start: int, prune_before: int | None = None
    ) -> list[int]:
        if prune_before is not None:
            self.prunes.append(prune_before)
            self.rows = {k: v for k, v in self.rows.items() if k[1] >= prune_before}
        counts = []
        for scope in scopes:
            key = (scope, window_start)
            self.rows[key] = self.rows.get(key, 0) + 1
            counts.append(self.rows[key])
        return counts


def check(limiter: StoreRateLimiter, operation: str, client_id: str, item_id: str | None) -> str:
    """'ok', or the error code of the refusal."""
    try:
        asyncio.run(limiter.check(operation, client_id, item_id))
    except RateLimitExceeded as exc:
        assert exc.error_type == "RATE_LIMIT_EXCEEDED"
        return exc.error_code
    return "ok"


def test_sandbox_limits_are_plaids_sandbox_column() -> None:
    # https://plaid.com/docs/errors/rate-limit-exceeded/, Sandbox: per Item / per client.
    table = {op: (lim.per_item, lim.per_client) for op, lim in SANDBOX_LIMITS.items()}
    assert table == {
        "processor_token_create": (None, 500),
        "accounts_get": (100, 5000),
        "accounts_balance_get": (25, 100),
        "auth_get": (100, 500),
        "identity_get": (100, 1000),
        "item_get": (40, 5000),
        "item_remove": (100, 500),
        "transactions_get": (80, 1000),
        "transactions_sync": (50, 1000),
        "transactions_refresh": (2, 100),
        "transactions_recurring_get": (20, 1000),
        "investments_holdings_get": (100, 1000),
        "investments_transactions_get": (100, 1000),
        "investments_auth_get": (15, 500),
        "liabilities_get": (10, 1000),
        "signal_decision_report": (None, 4000),
        "signal_return_report": (None, 4000),
        "signal_prepare": (None, 2000),
    }
    codes = {op: (lim.item_code, lim.client_code) for op, lim in SANDBOX_LIMITS.items()}
    assert codes["accounts_balance_get"] == ("BALANCE_LIMIT", "ACCOUNTS_BALANCE_GET_LIMIT")
    assert codes["accounts_get"] == ("ACCOUNTS_LIMIT", "ACCOUNTS_LIMIT")
    assert codes["auth_get"] == ("AUTH_LIMIT", "AUTH_LIMIT")
    assert codes["identity_get"] == ("IDENTITY_LIMIT", "IDENTITY_LIMIT")
    assert codes["item_get"] == ("ITEM_GET_LIMIT", "ITEM_GET_LIMIT")
    assert codes["transactions_get"] == ("TRANSACTIONS_LIMIT", "TRANSACTIONS_LIMIT")
    assert codes["transactions_sync"] == ("TRANSACTIONS_SYNC_LIMIT", "TRANSACTIONS_SYNC_LIMIT")
    assert codes["processor_token_create"] == ("RATE_LIMIT", "RATE_LIMIT")
    assert codes["item_remove"] == ("RATE_LIMIT", "RATE_LIMIT")
    assert codes["transactions_refresh"] == ("TRANSACTIONS_REFRESH_LIMIT",) * 2
    assert codes["investments_holdings_get"] == ("INVESTMENT_HOLDINGS_GET_LIMIT",) * 2
    assert codes["investments_transactions_get"] == ("INVESTMENT_TRANSACTIONS_LIMIT",) * 2
    for op in ("transactions_recurring_get", "investments_auth_get", "liabilities_get",
               "signal_decision_report", "signal_return_report", "signal_prepare"):  # fmt: skip
        assert codes[op] == ("RATE_LIMIT", "RATE_LIMIT")


@pytest.mark.parametrize("operation", sorted(SANDBOX_LIMITS))
def test_per_item_limit_trips_at_its_count(operation: str) -> None:
    limit = SANDBOX_LIMITS[operation]
    limiter = StoreRateLimiter(Counters(), Clock())
    if limit.per_item is None:
        # Only a per-client limit: many requests on one Item trip it at the client's count.
        assert limit.per_client is not None
        results = [check(limiter, operation, "c1", "item-a") for _ in range(limit.per_client)]
        assert set(results) == {"ok"}
        assert check(limiter, operation, "c1", "item-a") == limit.client_code
        return
    results = [check(limiter, operation, "c1", "item-a") for _ in range(limit.per_item)]
    assert set(results) == {"ok"}
    assert check(limiter, operation, "c1", "item-a") == limit.item_code
    # Another Item of the same client is not affected by the first Item's count.
    assert check(limiter, operation, "c1", "item-b") == "ok"


def test_per_client_limit_counts_every_item_of_the_client() -> None:
    limits = {"accounts_balance_get": Limit(3, 5, "BALANCE_LIMIT", "ACCOUNTS_BALANCE_GET_LIMIT")}
    limiter = StoreRateLimiter(Counters(), Clock(), limits)
    for item in ("a", "a", "a", "b", "b"):
        assert check(limiter, "accounts_balance_get", "c1", item) == "ok"
    # Item b has had 2 of its 3, but the client has had its 5.
    assert check(limiter, "accounts_balance_get", "c1", "b") == "ACCOUNTS_BALANCE_GET_LIMIT"
    assert check(limiter, "accounts_balance_get", "c1", "a") == "BALANCE_LIMIT"
    # Another client's counters are its own.
    assert check(limiter, "accounts_balance_get", "c2", "z") == "ok"


def test_refused_requests_count_until_the_window_ends() -> None:
    clock = Clock(1_700_000_080.0)  # windows start at multiples of 60: 20 s before one
    limiter = StoreRateLimiter(Counters(), clock, {"item_get": Limit(2, 100, "X", "Y")})
    assert [check(limiter, "item_get", "c", "i") for _ in range(4)] == ["ok", "ok", "X", "X"]
    clock.at = 1_700_000_099.9
    assert check(limiter, "item_get", "c", "i") == "X"
    clock.at = 1_700_000_100.0
    assert check(limiter, "item_get", "c", "i") == "ok"


def test_old_windows_are_pruned_once_per_window() -> None:
    counters = Counters()
    clock = Clock(1_700_000_000.0)
    limiter = StoreRateLimiter(counters, clock, {"item_get": Limit(10, 10, "X", "Y")})
    for _ in range(3):
        check(limiter, "item_get", "c", "i")
    clock.at += 60
    for _ in range(3):
        check(limiter, "item_get", "c", "i")
    # Each new window deletes the windows before the previous one.
    assert counters.prunes == [1_699_999_980 - 60, 1_699_999_980]
    assert {w for _, w in counters.rows} == {1_699_999_980, 1_699_999_980 + 60}
    clock.at += 60
    check(limiter, "item_get", "c", "i")
    assert {w for _, w in counters.rows} == {1_699_999_980 + 60, 1_699_999_980 + 120}


def test_operations_without_a_limit_touch_nothing() -> None:
    counters = Counters()
    limiter = StoreRateLimiter(counters, Clock())
    assert check(limiter, "processor_token_permissions_get", "c", "i") == "ok"
    assert counters.rows == {}


def test_scale_multiplies_every_limit_but_never_below_one() -> None:
    small = scaled(SANDBOX_LIMITS, 0.01)
    assert (small["item_get"].per_item, small["item_get"].per_client) == (1, 50)
    create = small["processor_token_create"]
    assert (create.per_item, create.per_client) == (None, 5)
    assert small["accounts_balance_get"].per_client == 1
    assert scaled(SANDBOX_LIMITS, 2)["item_get"].per_item == 80


def test_off_is_the_no_op_limiter() -> None:
    counters = Counters()
    limiter = rate_limiter(False, counters, Clock())
    assert isinstance(limiter, NoRateLimits)
    for _ in range(1000):
        asyncio.run(limiter.check("item_get", "c", "i"))
    assert counters.rows == {}
    assert isinstance(rate_limiter(True, counters, Clock()), StoreRateLimiter)


def test_settings_from_the_environment() -> None:
    assert Settings().rate_limits is True
    assert from_env({}).rate_limits is True
    assert from_env({"TOKENBRIDGE_RATE_LIMITS": "off"}).rate_limits is False
    assert from_env({"TOKENBRIDGE_RATE_LIMITS": "ON"}).rate_limits is True
    assert from_env({"TOKENBRIDGE_RATE_LIMIT_SCALE": "0.5"}).rate_limit_scale == 0.5
    with pytest.raises(ValueError, match="TOKENBRIDGE_RATE_LIMITS must be 'on' or 'off'"):
        from_env({"TOKENBRIDGE_RATE_LIMITS": "maybe"})
    for bad in ("0", "-1", "inf", "nan", "x"):
        with pytest.raises(ValueError, match="TOKENBRIDGE_RATE_LIMIT_SCALE must be a positive"):
            from_env({"TOKENBRIDGE_RATE_LIMIT_SCALE": bad})
