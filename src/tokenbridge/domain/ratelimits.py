"""Plaid's per-Item and per-client rate limits, counted in the database.

https://plaid.com/docs/errors/rate-limit-exceeded/ publishes default limits per minute for
the most used endpoints, with separate (mostly higher) values for the Sandbox; we apply
the Sandbox values. A request over a limit is RATE_LIMIT_EXCEEDED (HTTP 429) with the
endpoint's own code.

Counters are fixed one-minute windows kept in the store, so every worker and every server
over one database shares them: each checked request adds one to its per-Item and
per-client counter in one atomic UPSERT and is refused if either count is now over its
limit. A fixed window lets up to twice the limit through across a window boundary; Plaid
does not say how its windows work, and a sandbox only needs the order of magnitude.

The service calls a `RateLimiter` with (operation, client_id, item_id) once it knows the
Item, so the HTTP layer holds no rule. `NoRateLimits` is the implementation when limits
are off: it touches nothing. The same seam fits fault injection: any object with `check`
that raises a `PlaidError` can stand in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tokenbridge.domain.errors import RateLimitExceeded
from tokenbridge.domain.ports import Clock

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Limit:
    """Requests allowed per window for one operation; None where Plaid sets no limit."""

    per_item: int | None
    per_client: int | None
    item_code: str
    client_code: str


# The Sandbox column of Plaid's table (per Item / per client, per minute). Plaid names no
# code of its own for /processor/token/create or /item/remove, so those get the generic
# RATE_LIMIT. /accounts/balance/get has two: BALANCE_LIMIT for the per-Item limit and
# ACCOUNTS_BALANCE_GET_LIMIT, "too many requests ... by a single client", for the client's.
# Plaid names no code for the limits of /transactions/recurring/get, /investments/auth/get,
# /liabilities/get or Signal either: RATE_LIMIT again. /signal/evaluate's limits are per hour
# (per Item) and per second (per client), which one-minute windows cannot count, so they are
# not applied; /identity/match has none published. No limits are published for the
# /processor/* partner reads, so none are applied there.
SANDBOX_LIMITS: Mapping[str, Limit] = {
    "processor_token_create": Limit(None, 500, "RATE_LIMIT", "RATE_LIMIT"),
    "accounts_get": Limit(100, 5000, "ACCOUNTS_LIMIT", "ACCOUNTS_LIMIT"),
    "accounts_balance_get": Limit(25, 100, "BALANCE_LIMIT", "ACCOUNTS_BALANCE_GET_LIMIT"),
    "auth_get": Limit(100, 500, "AUTH_LIMIT", "AUTH_LIMIT"),
    "identity_get": Limit(100, 1000, "IDENTITY_LIMIT", "IDENTITY_LIMIT"),
    "item_get": Limit(40, 5000, "ITEM_GET_LIMIT", "ITEM_GET_LIMIT"),
    "item_remove": Limit(100, 500, "RATE_LIMIT", "RATE_LIMIT"),
    "transactions_get": Limit(80, 1000, "TRANSACTIONS_LIMIT", "TRANSACTIONS_LIMIT"),
    "transactions_sync": Limit(50, 1000, "TRANSACTIONS_SYNC_LIMIT", "TRANSACTIONS_SYNC_LIMIT"),
    "transactions_refresh": Limit(
        2, 100, "TRANSACTIONS_REFRESH_LIMIT", "TRANSACTIONS_REFRESH_LIMIT"
    ),
    "transactions_recurring_get": Limit(20, 1000, "RATE_LIMIT", "RATE_LIMIT"),
    "investments_holdings_get": Limit(
        100, 1000, "INVESTMENT_HOLDINGS_GET_LIMIT", "INVESTMENT_HOLDINGS_GET_LIMIT"
    ),
    "investments_transactions_get": Limit(
        100, 1000, "INVESTMENT_TRANSACTIONS_LIMIT", "INVESTMENT_TRANSACTIONS_LIMIT"
    ),
    "investments_auth_get": Limit(15, 500, "RATE_LIMIT", "RATE_LIMIT"),
    "liabilities_get": Limit(10, 1000, "RATE_LIMIT", "RATE_LIMIT"),
    "signal_decision_report": Limit(None, 4000, "RATE_LIMIT", "RATE_LIMIT"),
    "signal_return_report": Limit(None, 4000, "RATE_LIMIT", "RATE_LIMIT"),
    "signal_prepare": Limit(None, 2000, "RATE_LIMIT", "RATE_LIMIT"),
}


def scaled(limits: Mapping[str, Limit], scale: float) -> dict[str, Limit]:
    """The limits multiplied by `scale` (never below 1), for tests and heavy users."""

    def times(n: int | None) -> int | None:
        return None if n is None else max(1, round(n * scale))

    return {
        op: Limit(times(lim.per_item), times(lim.per_client), lim.item_code, lim.client_code)
        for op, lim in limits.items()
    }


class RateLimiter(Protocol):
    async def check(self, operation: str, client_id: str, item_id: str | None) -> None:
        """Count one request of `operation`; raise RateLimitExceeded if it is over a limit."""


class NoRateLimits:
    """Limits off: no counting, no lookup, no write."""

    async def check(self, operation: str, client_id: str, item_id: str | None) -> None:
        return None


class RateCounterStore(Protocol):
    async def increment_rate_counters(
        self, scopes: Sequence[str], window_start: int, prune_before: int | None = None
    ) -> list[int]: ...


class StoreRateLimiter:
    """Fixed-window counters in the shared store."""

    def __init__(
        self,
        store: RateCounterStore,
        clock: Clock,
        limits: Mapping[str, Limit] = SANDBOX_LIMITS,
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock
        # The window this process last pruned in. Each process deletes old windows the first
        # time it counts in a new window: once a minute at most. The previous window is
        # kept, so a server whose clock lags a little behind still finds its counts.
        self._pruned = -1

    async def check(self, operation: str, client_id: str, item_id: str | None) -> None:
        limit = self.limits.get(operation)
        if limit is None:
            return
        window = int(self.clock.now() // WINDOW_SECONDS) * WINDOW_SECONDS
        checks: list[tuple[str, int, str]] = []
        if limit.per_item is not None and item_id is not None:
            checks.append((f"{operation}:item:{item_id}", limit.per_item, limit.item_code))
        if limit.per_client is not None:
            checks.append((f"{operation}:client:{client_id}", limit.per_client, limit.client_code))
        if not checks:
            return
        prune = window - WINDOW_SECONDS if window > self._pruned else None
        counts = await self.store.increment_rate_counters(
            [scope for scope, _, _ in checks], window, prune
        )
        self._pruned = window
        # A refused request still counts: a client that keeps retrying stays refused until
        # the window ends, as with Plaid.
        for (_, allowed, code), count in zip(checks, counts, strict=True):
            if count > allowed:
                raise RateLimitExceeded(code)


def rate_limiter(
    enabled: bool,
    store: RateCounterStore,
    clock: Clock,
    scale: float = 1.0,
) -> RateLimiter:
    """The limiter that the settings ask for."""
    if not enabled:
        return NoRateLimits()
    limits = SANDBOX_LIMITS if scale == 1.0 else scaled(SANDBOX_LIMITS, scale)
    return StoreRateLimiter(store, clock, limits)
