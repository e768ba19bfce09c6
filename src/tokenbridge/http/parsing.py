"""From raw body bytes to a typed request, with Plaid's errors for every way that fails.

Plaid lists every missing or unknown field at once, so the top level is checked against
the request type before msgspec converts it; msgspec then checks types and nested objects.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import msgspec

from tokenbridge.domain import errors

T = TypeVar("T", bound=msgspec.Struct)

_decoder = msgspec.json.Decoder()
# msgspec's messages for nested objects, e.g. "Object contains unknown field `x` - at `$.options`".
_NESTED = re.compile(
    r"^Object (contains unknown|missing required) field `([^`]*)` - at `\$\.?(.*)`$"
)
_WORD_STR = re.compile(r"\bstr\b")
_AT = re.compile(r"^(.*) - at `\$\.?(.*)`$")


class Shape:
    """What a request type accepts at its top level, computed once per type."""

    def __init__(self, request_type: type[T]) -> None:
        self.type = request_type
        info = msgspec.structs.fields(request_type)
        self.fields = frozenset(f.encode_name for f in info)
        self.required = tuple(f.encode_name for f in info if f.required)
        self.required_set = frozenset(self.required)


def decode_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; INVALID_BODY if it is not UTF-8 JSON or not an object."""
    try:
        data = _decoder.decode(body)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        raise errors.InvalidBody() from None
    if not isinstance(data, dict):
        raise errors.InvalidBody("body must be a JSON object")
    if _may_repeat_keys(body, data):
        duplicates = _duplicate_keys(body)
        if duplicates:
            raise errors.InvalidBody("body has duplicate keys: " + ", ".join(duplicates))
    return data


# Duplicate keys. msgspec keeps the last of two equal keys silently, so `{"access_token": A,
# "access_token": B}` could mean A to one component and B to another. Plaid does not say
# what it does; at a security boundary we refuse them (INVALID_BODY). The test is nearly
# free: without a backslash, every `"` in the body opens or closes a key or a string value,
# so the decoded object holds half as many keys and strings as the body has quotes unless
# a repeated key was dropped. Only a body with an escape needs the exact, slower parse.


def _may_repeat_keys(body: bytes, data: dict[str, Any]) -> bool:
    if body.find(b"\\") >= 0:  # `in` tries the needle as an integer first, and raises
        return True
    if set(map(type, data.values())) == {str}:  # most requests: one level of strings
        return body.count(b'"') != 4 * len(data)
    strings = 0
    pending: list[Any] = [data]
    while pending:
        node = pending.pop()
        if type(node) is dict:
            strings += len(node)
            node = node.values()
        for value in node:
            kind = type(value)
            if kind is str:
                strings += 1
            elif kind is dict or kind is list:
                pending.append(value)
    return body.count(b'"') != 2 * strings


def _duplicate_keys(body: bytes) -> list[str]:
    """The keys that occur twice in one object of `body` (already known to be valid JSON)."""
    found: dict[str, None] = {}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            seen: set[str] = set()
            for k in keys:
                if k in seen:
                    found[k[:100]] = None
                seen.add(k)
        return {}

    try:
        json.loads(body, object_pairs_hook=pairs_hook)
    except (ValueError, RecursionError):
        raise errors.InvalidBody() from None
    return list(found)[:10]


def convert(data: dict[str, Any], shape: Shape) -> Any:
    """The typed request; MISSING_FIELDS, UNKNOWN_FIELDS or INVALID_FIELD otherwise."""
    keys = data.keys()
    if not keys <= shape.fields:
        raise errors.UnknownFields(sorted(k for k in data if k not in shape.fields))
    if not shape.required_set <= keys:
        raise errors.MissingFields([k for k in shape.required if k not in data])
    try:
        return msgspec.convert(data, shape.type)
    except msgspec.ValidationError as exc:
        raise _field_error(str(exc)) from None


def _field_error(message: str) -> errors.PlaidError:
    nested = _NESTED.match(message)
    if nested:
        kind, name, at = nested.groups()
        path = f"{at}.{name}" if at else name
        if kind == "contains unknown":
            return errors.UnknownFields([path])
        return errors.MissingFields([path])
    at = _AT.match(message)
    if at:
        problem, path = at.groups()
        return errors.InvalidField(f"{path}: {_plain(problem)}")
    return errors.InvalidField(_plain(message))


def _plain(problem: str) -> str:
    # "Expected `str`, got `int`" -> "expected string, got int"
    text = _WORD_STR.sub("string", problem.replace("`", ""))
    return text[:1].lower() + text[1:]
