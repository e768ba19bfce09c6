"""The control API (ours, not Plaid's) and the webhook inboxes, each mounted under
/_tokenbridge/ (docs/TESTING.md).

The control API, at /_tokenbridge/control/, takes the admin key (`Authorization: Bearer
<TOKENBRIDGE_ADMIN_KEY>`) and nothing else: Plaid client credentials are never a way in. Its
operations are POSTs with JSON bodies, as Plaid's are, answered with JSON or a PlaidError.
An inbox, at /_tokenbridge/inbox/<inbox_id>, takes POSTs from anyone who knows its id (a
webhook receiver's URL is no secret from its sender), and its deliveries are read back
through the control API.

It lives in the HTTP layer, beside Plaid's operations, because it is made of the same
parts: the error rendering, the body limits and the OpenAPI document's generation.
"""

from __future__ import annotations

import hmac
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec import Struct

from tokenbridge.domain import errors
from tokenbridge.domain.dates import iso_datetime
from tokenbridge.domain.services import Services
from tokenbridge.domain.timeline import ClockReading
from tokenbridge.http.app import read_rest
from tokenbridge.http.errors import render, render_unexpected
from tokenbridge.http.router import OWN_PREFIX, Receive, Scope, Send

CONTROL_PREFIX = OWN_PREFIX + "control/"
INBOX_PREFIX = OWN_PREFIX + "inbox/"
_INBOX_ID = re.compile(r"[0-9a-f]{32}")
_JSON = (b"content-type", b"application/json; charset=utf-8")
_encoder = msgspec.json.Encoder()
_any_json = msgspec.json.Decoder()


# The operations' bodies and answers ----------------------------------------------------


class ClientCreateRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    name: str = "sandbox"


class ClientCreateResponse(Struct, kw_only=True):
    client_id: str
    secret: str


class PartnerCreateRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    client_id: str
    processor: str
    name: str | None = None


class PartnerCreateResponse(Struct, kw_only=True):
    client_id: str
    secret: str
    processor: str


class ClientResetRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    client_id: str


class ResetRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ResetResponse(Struct, kw_only=True):
    reset: bool


class InboxCreateRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class InboxCreateResponse(Struct, kw_only=True):
    inbox_id: str
    url: str


class InboxDeliveriesListRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    inbox_id: str
    after: int = 0
    limit: int = 1000


class InboxDelivery(Struct, kw_only=True):
    seq: int
    received_at: float
    headers: dict[str, str]
    body: str


class InboxDeliveriesListResponse(Struct, kw_only=True):
    deliveries: list[InboxDelivery]


class ClockGetRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    client_id: str


class ClockAdvanceRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    client_id: str
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0


class ClockResponse(Struct, kw_only=True):
    # The isolated client whose world the clock is (a partner's is its client's).
    client_id: str
    # ISO 8601, UTC, to the second, as Plaid writes times; and the same in Unix seconds.
    now: str
    unix_time: float
    # How far the clock is ahead of the real one.
    offset_seconds: float


# The handlers: (services, the request's base URL, its body) -> the answer.


async def client_create(
    services: Services, base: str, request: ClientCreateRequest
) -> ClientCreateResponse:
    """Create a sandbox client in a world of its own: its Items, tokens, partners and
    webhooks are seen by nobody else."""
    client, secret = await services.operator.create_sandbox_client(request.name)
    return ClientCreateResponse(client_id=client.client_id, secret=secret)


async def partner_create(
    services: Services, base: str, request: PartnerCreateRequest
) -> PartnerCreateResponse:
    """Create a processor partner in the client's world: it reads the processor tokens that
    client makes for the processor, and no others."""
    client, secret = await services.operator.create_partner(
        request.client_id, request.processor, request.name
    )
    return PartnerCreateResponse(client_id=client.client_id, secret=secret,
                                 processor=request.processor)  # fmt: skip


async def client_reset(services: Services, base: str, request: ClientResetRequest) -> ResetResponse:
    """Delete the client's Items, tokens, webhooks and rate-limit counters; the client and
    its partners keep their credentials."""
    await services.operator.reset_client(request.client_id)
    return ResetResponse(reset=True)


