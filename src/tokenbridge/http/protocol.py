"""The HTTP/1.1 connection: bytes in, complete requests to the app, responses out, in order.

uvicorn runs the processes, sockets, signals and the ASGI lifespan; this protocol replaces
its per-connection HTTP handling, because that handling let through what a hostile client
sends below the application (issue: chunked trailers appended to a request's headers, a
body skipped and then parsed as a request after `Connection: Upgrade`, no limit on the
head, no timeout before the first request, unfinished bodies held without bound). The
parsing itself is llhttp's (through httptools), which refuses malformed HTTP; this layer
adds what a server must decide:

- **Only complete requests reach the app.** The body is read here, within its limits, and
  the app is called once it has all of it: a half-sent body costs the app nothing, and the
  bytes it holds count against a per-process budget.
- **The head is bounded while it is read**: the request line, each field line, the whole
  head and the number of fields (414 and 431); the parser never buffers more than one read
  past the limit, so a megabyte header cannot stall the event loop.
- **RFC 9112's strict choices**: `Host` is required on HTTP/1.1 and must not repeat;
  transfer codings other than `chunked` are refused (501); whitespace around a field value
  is dropped; fields that must occur once (credentials, lengths) are refused when repeated;
  trailer fields are refused, never merged into the headers.
- **`Upgrade` is ignored**: we serve no other protocol, so the request is answered in
  HTTP/1.1 and its body is read as any body is (llhttp would otherwise skip it and parse
  it as the next request).
- **Responses keep their order**: requests on one connection run one after another, and an
  error in a later pipelined request is answered only after the answers before it.
- **Timeouts and a cap**: an idle connection (no request begun) is closed after
  `idle_timeout`; a request's head must arrive within `head_timeout` of its first byte and
  its body within `body_timeout` of its head (408); past `max_connections` a new connection
  gets a 503 and is closed. One timer per process sweeps the deadlines, so no request pays
  for a timer of its own.

Every refusal is a PlaidError body with the status the HTTP rule calls for.
"""

from __future__ import annotations

import asyncio
import http
import logging
import secrets
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.server import ServerState

from tokenbridge.domain import errors
from tokenbridge.http.errors import render

log = logging.getLogger("tokenbridge.http")
access_log = logging.getLogger("uvicorn.access")

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one connection, and one process, may hold and for how long (docs/DEPLOYMENT.md,
    "Limits and timeouts")."""

    max_url_bytes: int = 8 * KIB
    # One field line (name and value) and the whole head, request line included.
    max_field_bytes: int = 8 * KIB
    max_head_bytes: int = 32 * KIB
    max_fields: int = 100
    max_body_bytes: int = MIB
    # Body bytes held by all requests of one process that are not complete yet.
    max_buffered_body_bytes: int = 64 * MIB
    max_connections: int = 1024
    idle_timeout: float = 5.0
    head_timeout: float = 10.0
    body_timeout: float = 30.0


# Fields that mean one thing only once. Two `Host`s is a 400 by RFC 9112 section 3.2; two
# lengths or codings is how requests are smuggled; two credentials would let a gateway
# check one while the app uses the other.
_SINGLE = frozenset(
    {
        b"host",
        b"content-length",
        b"transfer-encoding",
        b"content-type",
        b"plaid-client-id",
        b"plaid-secret",
        b"plaid-version",
        b"authorization",
    }
)
_STATUS_LINE = {
    status.value: b"HTTP/1.1 %d %s\r\n" % (status.value, status.phrase.encode())
    for status in http.HTTPStatus
}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# How often the deadlines are swept: a timeout fires up to this much late.
_SWEEP_SECONDS = 0.5
# How long, and how many, of a closing connection's late bytes are read and dropped.
_LINGER = 2.0
_LINGER_BYTES = 4 * MIB

# What the connection is reading, which decides its deadline: nothing (between requests),
# a request's head, or its body.
_IDLE, _HEAD, _BODY = range(3)


class Refusal(Exception):
    """A request this layer answers itself, with `status`, and then closes the connection."""

    def __init__(self, status: int, error: errors.PlaidError) -> None:
        super().__init__(error.error_message)
        self.status = status
        self.error = error


def _error_response(status: int, error: errors.PlaidError, default_headers: Any) -> bytes:
    request_id = secrets.token_urlsafe(11)
    _, body = render(error, request_id)
    head = [_STATUS_LINE[status]]
    for name, value in default_headers:
        head.extend([name, b": ", value, b"\r\n"])
    head.append(
        b"content-type: application/json; charset=utf-8\r\ncontent-length: %d\r\n"
        b"x-request-id: %s\r\nconnection: close\r\n\r\n" % (len(body), request_id.encode())
    )
    head.append(body)
    return b"".join(head)


class _Process:
    """What the connections of one server process share: the count of buffered body bytes
    and the one timer that sweeps their deadlines."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.connections: set[PlaidHttpProtocol] = set()
        self.buffered = 0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, connection: PlaidHttpProtocol) -> None:
        self.connections.add(connection)
        if self._timer is None:
            self._timer = self.loop.call_later(_SWEEP_SECONDS, self._sweep)

    def _sweep(self) -> None:
        now = self.loop.time()
        for connection in [c for c in self.connections if c.deadline <= now]:
            connection.timed_out()
        # The timer stops by itself when the last connection is gone.
        self._timer = (
            self.loop.call_later(_SWEEP_SECONDS, self._sweep) if self.connections else None
        )


