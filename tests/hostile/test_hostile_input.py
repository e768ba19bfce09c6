"""The hostile-input table of docs/ERRORS.md, row by row, against the in-process app.

Every answer must be a PlaidError with a specific code: never a 500, never a body that is
not JSON. The rows that need a real socket (a streamed 50 MiB body, broken HTTP framing)
are in test_live.py.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import msgspec
import pytest

from tests.api.conftest import Api, link_item, rebuild
from tests.helpers import CLIENT_ID, SECRET, assert_plaid_error
from tokenbridge.http.routes import OPERATIONS

ROUTES = {op.path: op for op in OPERATIONS}

PATHS = sorted(ROUTES)
ERROR_FIELDS = {"error_type", "error_code", "error_message", "display_message", "request_id"}


def expect(response: httpx.Response, status: int, error_type: str, error_code: str) -> str:
    """Assert a PlaidError with this status, type and code; return its message."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = assert_plaid_error(response, status, error_type, error_code)
    assert set(body) >= ERROR_FIELDS, body
    message: str = body["error_message"]
    return message


def raw(api: Api, path: str, content: bytes, content_type: str | None = "application/json",
        method: str = "POST", **headers: str) -> httpx.Response:  # fmt: skip
    sent = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET, **headers}
    if content_type is not None:
        sent["Content-Type"] = content_type
    return api.request(method, path, content=content, headers=sent)


# Fields the wire format leaves optional that the domain requires (Plaid's conditional
# requirements): without them every answer would be MISSING_FIELDS.
CONDITIONALLY_REQUIRED: dict[str, dict[str, Any]] = {
    "/link/token/create": {"user": {"client_user_id": "user-1"}},
}


def valid_body(path: str) -> dict[str, Any]:
    """A body that passes the wire checks of `path`: every required field, of its type."""
    info = msgspec.inspect.type_info(ROUTES[path].shape.type)
    assert isinstance(info, msgspec.inspect.StructType)
    body: dict[str, Any] = dict(CONDITIONALLY_REQUIRED.get(path, {}))
    for field in info.fields:
        if field.required:
            body[field.encode_name] = _sample(field.type)
    return body


def _sample(t: msgspec.inspect.Type) -> Any:
    if isinstance(t, msgspec.inspect.Metadata):
        return _sample(t.type)
    if isinstance(t, msgspec.inspect.ListType):
        return [_sample(t.item_type)]
    if isinstance(t, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        return 1
    if isinstance(t, msgspec.inspect.BoolType):
        return True
    if isinstance(t, msgspec.inspect.LiteralType):
        return t.values[0]
    if isinstance(t, msgspec.inspect.UnionType):
        return _sample(next(m for m in t.types if not isinstance(m, msgspec.inspect.NoneType)))
    if isinstance(t, msgspec.inspect.StructType):
        return {f.encode_name: _sample(f.type) for f in t.fields if f.required}
    return "x"


def string_fields(path: str) -> list[str]:
    """The top-level fields of `path` that take a string or a list of strings."""
    info = msgspec.inspect.type_info(ROUTES[path].shape.type)
    assert isinstance(info, msgspec.inspect.StructType)
    names = []
    for field in info.fields:
        t = field.type
        if isinstance(t, msgspec.inspect.UnionType):
            t = next(m for m in t.types if not isinstance(m, msgspec.inspect.NoneType))
        if isinstance(t, msgspec.inspect.ListType):
            t = t.item_type
        if isinstance(t, msgspec.inspect.Metadata):
            t = t.type
        if isinstance(t, msgspec.inspect.StrType) and field.name not in ("client_id", "secret"):
            names.append(field.encode_name)
    return names


# Bodies that are not a JSON object -------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"   ", b"{", b'{"access_token": "a",}', b"NaN", b"{'a': 1}"],
    ids=["garbage", "empty", "blank", "truncated", "trailing-comma", "nan", "single-quotes"],
)
def test_body_not_json(api: Api, content: bytes) -> None:
    message = expect(raw(api, "/item/get", content), 400, "INVALID_REQUEST", "INVALID_BODY")
    assert message == "body could not be parsed as JSON"


