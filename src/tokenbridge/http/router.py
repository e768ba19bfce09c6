"""The route table: Plaid's POST operations, our own GET endpoints, and mounted edges.

Plaid's API is a set of POST paths with JSON bodies and no path parameters, so a dict
lookup is the whole router; a framework's routing would cost more than the rest of a
request (PERFORMANCE-NOTES.md). Only a path that misses is looked at again: normalised (a
doubled or trailing "/", as clients send with a host that ends in "/"), or refused with a
404 that names it. Everything of ours that Plaid does not have (a control API, the
inboxes) is mounted under `OWN_PREFIX`, a path Plaid's API never uses; the dashboard, which
people type into a browser, has a short folder of its own, `/dashboard/`, which no Plaid
path is under either.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from msgspec import Struct

from tokenbridge.domain import errors
from tokenbridge.http.parsing import Shape
from tokenbridge.http.views import Context

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Handler = Callable[[Context, Any], Awaitable[Struct]]

# The prefix of every surface of ours that is not Plaid's (control API, inboxes, ...).
OWN_PREFIX = "/_tokenbridge/"
# The dashboard's folder (tokenbridge.dashboard): ours too, and the only one outside
# OWN_PREFIX.
DASHBOARD_PREFIX = "/dashboard/"
_OWN_FOLDERS = (OWN_PREFIX, DASHBOARD_PREFIX)

_SLASHES = re.compile("//+")
# How much of a path a 404 shows (escaped), and the longest path worth a suggestion: the
# table's longest path has 43 characters, a much longer one is no typo of it, and difflib's
# cost grows with the length of what it compares.
_SHOWN = 120
_GUESSED = 80


@dataclass(frozen=True, slots=True)
class Operation:
    """A Plaid operation: POST `path`, a JSON body of the handler's request type.

    The request type is read from the handler's annotation of its second parameter, so the
    table names each handler once and the two cannot disagree.
    """

    path: str
    handler: Handler
    shape: Shape

    @classmethod
    def of(cls, path: str, handler: Handler) -> Operation:
        hints = typing.get_type_hints(handler)
        request_type = next(t for name, t in hints.items() if name not in ("ctx", "return"))
        return cls(path, handler, Shape(request_type))


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A GET endpoint of ours (`/health`, `/openapi.json`): its status and JSON body."""

    path: str
    respond: Callable[[], tuple[int, bytes]]


@dataclass(frozen=True, slots=True)
class Mount:
    """An ASGI app that answers every request under `prefix` (one of ours)."""

    prefix: str
    app: ASGIApp

    def __post_init__(self) -> None:
        if not self.prefix.startswith(_OWN_FOLDERS) or not self.prefix.endswith("/"):
            raise ValueError(
                f"a mount's prefix is a folder under {' or '.join(_OWN_FOLDERS)},"
                f" not {self.prefix!r}"
            )


class Router:
    def __init__(
        self,
        operations: Iterable[Operation],
        endpoints: Iterable[Endpoint] = (),
        mounts: Iterable[Mount] = (),
    ) -> None:
        self.operations: dict[str, Operation] = {}
        for op in operations:
            if op.path in self.operations:
                raise ValueError(f"{op.path} is in the table twice")
            self.operations[op.path] = op
        self.endpoints = {e.path: e for e in endpoints}
        self.mounts = tuple(mounts)

        # What a 404 may suggest: every path the table serves, and each mount's folder.
        self._known = [*self.operations, *self.endpoints, *(m.prefix for m in self.mounts)]

    def mount_for(self, path: str) -> Mount | None:
        for mount in self.mounts:
            if path.startswith(mount.prefix):
                return mount
        return None

    # Below: only for a path that is not in the table as sent (the app looks it up first, so
    # a request to a known path never pays for any of this).

    def mount_for_sent(self, path: str) -> tuple[Mount, str] | None:
        """The mount for a path that misses its prefix only by a doubled "/" or the folder's
        final "/" (`/_tokenbridge/x` for the mount `/_tokenbridge/x/`), and the path to hand
        it; a trailing "/" inside a mount is the mount's business, so it stays."""
        collapsed = _SLASHES.sub("/", path)
        for candidate in (collapsed, collapsed + "/"):
            mount = self.mount_for(candidate)
            if mount is not None:
                return mount, candidate
        return None

    def not_found(self, path: str, method: str) -> errors.NotFound:
        """The 404 for `method` on `path`: the served method of a known path, or the path as
        sent (escaped) and the nearest known path, if one is close."""
        meant = normalised(path)
        sent = method if method.isascii() and method.isalpha() else shown(method)
        if meant in self.operations:
            return errors.NotFound(f"{meant} takes POST, not {sent}")
        if meant in self.endpoints:
            return errors.NotFound(f"{meant} takes GET, not {sent}")
        message = f"unknown path {shown(path)}"
        if len(meant) <= _GUESSED:
            # Plaid's paths are lower-case: /Item/Get is a typo of /item/get.
            close = difflib.get_close_matches(meant.lower(), self._known, n=1, cutoff=0.8)
            if close:
                message += f"; did you mean {close[0]}?"
        return errors.NotFound(message)


def normalised(path: str) -> str:
    """`path` as Plaid's clients mean it: each run of "/" one "/", and no trailing "/" (a host
    configured as `http://127.0.0.1:8787/` makes the SDKs send `//item/get`; other clients
    send `/item/get/`). Case is kept: every Plaid client sends its paths in lower case, so
    `/ITEM/GET` is no client's spelling, and the 404 suggests the right one instead."""
    path = _SLASHES.sub("/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def shown(text: str) -> str:
    """`text` quoted for a message: printable ASCII only (control characters, DEL, quotes and
    anything beyond ASCII escaped as Python does), at most `_SHOWN` characters, so a path
    cannot break a log line or a terminal that shows the message."""
    escaped = text.encode("unicode_escape").decode("ascii").replace("'", "\\'")
    if len(escaped) > _SHOWN:
        escaped = escaped[: _SHOWN - 3] + "..."
    return f"'{escaped}'"
