"""From raw body bytes to a typed request, with Plaid's errors for every way that fails.

A body is decoded straight into its request type: msgspec checks the fields, the nested
objects and the types in one pass in C and stops at the first fault, so a body that is not
its request's shape costs what reading it up to that fault costs, not a Python object per
value. Only when that decode fails is the body looked at again (`inspect_body`, then
`convert`) for Plaid's answer: Plaid lists every missing or unknown field at once, and a
body with several faults gets the error of the earliest check (docs/ERRORS.md).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
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
_OUT_OF_RANGE = ("Number out of range", "Integer value out of range")
# What msgspec raises for bytes that are not JSON: malformed, nested past the interpreter's
# recursion limit, or a string that is not UTF-8.
_UNREADABLE = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)


class Shape:
    """What a request type accepts, computed once per type: its top-level fields and its
    typed decoder."""

    def __init__(self, request_type: type[T]) -> None:
        self.type = request_type
        info = msgspec.structs.fields(request_type)
        self.fields = frozenset(f.encode_name for f in info)
        self.required = tuple(f.encode_name for f in info if f.required)
        self.required_set = frozenset(self.required)
        self.decoder = msgspec.json.Decoder(request_type)
        # The quick duplicate-key test (_keys_once) counts the request's strings as the
        # body's; a string default is a string the body did not hold.
        self.no_string_defaults = not any(isinstance(f.default, str) for f in info)


class Mismatch(Exception):
    """The body is not its request type: `error` is where the typed decode stopped."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def decode_request(body: bytes, shape: Shape) -> Any:
    """The typed request; INVALID_BODY for a key twice in one object; Mismatch if the body
    is not the request type (`inspect_body` and `convert` then find Plaid's answer)."""
    try:
        request = shape.decoder.decode(body)
    except _UNREADABLE as exc:
        raise Mismatch(exc) from None
    if shape.no_string_defaults and _keys_once(body, request):
        return request
    # Nested objects or lists: the body is decoded a second time, generically, for the
    # count. It holds nothing its type does not allow, so that costs about what the typed
    # decode did (a microsecond or two for Plaid's requests).
    try:
        data = _decoder.decode(body)
    except _UNREADABLE:
        raise errors.InvalidBody() from None
    _refuse_duplicate_keys(body, data)
    return request


class _Credentials(msgspec.Struct):
    client_id: str | None = None
    secret: str | None = None


_credentials_decoder = msgspec.json.Decoder(_Credentials)


def read_credentials(body: bytes) -> Mapping[str, Any]:
    """`client_id` and `secret` from the body, before the client is known.

    Only those two values are built: msgspec skips every other field in C, checking its
    JSON syntax but building nothing, so a body from someone without credentials costs
    about what reading its bytes costs. If they cannot be read so (the body is not JSON,
    not an object, or one of them is not a string), the JSON checks of `inspect_body` run
    and its object is returned, for the caller's credential checks to refuse.
    """
    try:
        found = _credentials_decoder.decode(body)
    except _UNREADABLE:
        return inspect_body(body)
    return {"client_id": found.client_id, "secret": found.secret}


