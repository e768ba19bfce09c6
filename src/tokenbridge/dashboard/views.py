"""The dashboard's ASGI app: parse the request, ask the operator service, render a page.

There is no web framework in the project (http/router.py says why), and the dashboard
needs little of one: a handful of GET pages, POST forms that redirect back (POST, redirect,
GET, with a message chosen from a fixed table so that nothing of the request is echoed),
and a stylesheet. Errors are the domain's PlaidErrors, rendered as a page in one place
(`_error_page`) with their status, error_type and error_code.

The pages of an Item and of a client list their actions as forms (`ITEM_ACTIONS`,
`CLIENT_ACTIONS`): a new action is one more entry, with its handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode

from tokenbridge.dashboard.sessions import Gate, Session
from tokenbridge.domain import errors
from tokenbridge.domain.errors import status_of
from tokenbridge.domain.operator import OperatorService
from tokenbridge.domain.ports import StoreUnavailable
from tokenbridge.domain.services import Services
from tokenbridge.http.app import read_rest
from tokenbridge.http.router import DASHBOARD_PREFIX, Receive, Scope, Send

if TYPE_CHECKING:
    from jinja2 import Environment

log = logging.getLogger("tokenbridge.dashboard")

# The page's own origin only: no script, style or image from elsewhere, no framing.
_SECURITY_HEADERS = (
    (b"content-security-policy",
     b"default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Not no-referrer: under it a browser sends `Origin: null` with a form.
    (b"referrer-policy", b"same-origin"),
)  # fmt: skip
_NO_STORE = (b"cache-control", b"no-store")
_HTML = b"text/html; charset=utf-8"
# A form is a few short fields; a query string too.
MAX_FORM_BYTES = 4096
MAX_QUERY_BYTES = 2048
_MAX_FIELDS = 20
# Every id the dashboard's paths name (Items, clients) is made of these.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_STATIC = {"dashboard.css": b"text/css; charset=utf-8"}


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: bytes = _HTML
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    cache: bool = False


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # under /dashboard, from "/"
    query: dict[str, list[str]]
    headers: dict[bytes, bytes]
    origin: str  # this server's, as the browser reached it
    request_id: str

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


# Actions -------------------------------------------------------------------------------

Form = dict[str, list[str]]
ActionHandler = Callable[[OperatorService, str, Form], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Action:
    """A form on a page: POST <page>/<name>; `handler` does it and names the message shown
    after the redirect (a key of FLASH)."""

    name: str
    label: str
    handler: ActionHandler
    # The selects of the form, each (field name, choices), when the action takes some.
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    danger: bool = False
    # Offered on an isolated client's page only (a clock of its own).
    isolated_only: bool = False
    # Choices known only to the running server (the paths it serves), added at each page.
    served: Callable[[OperatorService], tuple[tuple[str, tuple[str, ...]], ...]] | None = None

    def offered(self, operator: OperatorService) -> Action:
        """The action with every choice it offers on this server."""
        if self.served is None:
            return self
        return replace(self, choices=self.served(operator) + self.choices)


async def _reset_login(operator: OperatorService, item_id: str, form: Form) -> str:
    await operator.item_reset_login(item_id)
    return "reset_login"


async def _repair(operator: OperatorService, item_id: str, form: Form) -> str:
    return "repair" if await operator.item_repair(item_id) else "repair_none"


async def _fire_webhook(operator: OperatorService, item_id: str, form: Form) -> str:
    code = _field(form, "webhook_code")
    if code is None:
        raise errors.InvalidField("choose a webhook_code")
    await operator.item_fire_webhook(item_id, code)
    return "fire_webhook"


async def _remove(operator: OperatorService, item_id: str, form: Form) -> str:
    await operator.item_remove(item_id)
    return "remove"


# The steps the clock form offers, as clock_advance's arguments.
CLOCK_STEPS: dict[str, dict[str, float]] = {
    "1 hour": {"hours": 1}, "1 day": {"days": 1}, "7 days": {"days": 7},
    "30 days": {"days": 30},
}  # fmt: skip


async def _advance_clock(operator: OperatorService, client_id: str, form: Form) -> str:
    step = CLOCK_STEPS.get(_field(form, "advance") or "")
    if step is None:
        raise errors.InvalidField("advance must be one of " + ", ".join(CLOCK_STEPS))
    await operator.clock_advance(client_id, **step)
    return "advance_clock"


async def _add_fault(operator: OperatorService, client_id: str, form: Form) -> str:
    # The next call to the path answers the error; the control API takes every other kind
    # of rule (latency, drop, a share of calls).
    await operator.add_fault(
        client_id, _field(form, "path"), error_code=_field(form, "error_code"), times=1
    )
    return "add_fault"


async def _clear_faults(operator: OperatorService, client_id: str, form: Form) -> str:
    await operator.remove_faults(client_id, None)
    return "clear_faults"


ITEM_ACTIONS: tuple[Action, ...] = (
    Action("reset_login", "Reset login", _reset_login),
    Action("repair", "Repair", _repair),
    Action("fire_webhook", "Fire webhook", _fire_webhook,
           choices=(("webhook_code", OperatorService.fireable_codes()),)),
    Action("remove", "Remove Item", _remove, danger=True),
)  # fmt: skip
CLIENT_ACTIONS: tuple[Action, ...] = (
    Action("advance_clock", "Advance clock", _advance_clock,
           choices=(("advance", tuple(CLOCK_STEPS)),), isolated_only=True),
    Action("add_fault", "Add fault", _add_fault,
           choices=(("error_code", OperatorService.fault_codes()),),
           served=lambda operator: (("path", operator.fault_paths()),)),
    Action("clear_faults", "Clear faults", _clear_faults),
)  # fmt: skip
_ITEM_ACTIONS = {a.name: a for a in ITEM_ACTIONS}
_CLIENT_ACTIONS = {a.name: a for a in CLIENT_ACTIONS}

# What a page says after an action: fixed text, chosen by the redirect's `done`.
FLASH = {
    "reset_login": "Reset login: the Item is now in ITEM_LOGIN_REQUIRED.",
    "repair": "Repaired: the Item is healthy again.",
    "repair_none": "The Item was not in error: nothing to repair.",
    "fire_webhook": "The webhook is in the outbox.",
    "remove": "The Item is removed: its tokens no longer work.",
    "advance_clock": "The client's clock moved on, and what that time makes to its Items is made.",
    "add_fault": "The fault rule is added: the next call to that path answers its error.",
    "clear_faults": "The client's fault rules are removed.",
    "logout": "Logged out.",
}


# The app ---------------------------------------------------------------------------------


class DashboardApp:
    """The dashboard, mounted at /dashboard/. `services` are the app's, built at start-up."""

    def __init__(
        self, services: Callable[[], Services | None], admin_key: str | None,
        max_body_bytes: int,
    ) -> None:  # fmt: skip
        self._services = services
        self.gate = Gate(admin_key)
        self.max_form_bytes = min(MAX_FORM_BYTES, max_body_bytes)
        self._templates: Environment | None = None

    @property
    def templates(self) -> Environment:
        """The templates, loaded at the first page: Jinja2 takes a tenth of the app's import
        time, which a server that only answers Plaid's API (most of them) never pays."""
        if self._templates is None:
            from jinja2 import Environment, PackageLoader

            environment = Environment(
                loader=PackageLoader("tokenbridge.dashboard", "templates"),
                autoescape=True,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            environment.filters["when"] = _when
            environment.filters["age"] = _age
            environment.filters["q"] = lambda value: quote(str(value), safe="")
            environment.globals["query"] = query
            self._templates = environment
        return self._templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self._services()
        assert services is not None, "the app serves only after start-up"
        request_id = services.ids.request_id()
        try:
            request = _request(scope, request_id)
            response = await self._handle(request, receive, services.operator)
        except errors.PlaidError as exc:
            response = self._error_page(exc, request_id)
        except Exception as exc:
            if isinstance(exc, StoreUnavailable):
                log.error("request %s: database unavailable: %s", request_id, exc)
            else:
                log.error("request %s: unexpected error", request_id, exc_info=exc)
            response = self._error_page(errors.InternalServerError(), request_id)
        headers = [
            (b"content-type", response.content_type),
            (b"content-length", b"%d" % len(response.body)),
            (b"x-request-id", request_id.encode()),
            *_SECURITY_HEADERS,
            (b"cache-control", b"public, max-age=3600") if response.cache else _NO_STORE,
            *response.headers,
        ]
        await send({"type": "http.response.start", "status": response.status,
                    "headers": headers})  # fmt: skip
        await send({"type": "http.response.body", "body": response.body})

    async def _handle(
        self, request: Request, receive: Receive, operator: OperatorService
    ) -> Response:
        path, method = request.path, request.method
        if path.startswith("/static/"):
            return _static(path[len("/static/") :], method)
        if path == "/login":
            if method == "GET":
                return self._page("login.html", None, request, status=200)
            if method == "POST":
                return await self._login(request, receive)
            raise _wrong_method(path, method)
        session = self.gate.session(request.headers)
        if session is None:
            if method == "GET":
                return _redirect(DASHBOARD_PREFIX + "login")
            raise errors.InvalidAdminKey("log in to the dashboard first")
        if method == "POST":
            form = await self._form(request, receive, session)
            return await self._post(request, form, operator)
        if method != "GET":
            raise _wrong_method(path, method)
        return await self._get(request, session, operator)

    async def _get(self, request: Request, session: Session, operator: OperatorService) -> Response:
        path = request.path
        flash = FLASH.get(request.arg("done") or "")
        context: dict[str, Any] = {"session": session, "flash": flash,
                                   "now": operator.clock.now()}  # fmt: skip
        if path == "/":
            context["overview"] = await operator.overview(request.arg("before"))
            return self._page("overview.html", context, request)
        if path == "/webhooks":
            item_id, status = request.arg("item_id"), request.arg("status")
            context["page"] = await operator.webhook_page(
                request.arg("before"), item_id=item_id, status=status
            )
            context["filters"] = {"item_id": item_id or "", "status": status or ""}
            return self._page("webhooks.html", context, request)
        if path == "/audit":
            filters = {k: request.arg(k) or "" for k in
                       ("item_id", "client_id", "action", "since", "until")}  # fmt: skip
            context["page"] = await operator.audit_page(
                item_id=filters["item_id"], actor=filters["client_id"],
                action=filters["action"], since=_time(filters["since"], "since"),
                until=_time(filters["until"], "until"),
            )  # fmt: skip
            context["filters"] = filters
            return self._page("audit.html", context, request)
        if path == "/search":
            context["result"] = await operator.search(request.arg("q") or "")
            return self._page("search.html", context, request)
        kind, _, rest = path[1:].partition("/")
        if not _ID.fullmatch(rest):
            raise errors.NotFound(f"no dashboard page at {path!r}")
        if kind == "items":
            context["detail"] = await operator.item_detail(rest)
            context["actions"] = ITEM_ACTIONS
            return self._page("item.html", context, request)
        if kind == "clients":
            detail = await operator.client_detail(rest, request.arg("before"))
            context["detail"] = detail
            context["faults"] = await operator.list_faults(rest)
            isolated = bool(detail.client.world)
            context["actions"] = [
                a.offered(operator) for a in CLIENT_ACTIONS if isolated or not a.isolated_only
            ]
            return self._page("client.html", context, request)
        if kind == "partners":
            context["detail"] = await operator.partner_detail(rest)
            return self._page("partner.html", context, request)
        raise errors.NotFound(f"no dashboard page at {path!r}")

    async def _post(self, request: Request, form: Form, operator: OperatorService) -> Response:
        path = request.path
        if path == "/logout":
            return _redirect(DASHBOARD_PREFIX + "login?done=logout", [
                (b"set-cookie", self.gate.logout().encode())])  # fmt: skip
        kind, _, rest = path[1:].partition("/")
        object_id, _, name = rest.partition("/")
        actions = {"items": _ITEM_ACTIONS, "clients": _CLIENT_ACTIONS}.get(kind, {})
        action = actions.get(name)
        if not _ID.fullmatch(object_id) or action is None:
            raise errors.NotFound(f"no dashboard action at {path!r}")
        done = await action.handler(operator, object_id, form)
        return _redirect(f"{DASHBOARD_PREFIX}{kind}/{object_id}?done={done}")

    async def _login(self, request: Request, receive: Receive) -> Response:
        _check_origin(request)
        form = _parse_form(await self._body(request, receive))
        try:
            cookie = self.gate.login(_field(form, "admin_key") or "")
        except errors.InvalidAdminKey as exc:
            return self._page("login.html", {"error": exc}, request, status=status_of(exc))
        return _redirect(DASHBOARD_PREFIX, [(b"set-cookie", cookie.encode())])

    async def _form(self, request: Request, receive: Receive, session: Session) -> Form:
        """The form of a state-changing POST, once its origin and CSRF token are checked
        (before anything is done)."""
        _check_origin(request)
        form = _parse_form(await self._body(request, receive))
        self.gate.check_csrf(session, _field(form, "csrf_token"))
        return form

    async def _body(self, request: Request, receive: Receive) -> bytes:
        kind = request.headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind != b"application/x-www-form-urlencoded":
            raise errors.InvalidHeaders(
                "a dashboard form is sent as application/x-www-form-urlencoded"
            )
        limit = self.max_form_bytes
        declared = request.headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise errors.InvalidBody(f"a form must be at most {limit} bytes")
        message = await receive()
        raw: bytes = message.get("body", b"")
        if len(raw) > limit or message.get("more_body", False):
            try:
                raw = await read_rest(receive, raw, limit)
            except errors.InvalidBody:
                raise errors.InvalidBody(f"a form must be at most {limit} bytes") from None
        return raw

    def _page(
        self, template: str, context: dict[str, Any] | None, request: Request,
        status: int = 200,
    ) -> Response:  # fmt: skip
        context = dict(context or {})
        context.setdefault("session", None)
        context.setdefault("flash", FLASH.get(request.arg("done") or ""))
        context["prefix"] = DASHBOARD_PREFIX
        context["request_path"] = request.path
        body = self.templates.get_template(template).render(context)
        return Response(status, body.encode())

    def _error_page(self, error: errors.PlaidError, request_id: str) -> Response:
        """The one place a PlaidError becomes a page: its status, type, code and message."""
        body = self.templates.get_template("error.html").render(
            error=error, request_id=request_id, prefix=DASHBOARD_PREFIX, session=None
        )
        extra = []
        if isinstance(error, errors.InvalidAdminKey):
            extra.append((b"www-authenticate", b'Bearer realm="tokenbridge dashboard"'))
        return Response(status_of(error), body.encode(), headers=extra)


# Parsing ---------------------------------------------------------------------------------


def _request(scope: Scope, request_id: str) -> Request:
    raw_query: bytes = scope.get("query_string", b"")
    if len(raw_query) > MAX_QUERY_BYTES:
        raise errors.InvalidField(f"a query string must be at most {MAX_QUERY_BYTES} bytes")
    try:
        query = parse_qs(raw_query.decode("utf-8"), max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise errors.InvalidField("the query string is not one the dashboard reads") from None
    headers = dict(scope["headers"])
    host = headers.get(b"host", b"").decode("latin-1")
    path = scope["path"][len(DASHBOARD_PREFIX) - 1 :] or "/"
    return Request(scope["method"], path, query, headers,
                   f"{scope.get('scheme', 'http')}://{host}", request_id)  # fmt: skip


def _parse_form(raw: bytes) -> Form:
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise errors.InvalidBody("the form is not URL-encoded UTF-8") from None


def _field(form: Form, name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _check_origin(request: Request) -> None:
    """A browser names the page a form was sent from (Origin); another site's is refused,
    as is `null` (a sandboxed frame, a file)."""
    origin = request.headers.get(b"origin")
    if origin is not None and origin.decode("latin-1") != request.origin:
        raise errors.CsrfTokenInvalid("the form was sent from another site's page")


def _time(text: str, name: str) -> float | None:
    """A filter's time: Unix seconds, or an ISO date or date and time (UTC unless it says
    otherwise). INVALID_FIELD otherwise."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise errors.InvalidField(
            f"{name} must be a date and time such as 2026-12-03T12:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _wrong_method(path: str, method: str) -> errors.NotFound:
    sent = method if method.isascii() and method.isalpha() else "another method"
    return errors.NotFound(f"/dashboard{path} does not take {sent}")


def _redirect(location: str, headers: list[tuple[bytes, bytes]] | None = None) -> Response:
    return Response(303, b"", headers=[(b"location", location.encode()), *(headers or [])])


def _static(name: str, method: str) -> Response:
    content_type = _STATIC.get(name)
    if content_type is None or method != "GET":
        raise errors.NotFound("no such file")
    body = (resources.files("tokenbridge.dashboard") / "static" / name).read_bytes()
    return Response(200, body, content_type, cache=True)


def _when(at: float | None) -> str:
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _age(at: float, now: float) -> str:
    seconds = max(0, int(now - at))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def query(**params: str | float | None) -> str:
    """A query string of the params that are set (for the templates' paging links)."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
