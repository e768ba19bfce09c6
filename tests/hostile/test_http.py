"""The HTTP/1.1 layer under the app, attacked with raw sockets against a real server.

Each test is one way a client can abuse the connection itself (trailers, Upgrade, limits,
timeouts, pipelining, RFC 9112's strict choices) and asserts the answer, its PlaidError,
and that nothing else happened.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.helpers import LiveServer

KIB = 1024
MIB = 1024 * KIB
# The server below runs with short timeouts, so that each timeout test waits about a second.
TIMEOUT = 1.0
# The sweep that enforces deadlines runs twice a second: a timeout fires within this.
LATE = 1.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory: Path = tmp_path_factory.mktemp("hostile-http")
    live = LiveServer(
        f"sqlite:///{directory / 'tb.db'}",
        extra_args=("--idle-timeout", str(TIMEOUT), "--head-timeout", str(TIMEOUT),
                    "--body-timeout", str(TIMEOUT), "--max-connections", "300"),
    )  # fmt: skip
    live.start()
    yield live
    live.stop()


class Response:
    def __init__(self, status: int, headers: dict[bytes, bytes], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def error(self) -> tuple[int, str, str]:
        assert self.headers[b"content-type"].startswith(b"application/json"), self.body
        error = json.loads(self.body)
        assert error["request_id"]
        return self.status, error["error_type"], error["error_code"]


class Raw:
    """A raw connection: bytes out, whole responses back. Closed after each test."""

    opened: ClassVar[list[Raw]] = []

    def __init__(self, server: LiveServer, timeout: float = 10.0) -> None:
        self.socket = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
        self.buffer = b""
        Raw.opened.append(self)

    def send(self, data: bytes) -> None:
        self.socket.sendall(data)

    def _fill(self) -> bool:
        chunk = self.socket.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def response(self) -> Response:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"connection closed after {self.buffer!r}"
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            assert self._fill(), f"connection closed after {self.buffer!r}"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Response(int(status_line.split()[1]), headers, body)

    def closed(self, within: float = 5.0) -> bool:
        """Whether the server closes the connection within `within` seconds, sending nothing
        more (data that arrives instead fails the test)."""
        self.socket.settimeout(within)
        try:
            chunk = self.socket.recv(65536)
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        assert not chunk, f"unexpected data: {chunk!r}"
        return True

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while Raw.opened:
        Raw.opened.pop().close()


def credentials(server: LiveServer) -> bytes:
    return f"PLAID-CLIENT-ID: {server.client_id}\r\nPLAID-SECRET: {server.secret}\r\n".encode()


def post(path: str, body: bytes, *, head: bytes = b"", host: bool = True) -> bytes:
    return (
        b"POST %s HTTP/1.1\r\n%sContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s"
        % (path.encode(), b"Host: 127.0.0.1\r\n" if host else b"", head, len(body), body)
    )


def access_token(server: LiveServer) -> str:
    headers = {"PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        public = client.post(
            "/sandbox/public_token/create",
            json={"institution_id": "ins_109508", "initial_products": ["auth"]},
        ).json()["public_token"]
        token: str = client.post(
            "/item/public_token/exchange", json={"public_token": public}
        ).json()["access_token"]
    return token


def health(server: LiveServer) -> int:
    return httpx.get(server.url + "/health", timeout=5).status_code


# 1. Trailers never become headers.


def chunked_with_trailers(server: LiveServer, head: bytes, trailers: bytes, body: bytes) -> bytes:
    return (
        b"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"%sTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n%s\r\n"
        % (head, len(body), body, trailers)
    )


@pytest.mark.parametrize("in_headers", ["other client", "none"])
def test_trailers_are_refused_and_never_authenticate(server: LiveServer, in_headers: str) -> None:
    token = access_token(server)
    head = b"PLAID-CLIENT-ID: someone-else\r\nPLAID-SECRET: wrong\r\n"
    raw = Raw(server)
    raw.send(chunked_with_trailers(
        server, head if in_headers == "other client" else b"", credentials(server),
        json.dumps({"access_token": token}).encode(),
    ))  # fmt: skip
    answer = raw.response()
    assert answer.error() == (400, "INVALID_REQUEST", "INVALID_HEADERS")
    assert b"trailer" in answer.body
    assert raw.closed()


# 2. Upgrade is ignored and the body is read as a body: never a second request.


def test_upgrade_body_is_not_parsed_as_a_request(server: LiveServer) -> None:
    token = access_token(server)
    smuggled = post("/item/get", json.dumps({"access_token": token}).encode(),
                    head=credentials(server))  # fmt: skip
    head = (
        b"POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(smuggled)
    )
    raw = Raw(server)
    raw.send(head)
    time.sleep(0.2)  # the body in a later segment, as the attack sent it
    raw.send(smuggled)
    first = raw.response()
    assert first.error() == (404, "INVALID_REQUEST", "NOT_FOUND")
    # The smuggled request was a body: no second answer; the connection closes after the
    # answer to an Upgrade request, so nothing sent after it is read as a request either.
    assert first.headers[b"connection"] == b"close"
    assert raw.closed()
    assert raw.buffer == b""


def test_h2c_upgrade_request_is_answered_in_http11(server: LiveServer) -> None:
    # What `curl --http2 http://...` sends: the upgrade is declined by answering in HTTP/1.1.
    body = json.dumps({"institution_id": "ins_109508", "initial_products": ["auth"]}).encode()
    raw = Raw(server)
    raw.send(post("/sandbox/public_token/create", body, head=credentials(server)
                  + b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                  b"HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n"))  # fmt: skip
    answer = raw.response()
    assert answer.status == 200, answer.body
    assert json.loads(answer.body)["public_token"].startswith("public-sandbox-")
    raw.close()


def test_connect_is_refused_and_closed(server: LiveServer) -> None:
    raw = Raw(server)
    raw.send(b"CONNECT 127.0.0.1:5432 HTTP/1.1\r\nHost: 127.0.0.1:5432\r\n\r\nGET / HTTP/1.1\r\n")
    assert raw.response().error() == (405, "INVALID_REQUEST", "NOT_FOUND")
    assert raw.closed()


# 3. Timeouts and the connection cap.


def test_silent_connections_are_closed_after_the_idle_timeout(server: LiveServer) -> None:
    connections = [Raw(server) for _ in range(200)]
    started = time.monotonic()
    assert all(c.closed(within=TIMEOUT + LATE + 2) for c in connections)
    assert time.monotonic() - started < TIMEOUT + LATE + 2
    for c in connections:
        c.close()
    assert health(server) == 200


def test_a_slow_head_is_answered_408(server: LiveServer) -> None:
    raw = Raw(server)
    started = time.monotonic()
    raw.send(b"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for _ in range(10):  # slowloris: a header line now and then, never the end of the head
        time.sleep(TIMEOUT / 4)
        try:
            raw.send(b"X-Slow: 1\r\n")
        except OSError:
            break
    assert raw.response().error() == (408, "INVALID_REQUEST", "INVALID_HEADERS")
    assert time.monotonic() - started < TIMEOUT + LATE + 1
    assert raw.closed()


def test_a_slow_body_is_answered_408(server: LiveServer) -> None:
    raw = Raw(server)
    raw.send(post("/item/get", b"", head=credentials(server)).replace(
        b"Content-Length: 0", b"Content-Length: 100") + b'{"access_token": ')  # fmt: skip
    assert raw.response().error() == (408, "INVALID_REQUEST", "INVALID_BODY")
    assert raw.closed()


def test_connections_past_the_cap_get_503(tmp_path: Path) -> None:
    live = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}", extra_args=("--max-connections", "8"))
    live.start()
    try:
        held = [Raw(live) for _ in range(8)]
        time.sleep(0.2)
        extra = Raw(live)
        assert extra.response().error() == (503, "API_ERROR", "INTERNAL_SERVER_ERROR")
        assert extra.closed()
        for c in held:
            c.close()
        time.sleep(0.2)
        assert health(live) == 200
    finally:
        live.stop()


# 4. The head is bounded while it is read.


def test_a_long_request_line_is_answered_414(server: LiveServer) -> None:
    raw = Raw(server)
    raw.send(b"GET /" + b"a" * (9 * KIB) + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert raw.response().error() == (414, "INVALID_REQUEST", "INVALID_HEADERS")
    assert raw.closed()


@pytest.mark.parametrize(
    "head",
    [
        b"X-Big: " + b"a" * (9 * KIB) + b"\r\n",
        b"".join(b"X-Many-%d: 1\r\n" % i for i in range(101)),
        b"".join(b"X-Sum-%d: %s\r\n" % (i, b"a" * 4000) for i in range(9)),
    ],
    ids=["one-field", "too-many-fields", "whole-head"],
)
def test_a_large_head_is_answered_431(server: LiveServer, head: bytes) -> None:
    raw = Raw(server)
    raw.send(post("/item/get", b"{}", head=head))
    assert raw.response().error() == (431, "INVALID_REQUEST", "INVALID_HEADERS")
    assert raw.closed()


def test_an_endless_header_is_cut_off_early_and_others_are_served(server: LiveServer) -> None:
    raw = Raw(server)
    raw.send(b"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
    sent = 0
    try:
        while sent < 64 * MIB:  # the server must answer long before this
            raw.send(b"a" * 65536)
            sent += 65536
    except OSError:
        pass
    # Refused after 32 KiB; then what is still sent is drained for at most 4 MiB (so the
    # client reads the answer instead of a reset), plus what the socket buffers held.
    assert sent < 16 * MIB, f"{sent} bytes of one header were read"
    assert raw.response().error() == (431, "INVALID_REQUEST", "INVALID_HEADERS")
    started = time.monotonic()
    assert health(server) == 200
    assert time.monotonic() - started < 1


# 6. Unfinished bodies: bounded per connection and per process.


def rss_mib(server: LiveServer) -> float:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def test_unfinished_bodies_are_bounded_in_total(tmp_path: Path) -> None:
    # Default timeouts: sending 100 MiB must not meet the body timeout.
    server = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}").start()
    try:
        unfinished_bodies(server)
    finally:
        server.stop()


def unfinished_bodies(server: LiveServer) -> None:
    for _ in range(20):
        health(server)  # warm: what the first requests load is not counted
    before = rss_mib(server)
    held: list[Raw] = []
    refused = 0
    for _ in range(100):  # 100 x (1 MiB - 1 byte) without credentials: 100 MiB unbounded
        raw = Raw(server)
        raw.send(post("/item/get", b"").replace(b"Content-Length: 0", b"Content-Length: %d" % MIB))
        with contextlib.suppress(OSError):  # refused mid-body: the answer is read below
            raw.send(b"a" * (MIB - 1))
        held.append(raw)
    time.sleep(0.3)
    grown = rss_mib(server) - before
    for raw in held:
        raw.socket.settimeout(0.05)
        try:
            if raw.socket.recv(1, socket.MSG_PEEK):
                assert raw.response().error() == (503, "API_ERROR", "INTERNAL_SERVER_ERROR")
                refused += 1
        except TimeoutError:
            pass
    for raw in held:
        raw.close()
    assert refused >= 30, refused
    assert grown < 64 + 40, f"RSS grew by {grown:.0f} MiB"
    assert health(server) == 200


# 8. Pipelined answers are sent before the error that follows them.


def test_a_pipelined_request_is_answered_before_the_garbage_after_it(server: LiveServer) -> None:
    token = access_token(server)
    raw = Raw(server)
    raw.send(post("/item/remove", json.dumps({"access_token": token}).encode(),
                  head=credentials(server)) + b"\x16\x03\x01 not http\r\n\r\n")  # fmt: skip
    removed = raw.response()
    assert removed.status == 200, removed.body
    assert json.loads(removed.body)["request_id"]
    assert raw.response().error() == (400, "INVALID_REQUEST", "INVALID_BODY")
    assert raw.closed()


def test_pipelined_requests_are_answered_in_order(server: LiveServer) -> None:
    raw = Raw(server)
    requests = [
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        post("/item/get", b'{"access_token": "nope"}', head=credentials(server)),
    ] * 5
    raw.send(b"".join(requests))  # fmt: skip
    statuses = [raw.response().status for _ in requests]
    assert statuses == [200, 400] * 5
    raw.close()


# 11. RFC 9112's strict choices.


def test_http11_without_host_is_refused(server: LiveServer) -> None:
    raw = Raw(server)
    raw.send(post("/item/get", b"{}", head=credentials(server), host=False))
    assert raw.response().error() == (400, "INVALID_REQUEST", "INVALID_HEADERS")
    assert raw.closed()
    # HTTP/1.0 has no Host requirement.
    raw = Raw(server)
    raw.send(b"GET /health HTTP/1.0\r\n\r\n")
    assert raw.response().status == 200
    assert raw.closed()


@pytest.mark.parametrize("coding", [b"gzip, chunked", b"gzip", b"x-custom"])
def test_unknown_transfer_codings_are_refused_501(server: LiveServer, coding: bytes) -> None:
    raw = Raw(server)
    raw.send(b"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: %s\r\n\r\n2\r\n{}\r\n0\r\n\r\n" % coding)  # fmt: skip
    assert raw.response().error() == (501, "INVALID_REQUEST", "INVALID_HEADERS")
    assert raw.closed()


def test_whitespace_around_header_values_is_not_part_of_them(server: LiveServer) -> None:
    head = f"PLAID-CLIENT-ID: \t{server.client_id} \t\r\nPLAID-SECRET:  {server.secret}  \r\n"
    raw = Raw(server)
    raw.send(post("/item/get", b'{"access_token": "nope"}', head=head.encode()))
    # Authenticated: the answer is about the token, not the credentials.
    assert raw.response().error() == (400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
    raw.close()


@pytest.mark.parametrize("name", [b"PLAID-CLIENT-ID", b"PLAID-SECRET", b"Host", b"Content-Type"])
def test_repeated_single_headers_are_refused(server: LiveServer, name: bytes) -> None:
    raw = Raw(server)
    raw.send(post("/item/get", b'{"access_token": "nope"}',
                  head=credentials(server) + name + b": again\r\n"))  # fmt: skip
    assert raw.response().error() == (400, "INVALID_REQUEST", "INVALID_HEADERS")
    assert raw.closed()


def test_expect_continue_is_answered_before_the_body(server: LiveServer) -> None:
    body = b'{"access_token": "nope"}'
    raw = Raw(server)
    request = post("/item/get", body, head=credentials(server) + b"Expect: 100-continue\r\n")
    raw.send(request[: -len(body)])
    assert raw.response().status == 100
    raw.send(body)
    assert raw.response().error() == (400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
    raw.close()
