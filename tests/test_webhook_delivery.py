"""Webhook delivery end to end: a real `tokenbridge serve`, a real receiver on a loopback
port, and the outbox read back through the command line.

A receiver that fails twice gets the webhook on the third attempt on Plaid's schedule
(compressed by TOKENBRIDGE_WEBHOOK_RETRY_SCALE) and no fourth; one that always fails gets
the schedule's seven attempts and no more. A webhook accepted while its receiver is down
arrives after `kill -9` and a restart, and so does one whose attempt the kill cut short,
once the dead server's claim lapses (docs/WEBHOOKS.md, "Delivery"). Each test runs on the
backend TOKENBRIDGE_TEST_BACKEND names (SQLite by default).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.helpers import CLIENT_ID, SECRET, LiveServer, WebhookReceiver, free_port
from tokenbridge.domain.models import Webhook, WebhookAttempt
from tokenbridge.storage import open_store

HEADERS = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0) as client:
        yield client


def ok(http: httpx.Client, server: LiveServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(server.url + path, json=body, headers=HEADERS)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def link(http: httpx.Client, server: LiveServer) -> tuple[str, str]:
    """A linked Item with no webhook yet (so that linking fires none): its access token and
    item_id."""
    public = ok(http, server, "/sandbox/public_token/create",
                {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
    exchanged = ok(http, server, "/item/public_token/exchange",
                   {"public_token": public["public_token"]})  # fmt: skip
    return exchanged["access_token"], exchanged["item_id"]


def listed(database_url: str, *args: str) -> list[dict[str, Any]]:
    """`tokenbridge webhooks list --json ARGS` over the database, one record per webhook."""
    done = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "webhooks", "list", "--json",
         "--database-url", database_url, *args],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def outbox_of(database_url: str, item_id: str) -> list[tuple[Webhook, list[WebhookAttempt]]]:
    """The Item's webhooks in the store, newest first, each with its attempts (faster than
    the command line, to watch a server's worker)."""

    async def read() -> list[tuple[Webhook, list[WebhookAttempt]]]:
        store = await open_store(database_url, create=False)
        try:
            webhooks = await store.list_webhooks(item_id=item_id)
            return [(w, await store.list_webhook_attempts(w.webhook_id)) for w in webhooks]
        finally:
            await store.close()

    return asyncio.run(read())


def wait_for(
    database_url: str,
    item_id: str,
    until: Callable[[Webhook, list[WebhookAttempt]], bool],
    seconds: float,
) -> tuple[Webhook, list[WebhookAttempt]]:
    """The Item's one webhook and its attempts once `until(webhook, attempts)` holds (at
    most `seconds`; the caller asserts)."""
    deadline = time.monotonic() + seconds
    while True:
        found = outbox_of(database_url, item_id)
        if (found and until(*found[0])) or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.02)


def _tried(webhook: Webhook, attempts: list[WebhookAttempt]) -> bool:
    return bool(attempts)


def _done(webhook: Webhook, attempts: list[WebhookAttempt]) -> bool:
    return webhook.status != "pending"