_processes: weakref.WeakKeyDictionary[ServerState, _Process] = weakref.WeakKeyDictionary()


class _Exchange:
    """One request and its response: the ASGI `receive` and `send` of one app call."""

    __slots__ = ("_ended", "body", "chunked", "done", "head", "keep_alive", "left", "protocol",
                 "scope")  # fmt: skip

    def __init__(self, protocol: PlaidHttpProtocol, scope: dict[str, Any], keep_alive: bool):
        self.protocol = protocol
        self.scope = scope
        self.body: bytes | None = None
        self.keep_alive = keep_alive
        self.head: bytes | None = None  # the response head, written with the first body
        self.chunked = False
        self.left = 0  # bytes of the declared response length still to send
        self.done = False
        self._ended: asyncio.Future[None] | None = None

    async def receive(self) -> dict[str, Any]:
        body = self.body
        if body is not None:
            self.body = None
            return {"type": "http.request", "body": body, "more_body": False}
        # The whole body was delivered: the next message is the end of the exchange.
        if not self.done and not self.protocol.closed:
            if self._ended is None:
                self._ended = self.protocol.loop.create_future()
            await self._ended
        return {"type": "http.disconnect"}

    def end(self) -> None:
        self.done = True
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)

    async def send(self, message: dict[str, Any]) -> None:
        protocol = self.protocol
        if protocol.write_paused is not None:
            await protocol.write_paused
        if self.done or protocol.closed:
            return
        kind = message["type"]
        if self.head is None and kind == "http.response.start":
            self.head = self._head(message["status"], message.get("headers", ()))
            return
        if self.head is None or kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        if self.scope["method"] == "HEAD":
            body = b""
            self.left = 0
        elif self.chunked:
            body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + (
                b"" if more else b"0\r\n\r\n"
            )
        else:
            self.left -= len(body)
            if self.left < 0 or (not more and self.left):
                raise RuntimeError("response body does not match its Content-Length")
        if self.head:
            body = self.head + body
            self.head = b""
        protocol.transport.write(body)
        if not more:
            self.end()
            protocol.response_complete(self)

    def _head(self, status: int, headers: Any) -> bytes:
        protocol = self.protocol
        head = [_STATUS_LINE.get(status) or b"HTTP/1.1 %d \r\n" % status]
        length = None
        for name, value in (*protocol.server_state.default_headers, *headers):
            lowered = name.lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"connection" and b"close" in value.lower():
                self.keep_alive = False
            head.extend([name, b": ", value, b"\r\n"])
        if length is None and status not in (204, 304) and self.scope["method"] != "HEAD":
            self.chunked = True
            head.append(b"transfer-encoding: chunked\r\n")
        self.left = length or 0
        if not self.keep_alive or protocol.shutting_down:
            self.keep_alive = False
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        if protocol.access_log:
            access_log.info(
                '%s - "%s %s HTTP/%s" %d',
                _client(self.scope),
                self.scope["method"],
                self.scope["path"],
                self.scope["http_version"],
                status,
            )
        return b"".join(head)


