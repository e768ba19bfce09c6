"""http/parsing.py: raw bytes to a typed request, and Plaid's error for each way it fails."""

from __future__ import annotations

from typing import Any

import pytest

from tokenbridge.domain import errors
from tokenbridge.http import schemas as s
from tokenbridge.http.parsing import (
    EXACT_VALUES,
    Mismatch,
    Outline,
    Shape,
    convert,
    decode_object,
    decode_request,
    inspect_body,
    read_credentials,
)
from tokenbridge.http.routes import OPERATIONS

ACCOUNTS = Shape(s.AccountsGetRequest)
CREATE = Shape(s.ProcessorTokenCreateRequest)
SANDBOX = Shape(s.SandboxPublicTokenCreateRequest)


def test_shape_lists_fields_and_required() -> None:
    assert CREATE.required == ("access_token", "account_id", "processor")
    assert CREATE.fields == {"client_id", "secret", "access_token", "account_id", "processor"}
    assert ACCOUNTS.required == ("access_token",)


def test_decode_object() -> None:
    assert decode_object(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body could not be parsed as JSON"),
        (b"\xff", "body could not be parsed as JSON"),
        (b"{", "body could not be parsed as JSON"),
        (b"[" * 5000 + b"]" * 5000, "body could not be parsed as JSON"),
        (b"[]", "body must be a JSON object"),
        (b"true", "body must be a JSON object"),
        (b"null", "body must be a JSON object"),
    ],
)
def test_decode_object_errors(body: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidBody) as info:
        decode_object(body)
    assert (info.value.error_type, info.value.error_code) == ("INVALID_REQUEST", "INVALID_BODY")
    assert info.value.error_message == message


def test_convert_success() -> None:
    request = convert({"access_token": "a", "options": {"account_ids": ["x"]}}, ACCOUNTS)
    assert isinstance(request, s.AccountsGetRequest)
    assert request.access_token == "a"
    assert isinstance(request.options, s.AccountsGetRequestOptions)
    assert request.options.account_ids == ["x"]


def test_missing_fields_all_at_once() -> None:
    with pytest.raises(errors.MissingFields) as info:
        convert({"account_id": "x"}, CREATE)
    assert info.value.error_code == "MISSING_FIELDS"
    assert info.value.error_message == (
        "the following required fields are missing: access_token, processor"
    )


def test_unknown_fields_all_at_once_before_missing() -> None:
    with pytest.raises(errors.UnknownFields) as info:
        convert({"b": 1, "a": 2}, CREATE)
    assert info.value.error_code == "UNKNOWN_FIELDS"
    assert info.value.error_message == (
        "the following fields are not recognized by this endpoint: a, b"
    )


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"access_token": "a", "options": {"x": 1}}, "options.x"),
        ({"institution_id": "i", "initial_products": ["auth"],
          "options": {"transactions": {"bogus": 1}}}, "options.transactions.bogus"),
    ],
)  # fmt: skip
def test_nested_unknown_field(data: dict[str, Any], path: str) -> None:
    shape = ACCOUNTS if "access_token" in data else SANDBOX
    with pytest.raises(errors.UnknownFields) as info:
        convert(data, shape)
    assert info.value.error_message.endswith(": " + path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"access_token": 1}, "access_token: expected string, got int"),
        ({"access_token": None}, "access_token: expected string, got null"),
        ({"access_token": ["a"]}, "access_token: expected string, got array"),
        ({"access_token": "a", "options": 1}, "options: expected object, got int"),
        ({"access_token": "a", "options": {"account_ids": "x"}},
         "options.account_ids: expected array | null, got string"),
        ({"access_token": "a", "options": {"account_ids": [True]}},
         "options.account_ids[0]: expected string, got bool"),
    ],
)  # fmt: skip
def test_type_errors_name_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(errors.InvalidField) as info:
        convert(data, ACCOUNTS)
    assert (info.value.error_type, info.value.error_code) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert info.value.error_message == message


def test_null_sandbox_overrides_are_accepted() -> None:
    request = convert(
        {"institution_id": "i", "initial_products": ["auth"],
         "options": {"override_username": None, "override_password": None}},
        SANDBOX,
    )  # fmt: skip
    assert isinstance(request.options, s.SandboxPublicTokenCreateRequestOptions)
    assert request.options.override_username is None


# The typed decode, and the looks again when it fails ------------------------------------


def test_every_request_type_takes_credentials_in_the_body() -> None:
    # The app reads request.client_id and request.secret after the typed decode.
    for op in OPERATIONS:
        assert {"client_id", "secret"} <= op.shape.fields, op.path


def test_decode_request() -> None:
    request = decode_request(b'{"access_token": "a", "options": {"account_ids": ["x"]}}', ACCOUNTS)
    assert isinstance(request, s.AccountsGetRequest)
    assert request.access_token == "a"
    assert isinstance(request.options, s.AccountsGetRequestOptions)
    assert request.options.account_ids == ["x"]
    assert decode_request(b'{"access_token": "a", "client_id": null}', ACCOUNTS).client_id is None


