"""Sync cursors: what a /transactions/sync cursor says, and how it is written.

A cursor names the scope it was issued for (the Item, or one account), the refresh
generation the client has fully seen, and, while an update is being paged, the generation
being paged to and the offset reached. The changes between two generations are the same
on every server and after every restart, so a cursor stays valid anywhere.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from tokenbridge.domain import errors

CURSOR_VERSION = "v1"


@dataclass(frozen=True, slots=True)
class Cursor:
    scope: str  # "item:<item_id>" or "account:<account_id>"
    seen: int  # generation fully delivered; -1 for nothing yet
    target: int  # generation being paged to (== seen when not paging)
    offset: int  # changes of (seen -> target) already delivered


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{CURSOR_VERSION}|{cursor.scope}|{cursor.seen}|{cursor.target}|{cursor.offset}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str | None, scope: str, generation: int) -> Cursor:
    """The cursor as issued for `scope`; INVALID_FIELD if malformed, forged or foreign."""
    if not value:
        return Cursor(scope, -1, -1, 0)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        version, cursor_scope, seen, target, offset = raw.split("|")
        cursor = Cursor(cursor_scope, int(seen), int(target), int(offset))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise errors.InvalidField("cursor is not a valid cursor") from None
    # A cursor of another Item or account (or a made-up generation) is refused outright,
    # so that no cursor can be turned into a view of someone else's transactions.
    if (
        version != CURSOR_VERSION
        or cursor.scope != scope
        or not -1 <= cursor.seen <= cursor.target <= generation
        or cursor.offset < 0
    ):
        raise errors.InvalidField("cursor is not a valid cursor for this access")
    return cursor