async def reset(services: Services, base: str, request: ResetRequest) -> ResetResponse:
    """Delete every client's data, every isolated client with its partners, and every
    inbox; clients made by the command line keep their credentials."""
    await services.operator.reset()
    return ResetResponse(reset=True)


async def inbox_create(
    services: Services, base: str, request: InboxCreateRequest
) -> InboxCreateResponse:
    """Create an inbox: a webhook URL served by this server, whose deliveries the control
    API reads back."""
    inbox_id = await services.operator.create_inbox()
    return InboxCreateResponse(inbox_id=inbox_id, url=f"{base}{INBOX_PREFIX}{inbox_id}")


async def inbox_deliveries_list(
    services: Services, base: str, request: InboxDeliveriesListRequest
) -> InboxDeliveriesListResponse:
    """The inbox's deliveries after number `after`, oldest first: each one's headers (lower
    case) and raw body, as received."""
    found = await services.operator.deliveries(request.inbox_id, request.after, request.limit)
    return InboxDeliveriesListResponse(deliveries=[
        InboxDelivery(seq=d.seq, received_at=d.received_at,
                      headers=msgspec.json.decode(d.headers), body=d.body)
        for d in found
    ])  # fmt: skip


def _clock(reading: ClockReading) -> ClockResponse:
    return ClockResponse(client_id=reading.client_id, now=iso_datetime(reading.now),
                         unix_time=reading.now, offset_seconds=reading.offset)  # fmt: skip


async def clock_get(services: Services, base: str, request: ClockGetRequest) -> ClockResponse:
    """Read the clock of the client's world: real time until it is first advanced."""
    return _clock(await services.operator.clock_get(request.client_id))


async def clock_advance(
    services: Services, base: str, request: ClockAdvanceRequest
) -> ClockResponse:
    """Move the clock of the client's world forward, and make what that time makes to its
    Items (daily transaction updates, the 30-day ITEM_LOGIN_REQUIRED, their webhooks)."""
    reading = await services.operator.clock_advance(
        request.client_id, days=request.days, hours=request.hours, minutes=request.minutes,
        seconds=request.seconds,
    )  # fmt: skip
    return _clock(reading)


@dataclass(frozen=True, slots=True)
class ControlOperation:
    """A control operation: POST CONTROL_PREFIX + `name`."""

    name: str
    handler: Callable[[Services, str, Any], Awaitable[Struct]]
    request: type[Struct]
    response: type[Struct]

    @property
    def path(self) -> str:
        return CONTROL_PREFIX + self.name

    @property
    def summary(self) -> str:
        return (inspect.getdoc(self.handler) or "").split("\n", 1)[0]


CONTROL_OPERATIONS: tuple[ControlOperation, ...] = (
    ControlOperation("client/create", client_create, ClientCreateRequest, ClientCreateResponse),
    ControlOperation("partner/create", partner_create, PartnerCreateRequest,
                     PartnerCreateResponse),
    ControlOperation("client/reset", client_reset, ClientResetRequest, ResetResponse),
    ControlOperation("reset", reset, ResetRequest, ResetResponse),
    ControlOperation("inbox/create", inbox_create, InboxCreateRequest, InboxCreateResponse),
    ControlOperation("inbox/deliveries/list", inbox_deliveries_list,
                     InboxDeliveriesListRequest, InboxDeliveriesListResponse),
    ControlOperation("clock/get", clock_get, ClockGetRequest, ClockResponse),
    ControlOperation("clock/advance", clock_advance, ClockAdvanceRequest, ClockResponse),
)  # fmt: skip
_BY_PATH = {op.path: op for op in CONTROL_OPERATIONS}


# The ASGI apps --------------------------------------------------------------------------


class _Edge:
    """What both mounts share: the services (built at start-up), the body limit, and the
    answer in JSON."""

    def __init__(self, services: Callable[[], Services | None], max_body_bytes: int) -> None:
        self._services = services
        self.max_body_bytes = max_body_bytes

    def services(self) -> Services:
        services = self._services()
        assert services is not None, "the app serves only after start-up"
        return services

    async def body(self, scope: Scope, receive: Receive) -> bytes:
        """The request's body, as Plaid's operations read it: INVALID_BODY beyond the
        limit, declared or sent."""
        limit = self.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise errors.InvalidBody(f"body must be at most {limit} bytes")
        message = await receive()
        raw: bytes = message.get("body", b"")
        if len(raw) > limit or message.get("more_body", False):
            raw = await read_rest(receive, raw, limit)
        return raw

    async def answer(
        self, send: Send, status: int, body: bytes, request_id: str,
        extra: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:  # fmt: skip
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [_JSON, (b"content-length", b"%d" % len(body)),
                        (b"x-request-id", request_id.encode()), *extra],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})