@pytest.mark.parametrize("content", [b"[]", b'["access_token"]', b'"a"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object(api: Api, content: bytes) -> None:
    message = expect(raw(api, "/item/get", content), 400, "INVALID_REQUEST", "INVALID_BODY")
    assert message == "body must be a JSON object"


@pytest.mark.parametrize(
    "content",
    [
        b'{"access_token": "\xff"}',  # never valid in UTF-8
        b'{"access_token": "\xc3\x28"}',  # broken two-byte sequence
        b'{"access_token": "\xc0\xaf"}',  # overlong encoding of "/"
        b'{"access_token": "\xed\xa0\x80"}',  # a UTF-16 surrogate encoded as UTF-8
        b'{"access_token": "\\ud800"}',  # a lone surrogate escape
        b"\xef\xbb\xbf\xff",  # a byte-order mark and garbage
        '{"access_token": "a"}'.encode("utf-16"),
    ],
    ids=["ff", "broken-2byte", "overlong", "cesu-surrogate", "lone-surrogate-escape", "bom",
         "utf16"],
)  # fmt: skip
def test_invalid_utf8(api: Api, content: bytes) -> None:
    expect(raw(api, "/item/get", content), 400, "INVALID_REQUEST", "INVALID_BODY")


def test_body_over_one_mib(api: Api) -> None:
    content = b'{"access_token": "' + b"a" * (1024 * 1024) + b'"}'
    message = expect(raw(api, "/item/get", content), 400, "INVALID_REQUEST", "INVALID_BODY")
    assert message == "body must be at most 1048576 bytes"


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"access_token": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        b"[" * 10_000,  # opened and never closed
    ],
    ids=["arrays", "objects", "in-a-field", "unclosed"],
)
def test_nesting_ten_thousand_deep(api: Api, content: bytes) -> None:
    expect(raw(api, "/item/get", content), 400, "INVALID_REQUEST", "INVALID_BODY")


