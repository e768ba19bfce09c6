"""Several `tokenbridge serve` processes over one PostgreSQL behave as one service."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from tests.conftest import postgres_schema
from tests.helpers import LiveServer, WebhookReceiver
from tests.helpers import assert_plaid_error as assert_error
from tests.scale.conftest import ok, post, server


@pytest.fixture(scope="module")
def servers(
    shared_postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers on different ports over one PostgreSQL schema."""
    logs = tmp_path_factory.mktemp("multi")
    a = server(shared_postgres_url, logs / "a.log")
    try:
        b = server(shared_postgres_url, logs / "b.log")
    except BaseException:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0) as client:
        yield client


def _link(http: httpx.Client, base: str) -> dict[str, Any]:
    """A linked Item through one server: access_token, item_id, first account_id."""
    public = ok(http, base, "/sandbox/public_token/create",
                {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
    exchanged = ok(http, base, "/item/public_token/exchange",
                   {"public_token": public["public_token"]})  # fmt: skip
    accounts = ok(http, base, "/accounts/get", {"access_token": exchanged["access_token"]})
    return {**exchanged, "account_id": accounts["accounts"][0]["account_id"]}


def _processor_token(http: httpx.Client, base: str, item: dict[str, Any]) -> str:
    created = ok(http, base, "/processor/token/create", {
        "access_token": item["access_token"], "account_id": item["account_id"],
        "processor": "dwolla"})  # fmt: skip
    token: str = created["processor_token"]
    return token


def test_created_on_one_server_usable_on_the_other(
    servers: tuple[LiveServer, LiveServer], http: httpx.Client
) -> None:
    a, b = servers
    item = _link(http, a.url)
    accounts = ok(http, b.url, "/accounts/get", {"access_token": item["access_token"]})
    assert accounts["item"]["item_id"] == item["item_id"]
    token = _processor_token(http, b.url, item)
    got = ok(http, a.url, "/processor/token/permissions/get", {"processor_token": token})
    assert got["products"] == []


def test_removed_on_one_server_rejected_on_the_other_at_once(
    servers: tuple[LiveServer, LiveServer], http: httpx.Client
) -> None:
    a, b = servers
    item = _link(http, a.url)
    token = _processor_token(http, a.url, item)
    # Warm A's path for both tokens, so that a cache, if there were one, would hold them.
    ok(http, a.url, "/processor/token/permissions/get", {"processor_token": token})
    ok(http, a.url, "/accounts/get", {"access_token": item["access_token"]})

    ok(http, b.url, "/item/remove", {"access_token": item["access_token"]})

    assert_error(post(http, a.url, "/processor/token/permissions/get",
                      {"processor_token": token}),
                 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    assert_error(post(http, a.url, "/accounts/get", {"access_token": item["access_token"]}),
                 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


def test_racing_exchanges_across_servers_succeed_once(
    servers: tuple[LiveServer, LiveServer], http: httpx.Client
) -> None:
    a, b = servers
    public = ok(http, a.url, "/sandbox/public_token/create",
                {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip

    def exchange(i: int) -> httpx.Response:
        base = (a if i % 2 else b).url
        return post(http, base, "/item/public_token/exchange",
                    {"public_token": public["public_token"]})  # fmt: skip

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(exchange, range(50)))
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.text for r in winners]
    for r in responses:
        if r.status_code != 200:
            assert_error(r, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")
    # The one access token works on both servers.
    access_token = winners[0].json()["access_token"]
    for base in (a.url, b.url):
        ok(http, base, "/item/get", {"access_token": access_token})


def test_racing_permission_sets_end_in_one_written_value(
    servers: tuple[LiveServer, LiveServer], http: httpx.Client
) -> None:
    a, b = servers
    token = _processor_token(http, a.url, _link(http, a.url))
    written = [["auth"], ["balance", "identity"], ["auth", "transactions", "identity"], []]

    def set_products(i: int) -> httpx.Response:
        base = (a if i % 2 else b).url
        return post(http, base, "/processor/token/permissions/set",
                    {"processor_token": token, "products": written[i % len(written)]})  # fmt: skip

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = {r.status_code for r in pool.map(set_products, range(40))}
    assert statuses == {200}
    final_a = ok(http, a.url, "/processor/token/permissions/get", {"processor_token": token})
    final_b = ok(http, b.url, "/processor/token/permissions/get", {"processor_token": token})
    assert final_a["products"] == final_b["products"]
    assert final_a["products"] in written


def test_workers_2_serve_one_database(
    servers: tuple[LiveServer, LiveServer],
    shared_postgres_url: str,
    http: httpx.Client,
    tmp_path: Path,
) -> None:
    a, _ = servers
    multi = server(shared_postgres_url, tmp_path / "workers.log", "--workers", "2")
    try:
        # Enough requests that both worker processes take some (the kernel spreads them).
        items = [_link(http, multi.url) for _ in range(6)]
        for item in items:
            token = _processor_token(http, multi.url, item)
            ok(http, a.url, "/processor/token/permissions/get", {"processor_token": token})
        ok(http, a.url, "/item/remove", {"access_token": items[0]["access_token"]})
        assert_error(post(http, multi.url, "/item/get",
                          {"access_token": items[0]["access_token"]}),
                     400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    finally:
        multi.stop()
    assert multi.process is not None
    assert multi.process.returncode is not None


def test_servers_starting_at_once_sign_with_one_key(
    tmp_path: Path, http: httpx.Client, receiver: WebhookReceiver
) -> None:
    # A fresh database: the servers race to make its first webhook signing key, which the
    # first webhook each of them signs makes.
    with postgres_schema() as url, ThreadPoolExecutor(3) as pool:
        starting = [pool.submit(server, url, tmp_path / f"{n}.log") for n in range(3)]
        started = [s.result() for s in starting]
        try:
            items = [_link(http, live.url) for live in started]
            updates = [
                pool.submit(ok, http, live.url, "/item/webhook/update",
                            {"access_token": item["access_token"], "webhook": receiver.url})
                for live, item in zip(started, items, strict=True)
            ]  # fmt: skip
            for update in updates:
                update.result()
            receiver.wait(3)
            kids = {
                jwt.get_unverified_header(d.headers["plaid-verification"])["kid"]
                for d in receiver.deliveries
            }
            assert len(kids) == 1
            # Every server publishes the key the others sign with.
            (kid,) = kids
            for live in started:
                key = ok(http, live.url, "/webhook_verification_key/get", {"key_id": kid})["key"]
                assert key["kid"] == kid and key["expired_at"] is None
        finally:
            for live in started:
                live.stop()


def test_two_servers_deliver_each_of_many_webhooks_once(
    servers: tuple[LiveServer, LiveServer],
    shared_postgres_url: str,
    http: httpx.Client,
    receiver: WebhookReceiver,
) -> None:
    # Each server's worker sends what its server wrote at once, and every second looks for
    # what the other wrote: both claim from one outbox, and each webhook must go out once.
    a, b = servers
    count = 60
    with ThreadPoolExecutor(8) as pool:
        items = list(pool.map(lambda n: _link(http, (a, b)[n % 2].url), range(count)))
        list(pool.map(
            lambda n: ok(http, (b, a)[n % 2].url, "/item/webhook/update",
                         {"access_token": items[n]["access_token"], "webhook": receiver.url}),
            range(count),
        ))  # fmt: skip
    ours = {item["item_id"] for item in items}
    receiver.wait_until(lambda got: len({w["item_id"] for w in got} & ours) == count, 60)
    # A second sender would be a poll (1 s) behind the first: give it time to show.
    time.sleep(3)
    arrived = Counter(w["item_id"] for w in receiver.received if w["item_id"] in ours)
    assert set(arrived) == ours, f"{count - len(arrived)} of {count} webhooks did not arrive"
    assert set(arrived.values()) == {1}, [i for i, n in arrived.items() if n > 1]
    # The outbox agrees: each webhook delivered, after one attempt.
    with psycopg.connect(shared_postgres_url) as conn:
        rows = conn.execute(
            "SELECT w.item_id, w.status, count(a.attempt) FROM webhooks w LEFT JOIN"
            " webhook_attempts a ON a.webhook_id = w.webhook_id WHERE w.item_id = ANY(%s)"
            " GROUP BY w.webhook_id, w.item_id, w.status",
            [list(ours)],
        ).fetchall()
    assert sorted(rows) == sorted((item_id, "delivered", 1) for item_id in ours)