def signed_claims(http: httpx.Client, server: LiveServer, token: str) -> dict[str, Any]:
    """The claims of a `Plaid-Verification` JWT, its signature checked with the key the
    server publishes."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = ok(http, server, "/webhook_verification_key/get", {"key_id": kid})["key"]
    claims: dict[str, Any] = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"])
    return claims


# TOKENBRIDGE_WEBHOOK_RETRY_SCALE for the schedule test: the retries after 30 s, 2 min and
# 8 min come after 0.3 s, 1.2 s and 4.8 s (and the 24-hour window is 864 s).
SCALE = 0.01
FIRST_RETRY, SECOND_RETRY, THIRD_RETRY = 30 * SCALE, 120 * SCALE, 480 * SCALE


def test_a_receiver_that_fails_twice_gets_the_webhook_on_the_third_attempt_and_no_fourth(
    tmp_path: Path, database_url: str, http: httpx.Client
) -> None:
    receiver = WebhookReceiver(statuses=(500, 500))
    server = LiveServer(
        database_url, log_path=tmp_path / "serve.log",
        env={"TOKENBRIDGE_WEBHOOK_RETRY_SCALE": str(SCALE)},
    ).start()  # fmt: skip
    try:
        access_token, item_id = link(http, server)
        ok(http, server, "/item/webhook/update",
           {"access_token": access_token, "webhook": receiver.url})  # fmt: skip
        receiver.wait(3, seconds=30)
        assert len(receiver.deliveries) == 3, receiver.received
        first, second, third = receiver.deliveries
        # A fourth attempt would come 4.8 s after the third if the 200 were not taken as
        # delivered; wait well past that.
        time.sleep(max(third.at + THIRD_RETRY + 2.0 - time.monotonic(), 0.0))
        assert len(receiver.deliveries) == 3
        claims = [signed_claims(http, server, d.headers["plaid-verification"])
                  for d in receiver.deliveries]  # fmt: skip
        (record,) = listed(server.database_url, "--item", item_id)
    finally:
        server.stop()
        receiver.close()
    # The same bytes every time, each attempt signed over them.
    assert first.body == second.body == third.body
    body = json.loads(first.body)
    assert (body["webhook_type"], body["webhook_code"], body["item_id"]) == (
        "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", item_id)  # fmt: skip
    digest = hashlib.sha256(first.body).hexdigest()
    assert [c["request_body_sha256"] for c in claims] == [digest] * 3
    # On the scaled schedule: each retry no sooner than its delay after the attempt before.
    assert second.at - first.at >= FIRST_RETRY
    assert third.at - second.at >= SECOND_RETRY
    # The outbox tells the same story.
    assert record["status"] == "delivered" and record["next_attempt_at"] is None
    assert record["body"] == body
    attempts = record["attempts"]
    assert [(a["attempt"], a["status_code"], a["error"]) for a in attempts] == [
        (1, 500, None), (2, 500, None), (3, 200, None)]  # fmt: skip
    assert all(isinstance(a["latency_ms"], float) and a["latency_ms"] >= 0 for a in attempts)


def test_a_receiver_that_always_fails_gets_seven_attempts_and_the_webhook_fails(
    tmp_path: Path, database_url: str, http: httpx.Client
) -> None:
    # Compressed 10 000 times, the seven attempts of Plaid's schedule span about 4 s and its
    # 24 hours 8.6 s; the eighth would be due 12.3 s after the seventh, past the window.
    receiver = WebhookReceiver(statuses=(500,) * 10)
    server = LiveServer(
        database_url, log_path=tmp_path / "serve.log",
        env={"TOKENBRIDGE_WEBHOOK_RETRY_SCALE": "0.0001"},
    ).start()  # fmt: skip
    try:
        access_token, item_id = link(http, server)
        ok(http, server, "/item/webhook/update",
           {"access_token": access_token, "webhook": receiver.url})  # fmt: skip
        # The last attempt is recorded with the webhook's end: nothing is due any more.
        webhook, attempts = wait_for(database_url, item_id, _done, seconds=30)
        (record,) = listed(database_url, "--item", item_id)
        time.sleep(1.0)
    finally:
        server.stop()
        receiver.close()
    assert len(receiver.deliveries) == 7
    assert len({d.body for d in receiver.deliveries}) == 1
    assert (webhook.status, webhook.next_attempt_at) == ("failed", None)
    assert [a.status_code for a in attempts] == [500] * 7
    assert (record["status"], len(record["attempts"])) == ("failed", 7)
    # Each retry no sooner than its delay: 3 ms, then each four times the one before.
    gaps = [b.at - a.at for a, b in itertools.pairwise(receiver.deliveries)]
    delays = [30 * 4**n * 0.0001 for n in range(6)]
    assert all(gap >= delay for gap, delay in zip(gaps, delays, strict=True)), gaps


def test_a_webhook_accepted_while_its_receiver_is_down_arrives_after_kill_9_and_restart(
    tmp_path: Path, database_url: str, http: httpx.Client
) -> None:
    # Nothing listens on the receiver's port until the server has been killed.
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    # The first retry 3 s after the first attempt: time enough to kill the server between
    # the two, so that it dies holding no claim (a claim would keep the webhook from the
    # next server for 30 s).
    env = {"TOKENBRIDGE_WEBHOOK_RETRY_SCALE": "0.1"}
    first = LiveServer(database_url, log_path=tmp_path / "first.log", env=env).start()
    try:
        access_token, item_id = link(http, first)
        ok(http, first, "/item/webhook/update", {"access_token": access_token, "webhook": url})
        webhook, tried = wait_for(database_url, item_id, _tried, seconds=20)
    finally:
        first.kill()
    assert tried and all(a.status_code is None and a.error for a in tried), tried
    # What the crash left: the webhook pending, its failed attempt recorded.
    (before,) = listed(database_url, "--item", item_id)
    assert (before["webhook_id"], before["status"]) == (webhook.webhook_id, "pending")
    # One failed attempt (two, had the kill come late on a slow machine).
    shown = [(a["status_code"], bool(a["error"])) for a in before["attempts"]]
    assert shown and set(shown) == {(None, True)}, shown

    receiver = WebhookReceiver(port=port)
    second = LiveServer(database_url, log_path=tmp_path / "second.log", env=env).start()
    try:
        # Due about 3 s after the first attempt; 45 s allows for a claim left by a kill
        # that came later than meant (a slow machine), which lapses after 30 s.
        receiver.wait(1, seconds=45)
        assert receiver.deliveries, "the webhook did not arrive after the restart"
        delivered, attempts = wait_for(database_url, item_id, _done, seconds=15)
        (after,) = listed(database_url, "--item", item_id)
    finally:
        second.stop()
        receiver.close()
    # At least once, and each time the webhook that was accepted, byte for byte.
    assert {d.body for d in receiver.deliveries} == {webhook.body.encode()}
    assert json.loads(webhook.body)["webhook_code"] == "WEBHOOK_UPDATE_ACKNOWLEDGED"
    assert delivered.status == "delivered"
    assert (after["status"], after["attempts"][-1]["status_code"]) == ("delivered", 200)
    assert len(after["attempts"]) == len(attempts) >= 2


def test_a_webhook_whose_attempt_a_kill_9_cut_short_is_sent_again_once_the_claim_lapses(
    tmp_path: Path, database_url: str, http: httpx.Client
) -> None:
    # A receiver that takes the POST and never answers: the attempt is in flight (its
    # 10 s timeout running) when the server is killed, and the server dies holding the
    # webhook's claim. The next server sends it when the claim lapses (30 s): at least
    # once, so this receiver, which had it, gets it again.
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    first = LiveServer(database_url, log_path=tmp_path / "first.log").start()
    try:
        access_token, item_id = link(http, first)
        ok(http, first, "/item/webhook/update",
           {"access_token": access_token, "webhook": f"http://127.0.0.1:{port}/hook"})  # fmt: skip
        silent.settimeout(20)
        connection, _ = silent.accept()
        cut_short = read_request_body(connection)
    finally:
        first.kill()
    connection.close()
    silent.close()
    (before,) = listed(database_url, "--item", item_id)
    assert (before["status"], before["attempts"]) == ("pending", [])

    receiver = WebhookReceiver(port=port)
    second = LiveServer(database_url, log_path=tmp_path / "second.log").start()
    try:
        receiver.wait(1, seconds=60)
        assert receiver.deliveries, "the webhook did not arrive after its claim lapsed"
        delivered, _ = wait_for(database_url, item_id, _done, seconds=15)
        (after,) = listed(database_url, "--item", item_id)
    finally:
        second.stop()
        receiver.close()
    assert {d.body for d in receiver.deliveries} == {cut_short} == {delivered.body.encode()}
    assert (after["status"], after["attempts"][-1]["status_code"]) == ("delivered", 200)


def read_request_body(connection: socket.socket) -> bytes:
    """The body of the one HTTP request that arrives on `connection` (sent with a
    Content-Length), read without answering."""
    connection.settimeout(20)
    data = b""

    def more() -> bytes:
        chunk = connection.recv(65536)
        assert chunk, f"the sender closed the connection after {data!r}"
        return chunk

    while b"\r\n\r\n" not in data:
        data += more()
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))  # fmt: skip
    while len(body) < length:
        body += more()
    return body
