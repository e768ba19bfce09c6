"""A hostile body costs about what reading its bytes costs, with or without credentials.

Issue 11: 0.9 MB of small nested lists cost about 300 ms of event-loop time with no
credentials at all (a generic decode building a Python object per value, then a walk over
them), so two connections at 4 requests/s made every other client wait. The client is now
known before the body is parsed, and the body is decoded straight into its request type,
which stops at the first value that does not fit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from tests.api.conftest import Api
from tests.helpers import CLIENT_ID, SECRET, LiveServer, assert_plaid_error

SIZE = 900_000


def _lists() -> bytes:
    # 225,000 one-element lists: about 450,000 values in 0.9 MB.
    return b",".join(b"[%d]" % (i % 10) for i in range(SIZE // 4))


def _nested() -> bytes:
    # 100,000 lists four deep: 400,000 values.
    return b",".join([b"[[[[]]]]"] * (SIZE // 9))


BODIES = {
    "lists-in-a-field": b'{"access_token": [' + _lists() + b"]}",
    "nested-lists-in-an-unknown-field": b'{"x": [' + _nested() + b"]}",
}
# The answer with valid credentials: the first field that is not the request's shape.
AUTHENTICATED = {
    "lists-in-a-field": (
        "INVALID_FIELD",
        "access_token: expected string, got array",
    ),
    "nested-lists-in-an-unknown-field": (
        "UNKNOWN_FIELDS",
        "the following fields are not recognized by this endpoint: x",
    ),
}
NO_CREDENTIALS = "the following required fields are missing: client_id, secret"
WRONG = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": "not-the-secret"}
RIGHT = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}
WRONG_IN_THE_BODY = b', "client_id": "%s", "secret": "not-the-secret"' % CLIENT_ID.encode()
# Each sender: its headers, what follows the hostile part of the body, and its answer's
# error_type and error_code (the valid sender's are in AUTHENTICATED). Every answer is a 400.
SENDERS: dict[str, tuple[dict[str, str], bytes, tuple[str, str] | None]] = {
    "no-credentials": ({}, b"", ("INVALID_REQUEST", "MISSING_FIELDS")),
    "wrong-secret-in-headers": (WRONG, b"", ("INVALID_INPUT", "INVALID_API_KEYS")),
    # After the hostile part, so that the scan for credentials reads the whole body.
    "wrong-secret-in-the-body": ({}, WRONG_IN_THE_BODY, ("INVALID_INPUT", "INVALID_API_KEYS")),
    "valid-credentials": (RIGHT, b"", None),
}


def _body(name: str, tail: bytes) -> bytes:
    return BODIES[name][:-1] + tail + b"}"


def _expected(name: str, sender: str) -> tuple[str, str]:
    answer = SENDERS[sender][2]
    return answer if answer is not None else ("INVALID_REQUEST", AUTHENTICATED[name][0])


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("name", BODIES)
def test_hostile_body_gets_the_plaid_error(api: Api, name: str, sender: str) -> None:
    headers, tail, _ = SENDERS[sender]
    body = _body(name, tail)
    assert len(body) < 1024 * 1024
    response = api.request(
        "POST",
        "/item/get",
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )
    answer = assert_plaid_error(response, 400, *_expected(name, sender))
    if sender == "valid-credentials":
        assert answer["error_message"] == AUTHENTICATED[name][1]
    elif sender == "no-credentials":
        assert answer["error_message"] == NO_CREDENTIALS


def _best(seconds: Callable[[], float], times: int = 5) -> float:
    return min(seconds() for _ in range(times))


def _skip_scan(body: bytes) -> float:
    """The time msgspec takes to check the syntax of `body` in C, building nothing."""
    decoder = msgspec.json.Decoder(msgspec.Raw)
    started = time.perf_counter()
    decoder.decode(body)
    return time.perf_counter() - started


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("name", BODIES)
def test_hostile_body_costs_about_reading_it(api: Api, name: str, sender: str) -> None:
    if api.app is None:
        pytest.skip("times the app's own call: in-process only")
    app = api.app
    headers, tail, _ = SENDERS[sender]
    body = _body(name, tail)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/item/get",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def call() -> float:
        sent.clear()
        started = time.perf_counter()
        api.loop.run_until_complete(app(scope, receive, send))
        return time.perf_counter() - started

    call()  # warm-up: the client's cache, the interpreter's specialising
    took = _best(call)
    scan = _best(lambda: _skip_scan(body))
    # The old path took 50-100 times the scan (100-250 ms here); reading for credentials is
    # one scan, the typed decode nearly nothing. Best of 5 of each, under the same load.
    assert took < 10 * scan + 0.005, f"{took * 1e3:.1f} ms, scan {scan * 1e3:.1f} ms"
    assert sent[0]["status"] == 400
    answer = msgspec.json.decode(sent[1]["body"])
    assert (answer["error_type"], answer["error_code"]) == _expected(name, sender), answer


def test_other_clients_do_not_wait_behind_hostile_bodies(tmp_path: Path) -> None:
    # The measurement, through a real server: two connections send the hostile body
    # without credentials at 4 requests/s each while a client with credentials calls. Before,
    # that client's median went from 2 ms to 394 ms (the issue) or 475 ms (this test).
    server = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}", log_path=tmp_path / "serve.log")
    server.start()
    body = BODIES["nested-lists-in-an-unknown-field"]
    stop = threading.Event()
    answers: list[tuple[int, str, str]] = []

    def attack() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                response = client.post("/item/get", content=body,
                                       headers={"Content-Type": "application/json"})  # fmt: skip
                answers.append(_code(response))
                stop.wait(0.25)

    attackers = [threading.Thread(target=attack) for _ in range(2)]
    try:
        with httpx.Client(base_url=server.url, headers=RIGHT, timeout=30) as client:
            for _ in range(10):  # warm-up: the client's cache, lazy imports
                client.post("/item/get", json={"access_token": "a"})
            for attacker in attackers:
                attacker.start()
            waits = []
            for _ in range(40):  # two seconds, about 16 hostile bodies
                started = time.perf_counter()
                response = client.post("/item/get", json={"access_token": "a"})
                waits.append(time.perf_counter() - started)
                assert _code(response) == (400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
                time.sleep(0.05)
    finally:
        stop.set()
        for attacker in attackers:
            attacker.join(30)
        server.stop()
    assert len(answers) >= 4, answers
    assert set(answers) == {(400, "INVALID_REQUEST", "MISSING_FIELDS")}
    median = sorted(waits)[len(waits) // 2]
    assert median < 0.05, f"median {median * 1e3:.1f} ms"


def _code(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_type"], body["error_code"]