def _address(address: Any) -> tuple[str, int] | None:
    # An IPv6 peer is a 4-tuple; ASGI wants (host, port).
    return (str(address[0]), int(address[1])) if isinstance(address, tuple) else None


def _client(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


class PlaidHttpProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection. uvicorn makes one per connection (`config.http`), with the
    limits of `ServerConfig.limits`."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.limits: HttpLimits = getattr(config, "limits", None) or HttpLimits()
        self.server_state = server_state
        self.app_state = app_state
        self.access_log = config.access_log and access_log.hasHandlers()
        process = _processes.get(server_state)
        if process is None:
            process = _processes[server_state] = _Process(self.loop)
        self.process = process
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.parser = httptools.HttpRequestParser(self)
        # After a `Connection: close` request, what follows is not parsed (not an error).
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.closed = False
        self.lingering = False
        self.dropped = 0
        self.eof = False
        self.shutting_down = False
        self.phase = _IDLE
        self.deadline = float("inf")
        self.write_paused: asyncio.Future[None] | None = None
        self.stalled_until = float("inf")
        self.reading = True
        # The request being read.
        self.url = b""
        self.fields: list[tuple[bytes, bytes]] = []
        self.seen: set[bytes] = set()
        self.head_bytes = 0  # of the fields handed over, exact
        self.head_reads = 0  # of the reads after the one the head began in, raw
        self.head_done = False
        self.body = bytearray()
        self.expect_continue = False
        self.upgrade_left = 0  # body bytes to read ourselves after an ignored Upgrade
        self.scope: dict[str, Any] = {}
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int] | None = None
        # Requests read and waiting for the one running (pipelining), then a refusal that
        # is answered after them.
        self.running: _Exchange | None = None
        self.waiting: deque[_Exchange] = deque()
        self.refusal: bytes | None = None
        # Given to the app in every scope: a fault rule's `drop` (http/app.py).
        self.extensions = {"tokenbridge.drop": self.drop}

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if len(self.process.connections) >= self.limits.max_connections:
            # The cap counts this process's connections; the operator sees it in the log.
            log.warning("refused a connection: %d are open", len(self.process.connections))
            error = errors.InternalServerError("the server has too many open connections")
            self.transport.write(_error_response(503, error, self.server_state.default_headers))
            self.transport.close()
            self.closed = True
            return
        self.server_state.connections.add(self)  # type: ignore[arg-type]
        self.process.add(self)
        self.client = _address(transport.get_extra_info("peername"))
        self.server = _address(transport.get_extra_info("sockname"))
        self._read(_IDLE)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server_state.connections.discard(self)
        self.process.connections.discard(self)
        self._release_body()
        if self.running is not None:
            self.running.end()
        if self.write_paused is not None and not self.write_paused.done():
            self.write_paused.set_result(None)
        self.waiting.clear()
        self.parser = None  # type: ignore[assignment]

    def eof_received(self) -> bool | None:
        # A client that half-closes sends no more requests, but may still read the answers
        # owed to it: the transport stays open for them (True), or closes now (None).
        if self.lingering or (self.running is None and not self.waiting):
            return None
        self.eof = True
        return True

    def pause_writing(self) -> None:
        self.write_paused = self.loop.create_future()
        # A client that stops reading its answers holds the connection only so long.
        self.stalled_until = self.loop.time() + self.limits.body_timeout
        self.deadline = min(self.deadline, self.stalled_until)

    def resume_writing(self) -> None:
        paused, self.write_paused = self.write_paused, None
        if paused is not None and not paused.done():
            paused.set_result(None)
        self._read(self.phase)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            self.dropped += len(data)
            if self.dropped > _LINGER_BYTES:
                self.transport.close()
            return
        if self.refusal is not None:
            return  # a refusal is owed: what arrives is dropped
        if self.upgrade_left:
            self._upgraded_body(data)
            return
        if self.parser is None:
            return  # after an Upgrade request: the connection closes once it is answered
        if self.phase == _HEAD:
            # This read continues a head begun in an earlier one: bound it before the parser
            # buffers it (a field is handed over only once complete, so it is counted here).
            self.head_reads += len(data)
            if self.head_reads > self.limits.max_head_bytes:
                self._refuse(431, errors.InvalidHeaders("the request head is too large"))
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # llhttp stops after an Upgrade request's head, taking what follows for the
            # other protocol. We serve none: what follows is the request's body, read here,
            # and the connection closes after the answer (llhttp marks it not keep-alive),
            # so nothing after it is ever parsed as a request.
            self.parser = None  # type: ignore[assignment]
            rest = data[upgrade.args[0] :]
            if rest and self.upgrade_left:
                self._upgraded_body(rest)
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            if isinstance(cause, Refusal):
                self._refuse(cause.status, cause.error)
            else:
                self._refuse(400, errors.InvalidBody("request could not be parsed as HTTP/1.1"))

    # llhttp's callbacks

    def on_message_begin(self) -> None:
        self.url = b""
        self.fields = []
        self.seen = set()
        self.head_bytes = 0
        self.head_reads = 0
        self.head_done = False
        self.expect_continue = False
        self._read(_HEAD)

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.limits.max_url_bytes:
            raise Refusal(414, errors.InvalidHeaders("the request line is too long"))

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.head_done:
            # A trailer field: it would arrive after the app read the headers it replaces.
            raise Refusal(400, errors.InvalidHeaders("trailer fields are not accepted"))
        size = len(name) + len(value)
        limits = self.limits
        if size > limits.max_field_bytes or len(self.fields) >= limits.max_fields:
            raise Refusal(431, errors.InvalidHeaders("a request header field is too large"
                                                     " or there are too many"))  # fmt: skip
        self.head_bytes += size
        name = name.lower()
        if name in _SINGLE:
            if name in self.seen:
                raise Refusal(400, errors.InvalidHeaders(f"{name.decode()} is repeated"))
            self.seen.add(name)
            if name == b"transfer-encoding" and value.strip(b" \t").lower() != b"chunked":
                raise Refusal(501, errors.InvalidHeaders("Transfer-Encoding must be chunked"))
        elif name == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True
        # RFC 9110 section 5.5: whitespace around a field value is not part of it.
        self.fields.append((name, value.strip(b" \t")))

    def on_headers_complete(self) -> None:
        parser = self.parser
        limits = self.limits
        if self.head_bytes + len(self.url) > limits.max_head_bytes:
            raise Refusal(431, errors.InvalidHeaders("the request head is too large"))
        version = parser.get_http_version()
        if version == "1.1" and b"host" not in self.seen:
            raise Refusal(400, errors.InvalidHeaders("Host header is missing"))
        method = parser.get_method().decode("ascii")
        if parser.should_upgrade():
            if method == "CONNECT":
                raise Refusal(405, errors.NotFound("CONNECT is not served"))
            if b"transfer-encoding" in self.seen:
                raise Refusal(
                    400, errors.InvalidHeaders("an Upgrade request must not have a chunked body")
                )
            # llhttp skips the body of an Upgrade request; it is read in _upgraded_body.
            self.upgrade_left = self._declared_length()
        elif b"content-length" in self.seen and self._declared_length() > limits.max_body_bytes:
            raise Refusal(
                400, errors.InvalidBody(f"body must be at most {limits.max_body_bytes} bytes")
            )
        self.head_done = True
        self._read(_BODY)
        url = httptools.parse_url(self.url)
        raw_path: bytes = url.path
        path = raw_path.decode("latin-1")
        if "%" in path:
            from urllib.parse import unquote

            path = unquote(path)
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": version,
            "server": self.server,
            "client": self.client,
            "scheme": "http",
            "method": method,
            "root_path": "",
            "path": path,
            "raw_path": raw_path,
            "query_string": url.query or b"",
            "headers": self.fields,
            "state": self.app_state.copy(),
            "extensions": self.extensions,
        }
        if self.expect_continue and self.running is None and not self.waiting:
            self.transport.write(_CONTINUE)
            self.expect_continue = False

    def _declared_length(self) -> int:
        for name, value in self.fields:
            if name == b"content-length":
                return int(value)  # llhttp has checked it is a number
        return 0

    def on_body(self, chunk: bytes) -> None:
        self._add_body(chunk)

    def on_message_complete(self) -> None:
        if self.parser.should_upgrade():
            if not self.upgrade_left:
                self._complete(keep_alive=False)
            return  # else the body follows, past the parser (_upgraded_body)
        self._complete()

    # The request's body and its completion

    def _add_body(self, chunk: bytes) -> None:
        size = len(self.body) + len(chunk)
        if size > self.limits.max_body_bytes:
            raise Refusal(
                400, errors.InvalidBody(f"body must be at most {self.limits.max_body_bytes} bytes")
            )
        process = self.process
        if process.buffered + len(chunk) > self.limits.max_buffered_body_bytes:
            log.warning("refused a request: unfinished bodies hold %d bytes", process.buffered)
            raise Refusal(503, errors.InternalServerError("the server is holding too many"
                                                          " unfinished requests"))  # fmt: skip
        process.buffered += len(chunk)
        self.body += chunk

    def _release_body(self) -> None:
        self.process.buffered -= len(self.body)
        self.body = bytearray()

    def _complete(self, keep_alive: bool = True) -> None:
        keep_alive = keep_alive and self.parser.should_keep_alive()
        exchange = _Exchange(self, self.scope, keep_alive)
        exchange.body = bytes(self.body)
        self._release_body()
        if self.running is None:
            self._run(exchange)
        else:
            self.waiting.append(exchange)
            # One request runs at a time; reading stops until the queue is worked off.
            self._pause_reading()
        self._read(_IDLE)

    def _upgraded_body(self, data: bytes) -> None:
        """Take the body of an Upgrade request from `data`; what follows it is dropped."""
        taken = min(self.upgrade_left, len(data))
        try:
            self._add_body(data[:taken])
        except Refusal as refusal:
            self._refuse(refusal.status, refusal.error)
            return
        self.upgrade_left -= taken
        if not self.upgrade_left:
            self._complete(keep_alive=False)

    # Running the app, one request at a time

    def _run(self, exchange: _Exchange) -> None:
        self.running = exchange
        task = self.loop.create_task(self._call_app(exchange))
        tasks = self.server_state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _call_app(self, exchange: _Exchange) -> None:
        try:
            await self.app(exchange.scope, exchange.receive, exchange.send)
        except BaseException as exc:
            log.error("unexpected error in the app", exc_info=exc)
            if exchange.head is None and not exchange.done:
                self._write_error(500, errors.InternalServerError())
            else:
                self.transport.close()
            return
        if not exchange.done and not self.closed:
            log.error("the app returned without completing its response")
            self.transport.close()

    def response_complete(self, exchange: _Exchange) -> None:
        self.server_state.total_requests += 1
        self.running = None
        if self.closed:
            return
        if not exchange.keep_alive:
            self._finish()
            return
        if self.waiting:
            self._run(self.waiting.popleft())
            return
        if self.refusal is not None:
            self._finish(self.refusal)
            return
        if self.eof:
            self.transport.close()
            return
        if self.expect_continue and self.phase == _BODY:
            # The request being read waited for the answers before it.
            self.transport.write(_CONTINUE)
            self.expect_continue = False
        if not self.reading:
            self.reading = True
            self.transport.resume_reading()
        self._read(self.phase)

    def _read(self, phase: int) -> None:
        """Read `phase` next, under its deadline. None applies while the client waits for
        us: while a request runs, or while reading is paused."""
        if self.lingering:
            return
        self.phase = phase
        waiting_for_us = phase == _IDLE and (self.running is not None or self.waiting)
        if waiting_for_us or not self.reading:
            self.deadline = float("inf")
        elif phase == _HEAD:
            self.deadline = self.loop.time() + self.limits.head_timeout
        elif phase == _BODY:
            self.deadline = self.loop.time() + self.limits.body_timeout
        else:
            self.deadline = self.loop.time() + self.limits.idle_timeout
        if self.write_paused is not None:
            self.deadline = min(self.deadline, self.stalled_until)

    def _pause_reading(self) -> None:
        if self.reading:
            self.reading = False
            self.transport.pause_reading()
            self._read(self.phase)

    # Refusals, timeouts, shutdown

    def _refuse(self, status: int, error: errors.PlaidError) -> None:
        """Answer `error` after the requests already read, then close."""
        self._release_body()
        self.parser = None  # type: ignore[assignment]
        response = _error_response(status, error, self.server_state.default_headers)
        if self.running is None and not self.waiting:
            self._finish(response)
        else:
            self.refusal = response
            self._pause_reading()

    def _write_error(self, status: int, error: errors.PlaidError) -> None:
        self._finish(_error_response(status, error, self.server_state.default_headers))

    def _finish(self, last: bytes = b"") -> None:
        """Send `last` and close: our side at once, the connection after what the client
        still sends is read and dropped (for _LINGER seconds, up to _LINGER_BYTES).
        Closing with unread bytes would reset the connection, and the client could lose
        the answer (a body refused for its length is still arriving when it goes out)."""
        self.parser = None  # type: ignore[assignment]
        self.refusal = None
        if last:
            self.transport.write(last)
        if self.closed or not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.lingering = True
        if not self.reading:
            self.reading = True
            self.transport.resume_reading()
        self.deadline = self.loop.time() + _LINGER

    def drop(self) -> None:
        """Close the connection at once, without a byte of the running request's answer
        (a fault rule's `drop`); what the client pipelined after it is dropped too."""
        if not self.closed:
            self.closed = True
            self.waiting.clear()
            self.transport.close()

    def timed_out(self) -> None:
        self.deadline = float("inf")
        if self.closed:
            return
        if self.lingering:
            self.transport.close()
        elif self.write_paused is not None and self.stalled_until <= self.loop.time():
            self.closed = True
            self.transport.close()
        elif self.phase == _HEAD and self.reading:
            seconds = self.limits.head_timeout
            self._refuse(408, errors.InvalidHeaders(f"the request head took over {seconds:g} s"))
        elif self.phase == _BODY and self.reading:
            seconds = self.limits.body_timeout
            self._refuse(408, errors.InvalidBody(f"the request body took over {seconds:g} s"))
        else:
            # Idle, or a client that stopped reading its answers: nothing is owed to it.
            self.closed = True
            self.transport.close()

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: close when idle, else after the answer owed."""
        self.shutting_down = True
        if self.running is None and not self.waiting:
            self.transport.close()
        elif self.running is not None:
            self.running.keep_alive = False