@pytest.mark.parametrize(
    "body",
    [
        b'{"access_token": "a", "access_token": "b"}',
        b'{"access_token": "a", "access_token": "a"}',
        b'{"access_token": "a", "client_id": null, "client_id": null}',
        b'{"access_token": "a", "client_id": "x", "client_id": "y"}',
        b'{"access_token": "a", "acc\\u0065ss_token": "b"}',
        b'{"access_token": "a", "options": {"account_ids": [], "account_ids": ["x"]}}',
        b'{"access_token": "a", "options": {"account_ids": ["x"]}, "options": {}}',
    ],
    ids=["top", "same-value", "nulls", "credentials", "escaped", "nested", "object-twice"],
)
def test_decode_request_refuses_duplicate_keys(body: bytes) -> None:
    with pytest.raises(errors.InvalidBody) as info:
        decode_request(body, ACCOUNTS)
    assert info.value.error_message.startswith("body has duplicate keys: ")


class _Labelled(s.PlaidRequest):
    access_token: str
    label: str = "default"


def test_a_string_default_does_not_hide_a_duplicate_key() -> None:
    # Counted as the body's, the default would make up for the dropped string.
    shape = Shape(_Labelled)
    assert not shape.no_string_defaults
    assert ACCOUNTS.no_string_defaults
    with pytest.raises(errors.InvalidBody):
        decode_request(b'{"access_token": "a", "access_token": "b"}', shape)
    assert decode_request(b'{"access_token": "a"}', shape).label == "default"


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'{"access_token": 1}', b'{"x": 1}', b"{}", b'{"access_token": "\xff"}',
     b'{"access_token": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"],
)  # fmt: skip
def test_decode_request_mismatch(body: bytes) -> None:
    with pytest.raises(Mismatch):
        decode_request(body, ACCOUNTS)


def test_read_credentials_builds_only_the_credentials() -> None:
    body = b'{"x": [[1], [2], {"secret": 3}], "client_id": "c", "secret": "s", "y": 1e400}'
    assert read_credentials(body) == {"client_id": "c", "secret": "s"}
    assert read_credentials(b'{"access_token": "a"}') == {"client_id": None, "secret": None}


def test_read_credentials_of_the_wrong_type_returns_the_body_for_the_checks() -> None:
    assert read_credentials(b'{"client_id": 1, "a": [2]}') == {"client_id": 1, "a": [2]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "body could not be parsed as JSON"),
        (b'{"client_id": "\xff"}', "body could not be parsed as JSON"),
        (b"[1]", "body must be a JSON object"),
        (b'{"client_id": "a", "client_id": 1}', "body has duplicate keys: client_id"),
    ],
)
def test_read_credentials_errors(body: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidBody) as info:
        read_credentials(body)
    assert info.value.error_message == message


LISTS = b",".join(b"[%d]" % (i % 10) for i in range(EXACT_VALUES))


def test_inspect_body_decodes_a_small_body_whole() -> None:
    data = inspect_body(b'{"a": [1, {"b": null}]}')
    assert data == {"a": [1, {"b": None}]} and not isinstance(data, Outline)


def test_inspect_body_outlines_a_large_one() -> None:
    body = b'{"access_token": [' + LISTS + b'], "client_id": "c", "secret": ["s"], "z": 1}'
    outline = inspect_body(body)
    assert isinstance(outline, Outline)
    assert list(outline) == ["access_token", "client_id", "secret", "z"]
    assert outline["client_id"] == "c"
    assert not isinstance(outline["secret"], str)  # not a string: left for the checks to refuse


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": [' + LISTS + b"]", "body could not be parsed as JSON"),
        (b'{"a": [' + LISTS + b'], "b": "\xff"}', "body could not be parsed as JSON"),
        (b"[" * 10_000 + b"]" * 10_000, "body could not be parsed as JSON"),
        (b"[" + LISTS + b"]", "body must be a JSON object"),
        (b"[" + LISTS + b', "\xff"]', "body could not be parsed as JSON"),
    ],
    ids=["truncated", "not-utf8", "deep", "array", "array-not-utf8"],
)
def test_inspect_body_errors_of_a_large_body(body: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidBody) as info:
        inspect_body(body)
    assert info.value.error_message == message


@pytest.mark.parametrize(
    ("tail", "error", "message"),
    [
        (b', "a": 1, "b": 2', errors.UnknownFields,
         "the following fields are not recognized by this endpoint: a, b"),
        (b"", errors.InvalidField, "access_token: expected string, got array"),
        (b', "options": {"x": 1}', errors.InvalidField, "access_token: expected string, got array"),
    ],
)  # fmt: skip
def test_convert_an_outline(tail: bytes, error: type[errors.PlaidError], message: str) -> None:
    body = b'{"access_token": [' + LISTS + b"]" + tail + b"}"
    with pytest.raises(Mismatch) as mismatch:
        decode_request(body, ACCOUNTS)
    with pytest.raises(error) as info:
        convert(inspect_body(body), ACCOUNTS, mismatch.value)
    assert info.value.error_message == message


def test_convert_an_outline_lists_every_missing_field() -> None:
    body = b'{"x": [' + LISTS + b"]}"
    outline = inspect_body(body)
    with pytest.raises(errors.UnknownFields):
        convert(outline, CREATE)
    del outline["x"]
    with pytest.raises(errors.MissingFields) as info:
        convert(outline, CREATE)
    assert info.value.error_message.endswith("access_token, account_id, processor")


def test_a_number_out_of_range_in_an_outline_is_invalid_body() -> None:
    body = b'{"access_token": 1e400, "x": [' + LISTS + b"]}"
    with pytest.raises(Mismatch) as mismatch:
        decode_request(body, Shape(s.ItemGetRequest))
    outline = inspect_body(body)
    del outline["x"]
    with pytest.raises(errors.InvalidBody):
        convert(outline, Shape(s.ItemGetRequest), mismatch.value)
