"""Plaid's Sandbox rate limits through the API: 429, RATE_LIMIT_EXCEEDED and the code."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, link_item, rebuild
from tests.helpers import CLIENT_ID, SECRET
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.app import create_app
from tokenbridge.domain.ratelimits import (
    SANDBOX_LIMITS,
    Limit,
    NoRateLimits,
    StoreRateLimiter,
    scaled,
)
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store
from tokenbridge.storage.sql import SqlStore

MESSAGE = "rate limit exceeded for attempts to access this item. please try again later"


class Clock:
    """A clock the test moves (`t`), in the shape of the domain's Clock port."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t


Build = Callable[..., Api]


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Build]:
    """Apps over databases of the test's choosing, all on one event loop, closed afterwards."""
    loop = asyncio.new_event_loop()
    made: list[Api] = []

    def make(database_url: str | None = None, **settings: Any) -> Api:
        store = loop.run_until_complete(open_store(database_url or f"sqlite:///{tmp_path}/tb.db"))
        app = create_app(Settings(client_id=CLIENT_ID, secret=SECRET, **settings), store=store)
        loop.run_until_complete(app.startup())
        made.append(Api(app, loop))
        return made[-1]

    yield make
    for api in made:
        api.close()
        loop.run_until_complete(api.app.shutdown())
    loop.close()


def with_clock(api: Api, limits: Mapping[str, Limit]) -> Clock:
    """Point `api` at an app over the same store whose limiter counts by `limits`, on a
    clock the test moves (the limiter is one of the factory's parameters)."""
    clock = Clock()
    rebuild(api, limiter=StoreRateLimiter(api.services.store, clock, limits))
    return clock


def counter_rows(api: Api) -> int:
    store = api.services.store
    assert isinstance(store, SqlStore)
    row = api.loop.run_until_complete(store.fetchone("SELECT COUNT(*) FROM rate_limit_counters"))
    assert row is not None
    return int(row[0])


def limited(response_code: str, response: Any) -> None:
    body = assert_error(response, 429, "RATE_LIMIT_EXCEEDED", response_code, MESSAGE)
    assert body["documentation_url"].startswith("https://plaid.com/docs/errors/rate-limit")


def test_item_get_trips_at_plaids_default_of_40_per_item(api: Api) -> None:
    # The shared `api` fixture runs with the real defaults, as a user's server does.
    item = link_item(api)
    for _ in range(40):
        api.ok("/item/get", {"access_token": item["access_token"]})
    limited("ITEM_GET_LIMIT", api.post("/item/get", {"access_token": item["access_token"]}))
    # The limit is per Item: the client's other Items are still served.
    other = link_item(api)
    api.ok("/item/get", {"access_token": other["access_token"]})


@pytest.mark.parametrize(
    ("path", "operation"), [("/item/get", "item_get"), ("/accounts/get", "accounts_get")]
)
def test_per_item_limit_trips_at_the_scaled_count(build: Build, path: str, operation: str) -> None:
    api = build(rate_limit_scale=0.05)
    item = link_item(api)
    limits = scaled(SANDBOX_LIMITS, 0.05)
    clock = with_clock(api, limits)
    allowed, default = limits[operation].per_item, SANDBOX_LIMITS[operation].per_item
    assert allowed is not None and default is not None
    assert allowed == round(default * 0.05)
    body = {"access_token": item["access_token"]}
    for _ in range(allowed):
        api.ok(path, body)
    limited(SANDBOX_LIMITS[operation].item_code, api.post(path, body))
    # A new window starts a new count.
    clock.t += 60
    api.ok(path, body)


def test_scale_setting_reaches_the_served_app(build: Build) -> None:
    api = build(rate_limit_scale=0.01)
    limiter = api.services.items.rate_limiter
    assert isinstance(limiter, StoreRateLimiter)
    assert limiter.limits["processor_token_create"].per_client == 5
    item = link_item(api)
    body = {"access_token": item["access_token"], "account_id": item["accounts"][0]["account_id"],
            "processor": "dwolla"}  # fmt: skip
    for _ in range(5):
        api.ok("/processor/token/create", body)
    limited("RATE_LIMIT", api.post("/processor/token/create", body))


def test_item_remove_per_client_limit(build: Build) -> None:
    api = build()
    items = [link_item(api) for _ in range(4)]
    with_clock(api, {"item_remove": Limit(100, 3, "RATE_LIMIT", "RATE_LIMIT")})
    for item in items[:3]:
        api.ok("/item/remove", {"access_token": item["access_token"]})
    limited("RATE_LIMIT", api.post("/item/remove", {"access_token": items[3]["access_token"]}))
    # The refused removal changed nothing: the Item is still there.
    api.ok("/item/get", {"access_token": items[3]["access_token"]})


