"""The ASGI application: a path table in front of the handlers.

Plaid's API is a set of POST paths with JSON bodies and no path parameters, so a dict
lookup is the whole router; a framework's routing would cost more than the rest of a
request (PERFORMANCE-NOTES.md).
"""

from __future__ import annotations

import gc
import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from tokenbridge.domain import errors
from tokenbridge.domain.catalog import API_VERSIONS, DEFAULT_API_VERSION
from tokenbridge.domain.randomness import RandomSource
from tokenbridge.domain.ratelimits import rate_limiter
from tokenbridge.domain.service import TokenService
from tokenbridge.http import openapi
from tokenbridge.http.errors import render, render_unexpected
from tokenbridge.http.handlers import Context, Route, Services
from tokenbridge.http.parsing import convert, decode_object
from tokenbridge.http.routes import ROUTES
from tokenbridge.settings import Settings
from tokenbridge.storage import Store, open_store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("tokenbridge.http")

_encoder = msgspec.json.Encoder()
_JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]
_HEALTH = b'{"status":"ok"}'
_KNOWN_VERSIONS = frozenset(API_VERSIONS)


class TokenBridgeApp:
    """The API. `store` may be given open; otherwise the ASGI lifespan opens it."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.random = RandomSource(settings.seed)
        self.service: TokenService | None = None
        self.services: Services | None = None
        self._openapi: bytes | None = None
        if store is not None:
            self._build(store)

    def _build(self, store: Store) -> None:
        limiter = rate_limiter(self.settings.rate_limits, store, self.settings.rate_limit_scale)
        self.service = TokenService(
            store, self.random, self.settings.environment, rate_limiter=limiter
        )
        self.services = Services.over(self.service)

    async def startup(self) -> None:
        if self.service is None:
            self._build(await open_store(self.settings.database_url))
        assert self.service is not None
        if self.random.seeded:
            self.random.resume(await self.service.store.count_items())
        if self.settings.client_id and self.settings.secret:
            await self.service.pin_client(self.settings.client_id, self.settings.secret, "sandbox")

    async def shutdown(self) -> None:
        if self.services is not None:
            # Webhooks already accepted are delivered (or given up) before the store closes.
            await self.services.webhooks.drain()
            await self.services.tokens.store.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        # Every request passes here: the steps are inline rather than in helpers, since
        # each call and await is a measurable share of a request (docs/PERFORMANCE.md).
        assert self.service is not None, "the app serves only after start-up"
        request_id = self.service.request_id()
        path: str = scope["path"]
        method: str = scope["method"]
        try:
            route = ROUTES.get(path)
            if route is not None and method == "POST":
                status, body = await self._operation(route, scope, receive, request_id)
            elif method == "GET" and path == "/health":
                status, body = 200, _HEALTH
            elif method == "GET" and path == "/openapi.json":
                status, body = 200, self._openapi_document()
            else:
                raise errors.NotFound()
        except errors.PlaidError as exc:
            status, body = render(exc, request_id)
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

    def _openapi_document(self) -> bytes:
        """The OpenAPI document of the routes, built on first use (all are registered by then)."""
        if self._openapi is None:
            self._openapi = openapi.encode(openapi.build())
        return self._openapi

    async def _operation(
        self, route: Route, scope: Scope, receive: Receive, request_id: str
    ) -> tuple[int, bytes]:
        assert self.service is not None
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
        limit = self.settings.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise errors.InvalidBody(f"body must be at most {limit} bytes")
        # Nearly every body arrives in one message; _read_rest gathers the others.
        message = await receive()
        raw: bytes = message.get("body", b"")
        if len(raw) > limit or message.get("more_body", False):
            raw = await _read_rest(receive, raw, limit)
        data = decode_object(raw)
        client_id, secret = _credentials(headers, data)
        request = convert(data, route.shape)
        client = await self.service.authenticate(client_id, secret)
        assert self.services is not None
        context = Context(self.services, client, api_version, request_id)
        response = await route.handler(context, request)
        response.request_id = request_id  # type: ignore[attr-defined]
        return 200, _encoder.encode(response)


def _check_content_type(value: bytes) -> None:
    """Accept any spelling of application/json (parameters, case, spaces); refuse the rest."""
    content_type = value.split(b";", 1)[0].strip().lower()
    if not content_type:
        # https://plaid.com/docs/errors/invalid-request/#invalid_headers: "a required
        # header is missing, typically the Content-Type header"; a wrong one is INVALID_BODY.
        raise errors.InvalidHeaders("Content-Type header is missing")
    if content_type != b"application/json":
        raise errors.InvalidBody("content-type must be application/json")


def _credentials(headers: dict[bytes, bytes], data: dict[str, Any]) -> tuple[str, str]:
    """client_id and secret, from the PLAID-CLIENT-ID / PLAID-SECRET headers or the body."""
    in_headers = headers.get(b"plaid-client-id"), headers.get(b"plaid-secret")
    if in_headers[0] and in_headers[1] and "client_id" not in data and "secret" not in data:
        # The common case, and the loop below would find the same: both in headers only.
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


async def _read_rest(receive: Receive, first: bytes, limit: int) -> bytes:
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


def create_app(settings: Settings, store: Store | None = None) -> TokenBridgeApp:
    return TokenBridgeApp(settings, store)


def app_from_env() -> TokenBridgeApp:
    """The factory that `--workers N` worker processes call (settings from TOKENBRIDGE_*)."""
    from tokenbridge.settings import from_env

    return create_app(from_env())