def test_moderate_nesting_in_a_field_is_a_field_error(api: Api) -> None:
    content = b'{"access_token": ' + b"[" * 200 + b"]" * 200 + b"}"
    message = expect(raw(api, "/item/get", content), 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert message == "access_token: expected string, got array"


def test_number_too_large_for_json(api: Api) -> None:
    for content in (b'{"access_token": 1e400}', b'{"access_token": ' + b"9" * 5000 + b"}"):
        expect(raw(api, "/item/get", content), 400, "INVALID_REQUEST", "INVALID_BODY")


# Strings of 900 KB (the largest that fits the 1 MiB limit) in every field --------------

HUGE = "h" * 900_000
# What each field answers with a 900 KB string in it: the check that rejects it first.
HUGE_CODES = {
    "INVALID_FIELD",
    "INVALID_ACCESS_TOKEN",
    "INVALID_PUBLIC_TOKEN",
    "INVALID_LINK_TOKEN",
    "INVALID_PROCESSOR_TOKEN",
    "INVALID_INSTITUTION",
    "INVALID_ACCOUNT_ID",
    "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
}


@pytest.mark.parametrize(
    ("path", "field"), [(p, f) for p in PATHS for f in string_fields(p)], ids=lambda v: v
)
def test_huge_string_in_every_field(api: Api, path: str, field: str) -> None:
    body = valid_body(path)
    body[field] = [HUGE] if isinstance(body.get(field), list) else HUGE
    response = api.post(path, body)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error_code"] in HUGE_CODES
    # The answer is an error, not an echo of the megabyte.
    assert len(response.content) < 4096


def test_huge_string_codes_for_tokens(api: Api) -> None:
    expect(api.post("/item/get", {"access_token": HUGE}),
           400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    expect(api.post("/item/remove", {"access_token": "a", "reason_note": "n" * 513}),
           400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip


# NUL bytes and control characters --------------------------------------------------------

CONTROL = ["\x00", "\x01", "\x07", "\x1b[31m", "\r\n", "\x7f", "\u2028", "\ufeff"]


@pytest.mark.parametrize("bad", CONTROL, ids=[repr(c) for c in CONTROL])
def test_control_characters_in_tokens_and_ids(api: Api, bad: str) -> None:
    linked = link_item(api)
    access, account = linked["access_token"], linked["accounts"][0]["account_id"]
    expect(api.post("/item/get", {"access_token": access + bad}),
           400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    expect(api.post("/item/get", {"access_token": bad + access}),
           400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    expect(api.post("/processor/token/create", {"access_token": access,
           "account_id": account + bad, "processor": "dwolla"}),
           400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip
    expect(api.post("/processor/token/permissions/get", {"processor_token": "processor" + bad}),
           400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    expect(api.post("/item/public_token/exchange", {"public_token": "public-sandbox" + bad}),
           400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")  # fmt: skip
    expect(api.post("/sandbox/public_token/create",
                    {"institution_id": "ins_109508" + bad, "initial_products": ["auth"]}),
           400, "INVALID_INPUT", "INVALID_INSTITUTION")  # fmt: skip
    # Credentials in the body (not the header) with the character in them.
    body = {"client_id": CLIENT_ID + bad, "secret": SECRET, "access_token": access}
    response = api.request("POST", "/item/get", json=body)
    expect(response, 400, "INVALID_INPUT", "INVALID_API_KEYS")


# Types swapped ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/item/get", {"access_token": 42}, "access_token"),
        ("/item/get", {"access_token": 4.2}, "access_token"),
        ("/item/get", {"access_token": True}, "access_token"),
        ("/item/get", {"access_token": None}, "access_token"),
        ("/item/get", {"access_token": {"a": 1}}, "access_token"),
        ("/item/get", {"access_token": ["a"]}, "access_token"),
        ("/sandbox/public_token/create",
         {"institution_id": "ins_109508", "initial_products": "auth"}, "initial_products"),
        ("/sandbox/public_token/create",
         {"institution_id": "ins_109508", "initial_products": [1]}, "initial_products[0]"),
        ("/sandbox/public_token/create",
         {"institution_id": "ins_109508", "initial_products": ["auth"], "options": "x"},
         "options"),
        ("/sandbox/public_token/create",
         {"institution_id": "ins_109508", "initial_products": ["auth"],
          "options": {"transactions": {"days_requested": "90"}}},
         "options.transactions.days_requested"),
        ("/sandbox/public_token/create",
         {"institution_id": "ins_109508", "initial_products": ["auth"],
          "options": {"transactions": {"days_requested": 1.5}}},
         "options.transactions.days_requested"),
        ("/accounts/get", {"access_token": "a", "options": {"account_ids": "x"}},
         "options.account_ids"),
        ("/item/remove", {"access_token": "a", "reason_code": 1}, "reason_code"),
        ("/item/remove", {"access_token": "a", "reason_code": "NOT_A_REASON"}, "reason_code"),
    ],
)  # fmt: skip
def test_wrong_types(api: Api, path: str, body: dict[str, Any], where: str) -> None:
    message = expect(api.post(path, body), 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert message.startswith(where + ":"), message


def test_credentials_of_the_wrong_type(api: Api) -> None:
    body = {"client_id": 1, "secret": SECRET, "access_token": "a"}
    message = expect(api.request("POST", "/item/get", json=body),
                     400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert message == "client_id must be a string"


# Duplicate keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b'{"access_token": "a", "access_token": "b"}',
        b'{"access_token": "a", "access_token": 1}',
        b'{"access_token": "a", "acc\\u0065ss_token": "b"}',  # the same key, escaped
        b'{"access_token": "a", "options": {"account_ids": [], "account_ids": ["x"]}}',
        b'{"access_token": "a", "client_id": "x", "client_id": "y"}',
    ],
    ids=["top", "other-type", "escaped", "nested", "credentials"],
)
def test_duplicate_keys(api: Api, content: bytes) -> None:
    message = expect(raw(api, "/accounts/get", content), 400, "INVALID_REQUEST", "INVALID_BODY")
    assert message.startswith("body has duplicate keys: ")


def test_repeated_names_that_are_not_duplicate_keys(api: Api) -> None:
    # A key's name as a value, and the same key in sibling objects, are not duplicates.
    linked = link_item(api)
    ids = [a["account_id"] for a in linked["accounts"]]
    body = {"access_token": linked["access_token"], "options": {"account_ids": ids[:1]}}
    assert api.post("/accounts/get", body).status_code == 200
    assert api.post("/item/get", {"access_token": "access_token"}).json()["error_code"] == (
        "INVALID_ACCESS_TOKEN"
    )


# Content-Type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/jsonx", "application/x-www-form-urlencoded",
     "multipart/form-data; boundary=x", "application/xml", "json"],
)  # fmt: skip
def test_wrong_content_type(api: Api, content_type: str) -> None:
    response = raw(api, "/item/get", b'{"access_token": "a"}', content_type)
    message = expect(response, 400, "INVALID_REQUEST", "INVALID_BODY")
    assert message == "content-type must be application/json"


def test_missing_content_type(api: Api) -> None:
    message = expect(raw(api, "/item/get", b'{"access_token": "a"}', None),
                     400, "INVALID_REQUEST", "INVALID_HEADERS")  # fmt: skip
    assert message == "Content-Type header is missing"


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", " application/json "]
)
def test_content_type_variants_that_are_json(api: Api, content_type: str) -> None:
    response = raw(api, "/item/get", b'{"access_token": "a"}', content_type)
    expect(response, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")


# Methods and paths -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_on_every_path(api: Api, method: str) -> None:
    for path in PATHS:
        response = raw(api, path, b'{"access_token": "a"}', method=method)
        message = expect(response, 404, "INVALID_REQUEST", "NOT_FOUND")
        assert message == f"{path} takes POST, not {method}", path


@pytest.mark.parametrize(
    "path",
    ["/", "/nope", "/ITEM/GET", "/item/get.json",
     "/sandbox", "/openapi.json", "/health", "/item/get%00", "/%2e%2e/item/get"],
)  # fmt: skip
def test_unknown_paths(api: Api, path: str) -> None:
    # /health and /openapi.json answer GET only; a POST to them is a 404 too. A trailing or
    # doubled "/" is served as the path it means (tests/api/test_router.py).
    message = expect(raw(api, path, b"{}"), 404, "INVALID_REQUEST", "NOT_FOUND")
    assert message.startswith("unknown path '") or message.endswith("takes GET, not POST")


# Credentials -----------------------------------------------------------------------------


def test_credentials_that_disagree(api: Api) -> None:
    for field in ("client_id", "secret"):
        body = {field: "someone-else", "access_token": "a"}
        message = expect(api.post("/item/get", body), 400, "INVALID_REQUEST", "INVALID_FIELD")
        assert message == f"{field} in the body does not match the header"


def test_credentials_that_agree_or_are_split(api: Api) -> None:
    linked = link_item(api)
    body = {"client_id": CLIENT_ID, "secret": SECRET, "access_token": linked["access_token"]}
    assert api.post("/item/get", body).status_code == 200
    # client_id in the header, secret in the body.
    split = {"secret": SECRET, "access_token": linked["access_token"]}
    response = api.request("POST", "/item/get", json=split, headers={"PLAID-CLIENT-ID": CLIENT_ID})
    assert response.status_code == 200, response.text


def test_no_credentials(api: Api) -> None:
    response = api.request("POST", "/item/get", json={"access_token": "a"})
    message = expect(response, 400, "INVALID_REQUEST", "MISSING_FIELDS")
    assert message == "the following required fields are missing: client_id, secret"


def test_unknown_plaid_version(api: Api) -> None:
    for version in ("2099-01-01", "", "2020-09-14\x00", "latest"):
        response = raw(api, "/item/get", b'{"access_token": "a"}', **{"Plaid-Version": version})
        expect(response, 400, "INVALID_REQUEST", "INVALID_HEADERS")


# Tokens that are not (or no longer) ours --------------------------------------------------


def _tokens(api: Api) -> dict[str, str]:
    linked = link_item(api)
    account = linked["accounts"][0]["account_id"]
    body = {"access_token": linked["access_token"], "account_id": account, "processor": "dwolla"}
    processor = api.ok("/processor/token/create", body)["processor_token"]
    return {"access": linked["access_token"], "processor": processor, "account": account}


def _forged(token: str) -> list[str]:
    """Tokens of the right shape that were never issued: other environment, truncated, etc."""
    kind, _, rest = token.split("-", 2)
    return [
        f"{kind}-production-{rest}",
        f"{kind}-development-{rest}",
        token[:-1],
        token[: len(kind) + len("-sandbox-")],
        f"{kind}-sandbox-{uuid.uuid4()}",
        token.upper(),
        token + " ",
    ]


def test_forged_access_tokens(api: Api) -> None:
    tokens = _tokens(api)
    for forged in _forged(tokens["access"]):
        for path, extra in (("/item/get", {}), ("/accounts/get", {}), ("/item/remove", {}),
                            ("/processor/token/create",
                             {"account_id": tokens["account"], "processor": "dwolla"}),
                            ("/processor/stripe/bank_account_token/create",
                             {"account_id": tokens["account"]})):  # fmt: skip
            expect(api.post(path, {"access_token": forged, **extra}),
                   400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


def test_forged_processor_tokens(api: Api) -> None:
    tokens = _tokens(api)
    for forged in _forged(tokens["processor"]):
        expect(api.post("/processor/token/permissions/get", {"processor_token": forged}),
               400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip
        expect(api.post("/processor/token/permissions/set",
                        {"processor_token": forged, "products": ["auth"]}),
               400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip


def test_forged_public_tokens(api: Api) -> None:
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
    )["public_token"]
    for forged in _forged(public):
        expect(api.post("/item/public_token/exchange", {"public_token": forged}),
               400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")  # fmt: skip
    # The real one still works after all that.
    assert api.post("/item/public_token/exchange", {"public_token": public}).status_code == 200


def test_another_tenants_tokens(api: Api) -> None:
    tokens = _tokens(api)
    other, other_secret = api.loop.run_until_complete(api.services.clients.create_client("other"))
    headers = {"PLAID-CLIENT-ID": other.client_id, "PLAID-SECRET": other_secret}
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
    )["public_token"]
    cases = [
        ("/item/get", {"access_token": tokens["access"]}, "INVALID_ACCESS_TOKEN"),
        ("/processor/token/create", {"access_token": tokens["access"],
         "account_id": tokens["account"], "processor": "dwolla"}, "INVALID_ACCESS_TOKEN"),
        ("/processor/token/permissions/get", {"processor_token": tokens["processor"]},
         "INVALID_PROCESSOR_TOKEN"),
        ("/item/public_token/exchange", {"public_token": public}, "INVALID_PUBLIC_TOKEN"),
        ("/item/remove", {"access_token": tokens["access"]}, "INVALID_ACCESS_TOKEN"),
    ]  # fmt: skip
    for path, body, code in cases:
        expect(api.post(path, body, headers=headers), 400, "INVALID_INPUT", code)
    # None of that touched the owner's Item.
    assert api.post("/item/get", {"access_token": tokens["access"]}).status_code == 200


def test_revoked_tokens(api: Api) -> None:
    tokens = _tokens(api)
    api.ok("/item/remove", {"access_token": tokens["access"]})
    expect(api.post("/item/get", {"access_token": tokens["access"]}),
           400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    expect(api.post("/item/remove", {"access_token": tokens["access"]}),
           400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    expect(api.post("/processor/token/permissions/get", {"processor_token": tokens["processor"]}),
           400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip


def test_expired_public_token(api: Api) -> None:
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
    )["public_token"]
    # https://plaid.com/docs/api/items/#itempublic_tokenexchange: it expires after 30 minutes.
    later = time.time() + 30 * 60 + 1

    class Later:
        def now(self) -> float:
            return later

    rebuild(api, clock=Later())
    expect(api.post("/item/public_token/exchange", {"public_token": public}),
           400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")  # fmt: skip


def test_public_token_exchanged_twice(api: Api) -> None:
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
    )["public_token"]
    first = api.ok("/item/public_token/exchange", {"public_token": public})
    message = expect(api.post("/item/public_token/exchange", {"public_token": public}),
                     400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")  # fmt: skip
    assert message == "could not find matching public token"
    # The first exchange's access token is unaffected.
    assert api.post("/item/get", {"access_token": first["access_token"]}).status_code == 200
