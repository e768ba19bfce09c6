"""The ASGI application: the route table in front of the handlers.

It is built by the composition root (`tokenbridge.app.create_app`), which hands it the
route table and how to start and stop the services; it knows no store, bank or sender.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec

from tokenbridge.domain import errors
from tokenbridge.domain.catalog import API_VERSIONS, DEFAULT_API_VERSION
from tokenbridge.domain.models import Fault
from tokenbridge.domain.ports import Faults
from tokenbridge.domain.services import Services
from tokenbridge.http.errors import render, render_unexpected
from tokenbridge.http.parsing import (
    Mismatch,
    convert,
    decode_request,
    inspect_body,
    read_credentials,
)
from tokenbridge.http.router import Operation, Receive, Router, Scope, Send, normalised
from tokenbridge.http.views import Context

log = logging.getLogger("tokenbridge.http")

_encoder = msgspec.json.Encoder()
_JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]
_KNOWN_VERSIONS = frozenset(API_VERSIONS)


class TokenBridgeApp:
    """The API. `start` builds the services (at the ASGI lifespan's start-up, or when the
    caller awaits `startup()`); `stop` releases them at shutdown."""

    def __init__(
        self,
        router: Router,
        start: Callable[[], Awaitable[Services]],
        stop: Callable[[Services], Awaitable[None]],
        max_body_bytes: int = 1024 * 1024,
    ) -> None:
        self.router = router
        self.max_body_bytes = max_body_bytes
        self.services: Services | None = None
        self._start = start
        self._stop = stop

    async def startup(self) -> None:
        if self.services is None:
            self.services = await self._start()
            self._request_id = self.services.ids.request_id
            self._authenticate = self.services.clients.authenticate
            self._faults: Faults = self.services.faults

    async def shutdown(self) -> None:
        if self.services is not None:
            await self._stop(self.services)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        # Every request passes here: the steps are inline rather than in helpers, since
        # each call and await is a measurable share of a request (docs/PERFORMANCE.md).
        assert self.services is not None, "the app serves only after start-up"
        request_id = self._request_id()
        path: str = scope["path"]
        method: str = scope["method"]
        router = self.router
        try:
            route = router.operations.get(path)
            if route is not None and method == "POST":
                status, body = await self._operation(route, scope, receive, request_id)
            else:
                endpoint = router.endpoints.get(path)
                if endpoint is not None and method == "GET":
                    status, body = endpoint.respond()
                else:
                    mount = router.mount_for(path) if router.mounts else None
                    if mount is None:
                        answer = await self._unmatched(scope, receive, send, request_id)
                        if answer is None:
                            return
                        status, body = answer
                    else:
                        await mount.app(scope, receive, send)
                        return
        except errors.PlaidError as exc:
            status, body = render(exc, request_id)
        except Dropped:
            return
        except Exception as exc:
            status, body = render_unexpected(exc, request_id)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *_JSON_HEADERS,
                    (b"content-length", b"%d" % len(body)),
                    (b"x-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.error("start-up failed: %s", exc)
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                # What start-up built (modules, routes, schemas) lives as long as the
                # server: kept out of the cyclic collector's passes, a full pass no longer
                # walks it, which took about 4% of a write's time under load.
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _unmatched(
        self, scope: Scope, receive: Receive, send: Send, request_id: str
    ) -> tuple[int, bytes] | None:
        """A request whose path is not in the table as sent: served as the path it means
        (`//item/get`, `/item/get/`: router.normalised), or a 404 naming it. The answer, or
        None once a mount has answered."""
        router = self.router
        path: str = scope["path"]
        method: str = scope["method"]
        meant = normalised(path)
        if meant != path:
            route = router.operations.get(meant)
            if route is not None and method == "POST":
                return await self._operation(route, scope, receive, request_id)
            endpoint = router.endpoints.get(meant)
            if endpoint is not None and method == "GET":
                return endpoint.respond()
        found = router.mount_for_sent(path) if router.mounts else None
        if found is None:
            raise router.not_found(path, method)
        mount, mount_path = found
        await mount.app({**scope, "path": mount_path}, receive, send)
        return None

    async def _operation(
        self, route: Operation, scope: Scope, receive: Receive, request_id: str
    ) -> tuple[int, bytes]:
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"")
        if content_type != b"application/json":
            _check_content_type(content_type)
        version = headers.get(b"plaid-version")
        api_version = DEFAULT_API_VERSION
        if version is not None:
            api_version = version.decode("latin-1")
            if api_version not in _KNOWN_VERSIONS:
                raise errors.InvalidHeaders(
                    f"Plaid-Version must be one of {', '.join(API_VERSIONS)}"
                )
        limit = self.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise errors.InvalidBody(f"body must be at most {limit} bytes")
        # Nearly every body arrives in one message; _read_rest gathers the others.
        message = await receive()
        raw: bytes = message.get("body", b"")
        if len(raw) > limit or message.get("more_body", False):
            raw = await read_rest(receive, raw, limit)
        # The client is known before the body is parsed beyond its credentials, so a body
        # from someone without credentials costs about what reading its bytes costs.
        header_id = headers.get(b"plaid-client-id")
        header_secret = headers.get(b"plaid-secret")
        if header_id and header_secret:  # what every SDK sends
            client_id, secret = header_id.decode("latin-1"), header_secret.decode("latin-1")
        else:
            client_id, secret = _credentials(headers, read_credentials(raw))
        client = await self._authenticate(client_id, secret)
        # A fault rule costs this one check on a call whose client's world has none.
        if client.faulted or self._faults.server_wide:
            fault = await self._faults.fault_for(client, route.path)
            if fault is not None:
                answer = await _apply(fault, scope, request_id)
                if answer is not None:
                    return answer
        try:
            request = decode_request(raw, route.shape)
        except Mismatch as mismatch:
            # The typed decode stops at the first fault; Plaid lists every missing or unknown
            # field, and the earliest check decides (docs/ERRORS.md): look again, in order.
            data = inspect_body(raw)
            _credentials(headers, data)
            request = convert(data, route.shape, mismatch)
        else:
            if request.client_id is not None or request.secret is not None:
                _credentials(headers, {"client_id": request.client_id, "secret": request.secret})
        assert self.services is not None
        context = Context(self.services, client, api_version, request_id)
        response = await route.handler(context, request)
        response.request_id = request_id  # type: ignore[attr-defined]
        return 200, _encoder.encode(response)


class Dropped(Exception):
    """A fault rule dropped the connection: the app sends nothing."""


# The scope extension by which the server's own HTTP protocol (http/protocol.py) lets the
# app close the connection without a byte of answer.
DROP_EXTENSION = "tokenbridge.drop"


async def _apply(fault: Fault, scope: Scope, request_id: str) -> tuple[int, bytes] | None:
    """Do what a fault rule says to the call: wait, then drop the connection (Dropped)
    or answer its error; None to answer the call as usual."""
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.drop:
        drop = scope.get("extensions", {}).get(DROP_EXTENSION)
        if drop is not None:
            drop()
        # Under another ASGI server the app returns without an answer, which that
        # server answers as it answers any app that does (uvicorn's own protocol, a 500).
        raise Dropped()
    if fault.error is None:
        return None
    status, body = render(fault.error, request_id)
    return fault.status or status, body


def _check_content_type(value: bytes) -> None:
    """Accept any spelling of application/json (parameters, case, spaces); refuse the rest."""
    content_type = value.split(b";", 1)[0].strip().lower()
    if not content_type:
        # https://plaid.com/docs/errors/invalid-request/#invalid_headers: "a required
        # header is missing, typically the Content-Type header"; a wrong one is INVALID_BODY.
        raise errors.InvalidHeaders("Content-Type header is missing")
    if content_type != b"application/json":
        raise errors.InvalidBody("content-type must be application/json")


def _credentials(headers: dict[bytes, bytes], data: Mapping[str, Any]) -> tuple[str, str]:
    """client_id and secret, from the PLAID-CLIENT-ID / PLAID-SECRET headers or the body
    (`data`: the body's object, or at least its client_id and secret); INVALID_FIELD if the
    body's are not strings or differ from the headers', MISSING_FIELDS if either is absent."""
    in_headers = headers.get(b"plaid-client-id"), headers.get(b"plaid-secret")
    if in_headers[0] and in_headers[1] and "client_id" not in data and "secret" not in data:
        # Both in headers only (a request whose body failed its typed decode): the loop
        # below would find the same.
        return in_headers[0].decode("latin-1"), in_headers[1].decode("latin-1")
    found: list[str | None] = []
    for name, header in (("client_id", b"plaid-client-id"), ("secret", b"plaid-secret")):
        in_header = headers.get(header)
        in_body = data.get(name)
        if in_body is not None and not isinstance(in_body, str):
            raise errors.InvalidField(f"{name} must be a string")
        value = in_header.decode("latin-1") if in_header is not None else in_body
        if (
            in_header is not None
            and in_body is not None
            and not hmac.compare_digest(in_header, in_body.encode("utf-8", "surrogatepass"))
        ):
            raise errors.InvalidField(f"{name} in the body does not match the header")
        found.append(value)
    missing = [n for n, v in zip(("client_id", "secret"), found, strict=True) if not v]
    client_id, secret = found
    if not client_id or not secret:
        raise errors.MissingFields(missing)
    return client_id, secret


async def read_rest(receive: Receive, first: bytes, limit: int) -> bytes:
    """The whole body after its `first` part; INVALID_BODY once it exceeds `limit`."""
    if len(first) > limit:
        raise errors.InvalidBody(f"body must be at most {limit} bytes")
    chunks = [first]
    size = len(first)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.InvalidBody(f"body must be at most {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