class ControlApp(_Edge):
    """The control API. Without an admin key (None), every request is refused."""

    def __init__(
        self, services: Callable[[], Services | None], admin_key: str | None,
        max_body_bytes: int,
    ) -> None:  # fmt: skip
        super().__init__(services, max_body_bytes)
        self._expected = b"Bearer " + admin_key.encode() if admin_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self.services()
        request_id = services.ids.request_id()
        extra: tuple[tuple[bytes, bytes], ...] = ()
        try:
            # The key first: without it, nothing about the request is looked at.
            sent = dict(scope["headers"]).get(b"authorization", b"")
            if self._expected is None or not hmac.compare_digest(sent, self._expected):
                extra = ((b"www-authenticate", b'Bearer realm="tokenbridge control"'),)
                if self._expected is None:
                    raise errors.InvalidAdminKey(
                        "this server has no admin key: start it with TOKENBRIDGE_ADMIN_KEY"
                        " set (tokenbridge serve makes one when it is not)"
                    )
                raise errors.InvalidAdminKey()
            op = _BY_PATH.get(scope["path"].rstrip("/"))
            if op is None:
                raise errors.NotFound(f"unknown control operation {scope['path']!r}")
            if scope["method"] != "POST":
                raise errors.NotFound(f"{op.path} takes POST, not {scope['method']}")
            raw = await self.body(scope, receive)
            request = _decode(raw or b"{}", op.request)
            answer = await op.handler(services, _base(scope), request)
            status, body = 200, _encoder.encode(answer)
        except errors.PlaidError as exc:
            status, body = render(exc, request_id)
        except Exception as exc:
            status, body = render_unexpected(exc, request_id)
        await self.answer(send, status, body, request_id, extra)


class InboxApp(_Edge):
    """The inboxes: POST /_tokenbridge/inbox/<inbox_id>, answered 200 `{}` once recorded."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self.services()
        request_id = services.ids.request_id()
        try:
            inbox_id = scope["path"][len(INBOX_PREFIX) :]
            if not _INBOX_ID.fullmatch(inbox_id):
                raise errors.NotFound("unknown inbox")
            if scope["method"] != "POST":
                raise errors.NotFound(f"an inbox takes POST, not {scope['method']}")
            raw = await self.body(scope, receive)
            headers: dict[str, str] = {}
            for name, value in scope["headers"]:
                key = name.decode("latin-1").lower()
                text = value.decode("latin-1")
                headers[key] = f"{headers[key]}, {text}" if key in headers else text
            await services.operator.receive(inbox_id, headers, raw)
            status, body = 200, b"{}"
        except errors.PlaidError as exc:
            status, body = render(exc, request_id)
        except Exception as exc:
            status, body = render_unexpected(exc, request_id)
        await self.answer(send, status, body, request_id)


def _decode(raw: bytes, shape: type[Struct]) -> Struct:
    """The body as `shape`: INVALID_BODY unless it is a JSON object, INVALID_FIELD for an
    unknown field or a value of the wrong type (as Plaid's operations answer,
    docs/ERRORS.md)."""
    try:
        decoded: Struct = msgspec.json.decode(raw, type=shape)
    except msgspec.ValidationError as exc:
        mismatch = exc
    except msgspec.DecodeError:
        raise errors.InvalidBody() from None
    else:
        return decoded
    # The typed decode stops at the first value of the wrong type, before the rest of the
    # body is read: `[1, 2` and `{"name": 7, ` are not JSON, whatever their first value.
    try:
        whole = _any_json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        raise errors.InvalidBody() from None
    if not isinstance(whole, dict):
        raise errors.InvalidBody("body must be a JSON object")
    raise errors.InvalidField(str(mismatch))


def _base(scope: Scope) -> str:
    """The URL this server was reached at (scheme and Host), for the URLs it hands out."""
    host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"
