"""The route table: Plaid's POST operations, our own GET endpoints, and mounted edges.

Plaid's API is a set of POST paths with JSON bodies and no path parameters, so a dict
lookup is the whole router; a framework's routing would cost more than the rest of a
request (PERFORMANCE-NOTES.md). Everything of ours that Plaid does not have (a control API,
a dashboard) is mounted under `OWN_PREFIX`, a path Plaid's API never uses.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from msgspec import Struct

from tokenbridge.http.parsing import Shape
from tokenbridge.http.views import Context

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Handler = Callable[[Context, Any], Awaitable[Struct]]

# The prefix of every surface of ours that is not Plaid's (control API, dashboard, ...).
OWN_PREFIX = "/_tokenbridge/"


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
        if not self.prefix.startswith(OWN_PREFIX) or not self.prefix.endswith("/"):
            raise ValueError(
                f"a mount's prefix is a folder under {OWN_PREFIX}, not {self.prefix!r}"
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

    def mount_for(self, path: str) -> Mount | None:
        for mount in self.mounts:
            if path.startswith(mount.prefix):
                return mount
        return None
