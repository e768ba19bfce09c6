"""Hostile-input rows that need a real server and socket: size limits and memory."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import LiveServer

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory: Path = tmp_path_factory.mktemp("hostile-live")
    live = LiveServer(f"sqlite:///{directory / 'tb.db'}")
    live.start()
    yield live
    live.stop()


def headers(server: LiveServer) -> dict[str, str]:
    return {
        "PLAID-CLIENT-ID": server.client_id,
        "PLAID-SECRET": server.secret,
        "Content-Type": "application/json",
    }


def rss_kib(server: LiveServer) -> int:
    """The server process's resident set size (VmRSS), in KiB."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


def error_code(response: httpx.Response) -> tuple[int, str, str]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    return response.status_code, body["error_type"], body["error_code"]


def test_streamed_fifty_mib_body_is_refused_and_memory_stays_flat(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers=headers(server), timeout=60) as client:
        for _ in range(20):  # warm up: every lazy import and cache is filled before measuring
            client.post("/item/get", json={"access_token": "a"})
        before = rss_kib(server)

        def body() -> Iterator[bytes]:
            # Chunked, no Content-Length: the limit must be enforced while reading.
            yield b'{"access_token": "'
            chunk = b"a" * 65536
            for _ in range(50 * 16):
                yield chunk
            yield b'"}'

        response = client.post("/item/get", content=body())
        assert error_code(response) == (400, "INVALID_REQUEST", "INVALID_BODY")
        assert response.json()["error_message"] == f"body must be at most {MIB} bytes"
        grown = rss_kib(server) - before
        assert grown < 8 * 1024, f"RSS grew by {grown} KiB"
        # The server is still serving.
        again = client.post("/item/get", json={"access_token": "a"})
        assert error_code(again) == (400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")


def read_response(connection: socket.socket) -> tuple[bytes, bytes]:
    """One HTTP response's head and its Content-Length bytes of body, however they arrive."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))  # fmt: skip
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, f"connection closed after {body!r}"
        body += chunk
    return head, body


def test_declared_length_over_the_limit_is_refused_before_the_body(server: LiveServer) -> None:
    request = (
        f"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"PLAID-CLIENT-ID: {server.client_id}\r\nPLAID-SECRET: {server.secret}\r\n"
        f"Content-Length: {50 * MIB}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)  # and not one byte of the body
        head, body = read_response(connection)
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b'"error_code":"INVALID_BODY"' in body


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b'{"access_token": "\xff"}', "application/json", "INVALID_BODY"),
        (b"[" * 10_000, "application/json", "INVALID_BODY"),
        (b'{"access_token": "a", "access_token": "b"}', "application/json", "INVALID_BODY"),
        (b'{"access_token": "a"}', "text/plain", "INVALID_BODY"),
        (b'{"access_token": "a\\u0000"}', "application/json", "INVALID_ACCESS_TOKEN"),
    ],
    ids=["utf8", "nesting", "duplicates", "content-type", "nul"],
)
def test_rows_through_the_real_server(
    server: LiveServer, content: bytes, content_type: str, expected: str
) -> None:
    sent = {**headers(server), "Content-Type": content_type}
    response = httpx.post(server.url + "/item/get", content=content, headers=sent, timeout=10)
    assert error_code(response)[2] == expected


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_through_the_real_server(server: LiveServer, method: str) -> None:
    response = httpx.request(method, server.url + "/item/get", headers=headers(server), timeout=10)
    assert error_code(response) == (404, "INVALID_REQUEST", "NOT_FOUND")


@pytest.mark.parametrize(
    "raw",
    [
        b"\x16\x03\x01\x02\x00garbage that is no request line\r\n\r\n",
        b"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\x00b\r\n\r\n",
        b"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
        b"POST /item/get HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["not-http", "nul-in-header", "negative-length", "broken-chunking"],
)
def test_unparsable_http_gets_a_plaid_error(server: LiveServer, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(raw)
        head, body = read_response(connection)
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_BODY")
    assert error["request_id"]