def decode_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; INVALID_BODY if it is not UTF-8 JSON, not an object, or
    has a key twice in one object."""
    try:
        data = _decoder.decode(body)
    except _UNREADABLE:
        raise errors.InvalidBody() from None
    if not isinstance(data, dict):
        raise errors.InvalidBody("body must be a JSON object")
    _refuse_duplicate_keys(body, data)
    return data


# A body of up to this many values that is not its request's shape is decoded whole, so that
# its answer is exactly the earliest check's. Plaid's own requests hold a few dozen.
EXACT_VALUES = 4096


class Outline(dict[str, Any]):
    """The top level of a large body: each value a `msgspec.Raw`, except `client_id` and
    `secret`, decoded when they are strings or null."""


_outline_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
_raw_decoder = msgspec.json.Decoder(msgspec.Raw)
_optional_string = msgspec.json.Decoder(str | None)


def inspect_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, once a typed decode has failed; INVALID_BODY if it is not
    UTF-8 JSON or not an object.

    A body of up to EXACT_VALUES values is decoded whole (`decode_object`, which refuses
    duplicate keys). A larger one that is not its request's shape is hostile or broken, and
    a Python object per value would cost 100-300 ms a MiB: only its top level is built (an
    `Outline`), after msgspec has checked the syntax of the whole body in C and Python its
    UTF-8. Its number ranges and duplicate keys are not checked: such a body with several
    faults can get a later check's error, never a success.
    """
    # A value is the first in its array or object, after an opening bracket, or follows a
    # comma: so this bounds the count (and overcounts: it sees inside strings too).
    if len(body) <= EXACT_VALUES or (
        body.count(b",") + body.count(b"[") + body.count(b"{") < EXACT_VALUES
    ):
        return decode_object(body)
    top: dict[str, msgspec.Raw] | None
    try:
        top = _outline_decoder.decode(body)
    except msgspec.ValidationError:  # JSON, or not even that, but not an object
        top = None
        try:
            _raw_decoder.decode(body)
        except _UNREADABLE:
            raise errors.InvalidBody() from None
    except _UNREADABLE:
        raise errors.InvalidBody() from None
    if not body.isascii():
        try:
            body.decode("utf-8")  # strict: it refuses what JSON's UTF-8 refuses
        except UnicodeDecodeError:
            raise errors.InvalidBody() from None
    if top is None:
        raise errors.InvalidBody("body must be a JSON object")
    outline = Outline(top)
    for name in ("client_id", "secret"):
        value = outline.get(name)
        if value is not None:
            # Not a string or null: left a Raw, which the credential checks refuse.
            with contextlib.suppress(msgspec.DecodeError, UnicodeDecodeError):
                outline[name] = _optional_string.decode(value)
    return outline


# Duplicate keys. msgspec keeps the last of two equal keys silently, so `{"access_token": A,
# "access_token": B}` could mean A to one component and B to another. Plaid does not say
# what it does; at a security boundary we refuse them (INVALID_BODY). The test is nearly
# free: without a backslash, every `"` in the body opens or closes a key or a string value,
# so a body without a repeated key has twice as many quotes as the keys and strings it
# decodes to. For most requests (one level of strings) the typed request alone tells
# (`_keys_once`); for the others the body is also decoded generically and that tree counted
# (`_may_repeat_keys`). Only a body with an escape needs the exact, slower parse.


def _keys_once(body: bytes, request: Any) -> bool:
    """True if `request` (of a shape with no string defaults) holds only strings and nulls
    at its top level and `body` has the quotes of those strings and their keys, no more.

    Each string came from a key of its own, with a string value: four quotes. A body with
    exactly that many has no other key (not even one with a null), so none twice.
    """
    if body.find(b"\\") >= 0:  # `in` tries the needle as an integer first, and raises
        return False
    strings = 0
    for value in msgspec.structs.astuple(request):
        if type(value) is str:
            strings += 1
        elif value is not None and value is not msgspec.UNSET:
            return False
    return body.count(b'"') == 4 * strings


def _refuse_duplicate_keys(body: bytes, data: dict[str, Any]) -> None:
    if _may_repeat_keys(body, data):
        duplicates = _duplicate_keys(body)
        if duplicates:
            raise errors.InvalidBody("body has duplicate keys: " + ", ".join(duplicates))


def _may_repeat_keys(body: bytes, data: dict[str, Any]) -> bool:
    if body.find(b"\\") >= 0:
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


def convert(data: dict[str, Any], shape: Shape, mismatch: Mismatch | None = None) -> Any:
    """The typed request; MISSING_FIELDS, UNKNOWN_FIELDS or INVALID_FIELD otherwise.

    For an `Outline`, whose values are not decoded, the field error is `mismatch`'s: the
    first fault of the typed decode.
    """
    keys = data.keys()
    if not keys <= shape.fields:
        raise errors.UnknownFields(sorted(k for k in data if k not in shape.fields))
    if not shape.required_set <= keys:
        raise errors.MissingFields([k for k in shape.required if k not in data])
    if isinstance(data, Outline):
        error = mismatch.error if mismatch is not None else None
        if isinstance(error, msgspec.ValidationError) and not str(error).startswith(_OUT_OF_RANGE):
            raise _field_error(str(error))
        raise errors.InvalidBody()
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