def test_per_item_and_per_client_limits_are_separate(build: Build) -> None:
    api = build()
    a, b = link_item(api), link_item(api)
    # Distinct codes show which of the two limits refused.
    with_clock(api, {"item_get": Limit(3, 5, "ITEM_GET_LIMIT", "RATE_LIMIT")})
    for _ in range(3):
        api.ok("/item/get", {"access_token": a["access_token"]})
    limited("ITEM_GET_LIMIT", api.post("/item/get", {"access_token": a["access_token"]}))
    # Item b has its own count, but the refused request above counted for the client: 4 + 1.
    api.ok("/item/get", {"access_token": b["access_token"]})
    limited("RATE_LIMIT", api.post("/item/get", {"access_token": b["access_token"]}))

    # Another client is counted on its own.
    other, secret = api.loop.run_until_complete(api.services.clients.create_client("other"))
    api.headers = {"PLAID-CLIENT-ID": other.client_id, "PLAID-SECRET": secret}
    c = link_item(api)
    api.ok("/item/get", {"access_token": c["access_token"]})


def test_a_request_refused_for_another_reason_is_not_counted(build: Build) -> None:
    api = build()
    item = link_item(api)
    with_clock(api, {"item_get": Limit(2, 2, "ITEM_GET_LIMIT", "ITEM_GET_LIMIT")})
    for _ in range(5):
        response = api.post("/item/get", {"access_token": "access-sandbox-unknown"})
        assert_error(response, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
    api.ok("/item/get", {"access_token": item["access_token"]})
    api.ok("/item/get", {"access_token": item["access_token"]})
    limited("ITEM_GET_LIMIT", api.post("/item/get", {"access_token": item["access_token"]}))


def test_off_writes_no_counter_rows(build: Build) -> None:
    api = build(rate_limits=False)
    assert isinstance(api.services.items.rate_limiter, NoRateLimits)
    item = link_item(api)
    for _ in range(45):  # past the default per-Item limit of /item/get
        api.ok("/item/get", {"access_token": item["access_token"]})
    assert counter_rows(api) == 0
    # The same requests with limits on do write counters.
    on = build(database_url=None)
    link_item(on)
    assert counter_rows(on) > 0


def shared_limits() -> dict[str, Limit]:
    # No per-client limit: the PostgreSQL database may hold other runs' client counters.
    return {"item_get": Limit(5, None, "ITEM_GET_LIMIT", "ITEM_GET_LIMIT")}


def assert_shared(first: Api, second: Api) -> None:
    """Two apps over one database, each with its own store, share one count per Item."""
    item = link_item(first)
    with_clock(first, shared_limits())
    with_clock(second, shared_limits())
    for api in (first, second, first, second, first):
        api.ok("/item/get", {"access_token": item["access_token"]})
    limited("ITEM_GET_LIMIT", second.post("/item/get", {"access_token": item["access_token"]}))
    limited("ITEM_GET_LIMIT", first.post("/item/get", {"access_token": item["access_token"]}))


def test_two_stores_over_one_sqlite_file_share_the_counter(build: Build, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    assert_shared(build(url), build(url))


@pytest.mark.postgres
def test_two_stores_over_one_postgres_share_the_counter(
    build: Build, postgres_database_url: str
) -> None:
    assert_shared(build(postgres_database_url), build(postgres_database_url))


DATES = {"start_date": "2024-01-01", "end_date": "2024-02-01"}
READS = [
    ("/auth/get", "auth_get", {}),
    ("/accounts/balance/get", "accounts_balance_get", {}),
    ("/identity/get", "identity_get", {}),
    ("/transactions/get", "transactions_get", DATES),
    ("/transactions/sync", "transactions_sync", {}),
]


@pytest.mark.parametrize(("path", "operation", "extra"), READS)
def test_reads_are_limited_under_their_own_name(
    build: Build, path: str, operation: str, extra: dict[str, Any]
) -> None:
    api = build()
    item = link_item(api)
    body = {"access_token": item["access_token"], **extra}
    limit = SANDBOX_LIMITS[operation]
    # Per Item 2 and per client 100: the per-Item limit trips first, with its own code.
    clock = with_clock(api, {
        operation: Limit(2, 100, limit.item_code, limit.client_code),
        "accounts_get": Limit(1, 1, "ACCOUNTS_LIMIT", "ACCOUNTS_LIMIT"),
    })  # fmt: skip
    api.ok(path, body)
    api.ok(path, body)
    limited(limit.item_code, api.post(path, body))
    # The reads did not count toward /accounts/get, whose own limit of 1 is untouched.
    api.ok("/accounts/get", {"access_token": item["access_token"]})
    clock.t += 60
    api.ok(path, body)


def test_old_windows_are_deleted_from_the_database(build: Build) -> None:
    api = build()
    clock = with_clock(api, {"item_get": Limit(10, 10, "ITEM_GET_LIMIT", "ITEM_GET_LIMIT")})
    item = link_item(api)
    api.ok("/item/get", {"access_token": item["access_token"]})
    assert counter_rows(api) == 2  # the Item's and the client's counter
    clock.t += 60
    api.ok("/item/get", {"access_token": item["access_token"]})
    assert counter_rows(api) == 4  # the previous window is kept
    clock.t += 60
    api.ok("/item/get", {"access_token": item["access_token"]})
    assert counter_rows(api) == 4  # the one before it is gone
