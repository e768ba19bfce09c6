"""http/parsing.py: raw bytes to a typed request, and Plaid's error for each way it fails."""

from __future__ import annotations

from typing import Any

import pytest

from tokenbridge.domain import errors
from tokenbridge.http import schemas as s
from tokenbridge.http.parsing import Shape, convert, decode_object

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
