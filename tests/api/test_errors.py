"""Every error of the core in process: malformed bodies, credentials, versions, tokens.

Each case asserts the HTTP status, `error_type` and `error_code`, then the message, and
every response is checked for the PlaidError shape and a request_id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, link_item
from tests.helpers import CLIENT_ID, SECRET, assert_plaid_error
from tokenbridge.domain.catalog import API_VERSIONS

JSON = {"content-type": "application/json"}
# PlaidError's properties, all of them required in Plaid's OpenAPI, in Plaid's order.
PLAID_ERROR_FIELDS = {
    "error_type", "error_code", "error_code_reason", "error_message", "display_message",
    "request_id", "documentation_url", "suggested_action",
}  # fmt: skip


def assert_error(response: httpx.Response, status: int, error_type: str, error_code: str
                 ) -> dict[str, Any]:  # fmt: skip
    """`assert_plaid_error`, plus the whole PlaidError shape: every field, the header's
    request_id and the documentation_url of the code."""
    body = assert_plaid_error(response, status, error_type, error_code)
    assert response.headers["content-type"].startswith("application/json")
    assert set(body) == PLAID_ERROR_FIELDS, body
    assert body["request_id"] == response.headers["x-request-id"]
    assert len(body["request_id"]) == 15
    assert body["documentation_url"] == (
        f"https://plaid.com/docs/errors/{error_type.lower().replace('_', '-')}/"
        f"#{error_code.lower()}"
    )
    assert isinstance(body["error_message"], str)
    return body


def post_raw(api: Api, path: str, content: Any, headers: dict[str, Any] | None = None
             ) -> httpx.Response:  # fmt: skip
    return api.post(path, content=content, headers={**JSON, **(headers or {})})


# Malformed bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"access_token": "\xff\xfe"}', "body could not be parsed as JSON"),
        (b'{"access_token": "\\ud800"}', "body could not be parsed as JSON"),
        (b"{not json", "body could not be parsed as JSON"),
        (b"", "body could not be parsed as JSON"),
        (b'{"access_token": "x"} trailing', "body could not be parsed as JSON"),
        (b'["access_token"]', "body must be a JSON object"),
        (b'"access_token"', "body must be a JSON object"),
        (b"42", "body must be a JSON object"),
        (b"null", "body must be a JSON object"),
        (b"[" * 10_000 + b"]" * 10_000, "body could not be parsed as JSON"),
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "body could not be parsed as JSON"),
    ],
    ids=["invalid-utf8", "lone-surrogate", "not-json", "empty", "trailing", "array", "string",
         "number", "null", "deep-array", "deep-object"],
)  # fmt: skip
def test_malformed_body(api: Api, content: bytes, message: str) -> None:
    body = assert_error(post_raw(api, "/item/get", content),
                        400, "INVALID_REQUEST", "INVALID_BODY")  # fmt: skip
    assert body["error_message"] == message


def test_body_over_one_mebibyte(api: Api) -> None:
    padding = b" " * (1024 * 1024)
    body = assert_error(post_raw(api, "/item/get", b'{"access_token": "x"}' + padding),
                        400, "INVALID_REQUEST", "INVALID_BODY")  # fmt: skip
    assert body["error_message"] == "body must be at most 1048576 bytes"


def test_streamed_body_over_one_mebibyte(api: Api) -> None:
    # Without a Content-Length the limit is enforced while reading.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 60_000

    body = assert_error(post_raw(api, "/item/get", chunks()),
                        400, "INVALID_REQUEST", "INVALID_BODY")  # fmt: skip
    assert "at most" in body["error_message"]


def test_streamed_body_under_the_limit_is_read_whole(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"access_token":'
        yield b' "access-sandbox-nope"}'

    assert_error(post_raw(api, "/item/get", chunks()),
                 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


def test_duplicate_keys(api: Api) -> None:
    response = post_raw(api, "/item/get", b'{"access_token": "a", "access_token": "b"}')
    assert_error(response, 400, "INVALID_REQUEST", "INVALID_BODY")


@pytest.mark.parametrize("content_type", ["text/plain", "application/jsonx", "form"])
def test_wrong_content_type(api: Api, content_type: str) -> None:
    if content_type == "form":
        response = api.post("/item/get", data={"access_token": "x"})
    else:
        response = post_raw(api, "/item/get", b'{"access_token": "x"}',
                            {"content-type": content_type})  # fmt: skip
    body = assert_error(response, 400, "INVALID_REQUEST", "INVALID_BODY")
    assert body["error_message"] == "content-type must be application/json"


def test_missing_content_type(api: Api) -> None:
    # Plaid: INVALID_HEADERS, "a required header is missing, typically the Content-Type".
    for response in (
        api.post("/item/get", content=b'{"access_token": "x"}'),
        post_raw(api, "/item/get", b'{"access_token": "x"}', {"content-type": ""}),
    ):
        body = assert_error(response, 400, "INVALID_REQUEST", "INVALID_HEADERS")
        assert body["error_message"] == "Content-Type header is missing"


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/json "]
)
def test_content_type_variants_accepted(api: Api, content_type: str) -> None:
    response = post_raw(api, "/item/get", b'{"access_token": "x"}', {"content-type": content_type})
    # Past the body checks: the token is what is wrong.
    assert_error(response, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")


# Fields -------------------------------------------------------------------------------


def test_missing_fields_listed_in_order(api: Api) -> None:
    body = assert_error(api.post("/processor/token/create", {}),
                        400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert body["error_message"] == (
        "the following required fields are missing: access_token, account_id, processor"
    )


def test_unknown_fields_listed_sorted(api: Api) -> None:
    body = assert_error(api.post("/item/get", {"access_token": "x", "zeta": 1, "alpha": None}),
                        400, "INVALID_REQUEST", "UNKNOWN_FIELDS")  # fmt: skip
    assert body["error_message"].endswith(": alpha, zeta")


def test_nested_unknown_field(api: Api) -> None:
    request = {"access_token": "x", "options": {"account_idz": []}}
    body = assert_error(api.post("/accounts/get", request),
                        400, "INVALID_REQUEST", "UNKNOWN_FIELDS")  # fmt: skip
    assert body["error_message"].endswith(": options.account_idz")


@pytest.mark.parametrize(
    ("path", "request_body", "where"),
    [
        ("/item/get", {"access_token": 42}, "access_token: expected string, got int"),
        ("/item/get", {"access_token": None}, "access_token: expected string, got null"),
        ("/accounts/get", {"access_token": "x", "options": []}, "options: expected object"),
        ("/accounts/get", {"access_token": "x", "options": {"account_ids": [1]}},
         "options.account_ids[0]: expected string, got int"),
        ("/processor/token/permissions/set", {"processor_token": "x", "products": "auth"},
         "products: expected array, got string"),
        ("/processor/token/permissions/set", {"processor_token": "x", "products": ["nope"]},
         "nope"),
        ("/processor/token/create", {"access_token": "x", "account_id": "y", "processor": "x"},
         "processor must be one of Plaid's processors, not 'x'"),
        ("/sandbox/public_token/create", {"institution_id": "ins_109508",
                                          "initial_products": ["telepathy"]}, "telepathy"),
        ("/item/remove", {"access_token": "x", "reason_code": "BORED"}, "reason_code"),
    ],
    ids=["int", "null", "options-array", "nested-int", "products-string", "bad-product",
         "bad-processor", "bad-initial-product", "bad-enum"],
)  # fmt: skip
def test_invalid_field(api: Api, path: str, request_body: dict[str, Any], where: str) -> None:
    body = assert_error(api.post(path, request_body), 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert where in body["error_message"]


# Credentials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        ({}, "client_id, secret"),
        ({"PLAID-CLIENT-ID": CLIENT_ID}, "secret"),
        ({"PLAID-SECRET": SECRET}, "client_id"),
        ({"PLAID-CLIENT-ID": "", "PLAID-SECRET": ""}, "client_id, secret"),
    ],
)
def test_missing_credentials(api: Api, headers: dict[str, str], missing: str) -> None:
    api.headers = headers
    body = assert_error(api.post("/item/get", {"access_token": "x"}),
                        400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert body["error_message"] == f"the following required fields are missing: {missing}"


def test_credentials_in_the_body(api: Api) -> None:
    api.headers = {}
    request = {"client_id": CLIENT_ID, "secret": SECRET, "institution_id": "ins_109508",
               "initial_products": ["auth"]}  # fmt: skip
    assert api.ok("/sandbox/public_token/create", request)["public_token"]
    # One in the header and one in the body works too.
    api.headers = {"PLAID-CLIENT-ID": CLIENT_ID}
    del request["client_id"]
    assert api.ok("/sandbox/public_token/create", request)["public_token"]
    # The same values in both places are accepted.
    api.headers = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}
    request["client_id"] = CLIENT_ID
    assert api.ok("/sandbox/public_token/create", request)["public_token"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"client_id": "someone-else"}, "client_id in the body does not match the header"),
        ({"secret": "another-secret"}, "secret in the body does not match the header"),
        ({"secret": 12345}, "secret must be a string"),
    ],
)
def test_header_and_body_credentials_disagree(
    api: Api, override: dict[str, Any], message: str
) -> None:
    body = assert_error(api.post("/item/get", {"access_token": "x", **override}),
                        400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert body["error_message"] == message


@pytest.mark.parametrize(
    "headers",
    [{"PLAID-SECRET": "wrong"}, {"PLAID-CLIENT-ID": "nobody"}, {"PLAID-SECRET": SECRET + " "}],
)
def test_invalid_api_keys(api: Api, headers: dict[str, str]) -> None:
    body = assert_error(api.post("/item/get", {"access_token": "x"}, headers=headers),
                        400, "INVALID_INPUT", "INVALID_API_KEYS")  # fmt: skip
    assert body["error_message"] == "invalid client_id or secret provided"


def test_invalid_api_keys_in_the_body(api: Api) -> None:
    api.headers = {}
    request = {"client_id": CLIENT_ID, "secret": "wrong", "access_token": "x"}
    assert_error(api.post("/item/get", request), 400, "INVALID_INPUT", "INVALID_API_KEYS")


# Plaid-Version ------------------------------------------------------------------------


def test_plaid_version_missing_or_known(api: Api) -> None:
    item = link_item(api)
    for version in (None, *API_VERSIONS):
        headers = {} if version is None else {"Plaid-Version": version}
        response = api.post("/item/get", {"access_token": item["access_token"]}, headers=headers)
        assert response.status_code == 200, (version, response.text)
        assert response.json()["item"]["item_id"] == item["item_id"]


@pytest.mark.parametrize(
    ("version", "removed"),
    [(None, False), ("2020-09-14", False), ("2019-05-29", True), ("2018-05-22", True),
     ("2017-03-08", True)],
)  # fmt: skip
def test_item_remove_says_removed_up_to_2019_05_29(
    api: Api, version: str | None, removed: bool
) -> None:
    item = link_item(api)
    headers = {} if version is None else {"Plaid-Version": version}
    response = api.post("/item/remove", {"access_token": item["access_token"]}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["request_id"]
    if removed:
        assert body == {"removed": True, "request_id": body["request_id"]}
    else:
        assert body == {"request_id": body["request_id"]}


@pytest.mark.parametrize("version", ["2021-01-01", "0.1.0", "", "2020-9-14", b"\xe9"])
def test_unknown_plaid_version(api: Api, version: str | bytes) -> None:
    body = assert_error(
        api.post("/item/get", {"access_token": "x"}, headers={"Plaid-Version": version}),
        400, "INVALID_REQUEST", "INVALID_HEADERS",
    )  # fmt: skip
    assert "Plaid-Version" in body["error_message"]


# Paths and methods --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [("POST", "/no/such/path", "unknown path '/no/such/path'"),
     ("POST", "/Item/Get", "unknown path '/Item/Get'; did you mean /item/get?"),
     ("GET", "/item/get", "/item/get takes POST, not GET"),
     ("PUT", "/processor/token/create", "/processor/token/create takes POST, not PUT"),
     ("DELETE", "/item/remove", "/item/remove takes POST, not DELETE"),
     ("POST", "/health", "/health takes GET, not POST"),
     ("GET", "/", "unknown path '/'")],
)  # fmt: skip
def test_not_found(api: Api, method: str, path: str, message: str) -> None:
    response = api.request(method, path, headers={**api.headers, **JSON}, content=b"{}")
    body = assert_error(response, 404, "INVALID_REQUEST", "NOT_FOUND")
    assert body["error_message"] == message


def test_health(api: Api) -> None:
    response = api.request("GET", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


# Tokens, accounts, institutions ------------------------------------------------------


def test_token_errors(api: Api) -> None:
    item = link_item(api)
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        ("/item/get", {"access_token": "access-sandbox-nope"},
         "INVALID_ACCESS_TOKEN", "could not find matching access token"),
        ("/item/public_token/exchange", {"public_token": "public-sandbox-nope"},
         "INVALID_PUBLIC_TOKEN", "could not find matching public token"),
        ("/processor/token/permissions/get", {"processor_token": "processor-sandbox-nope"},
         "INVALID_PROCESSOR_TOKEN", "could not find matching processor token"),
        ("/processor/token/create", {"access_token": item["access_token"],
                                     "account_id": "nope", "processor": "dwolla"},
         "INVALID_ACCOUNT_ID", "failed to find requested account ID for requested item"),
        ("/processor/stripe/bank_account_token/create",
         {"access_token": item["access_token"], "account_id": "nope"},
         "INVALID_ACCOUNT_ID", "failed to find requested account ID for requested item"),
        ("/sandbox/public_token/create", {"institution_id": "ins_nope",
                                          "initial_products": ["auth"]},
         "INVALID_INSTITUTION", "invalid institution_id provided"),
        ("/sandbox/processor_token/create", {"institution_id": "ins_nope"},
         "INVALID_INSTITUTION", "invalid institution_id provided"),
    ]  # fmt: skip
    for path, request, code, message in cases:
        body = assert_error(api.post(path, request), 400, "INVALID_INPUT", code)
        assert body["error_message"] == message


def test_public_token_exchanged_twice(api: Api) -> None:
    public = api.ok("/sandbox/public_token/create",
                    {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
    api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    assert_error(api.post("/item/public_token/exchange", {"public_token": public["public_token"]}),
                 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")  # fmt: skip


def test_another_clients_tokens_answer_as_unknown(api: Api) -> None:
    item = link_item(api)
    account_id = item["accounts"][0]["account_id"]
    token = api.ok("/processor/token/create", {"access_token": item["access_token"],
                   "account_id": account_id, "processor": "unit"})["processor_token"]  # fmt: skip
    other, secret = api.loop.run_until_complete(api.services.clients.create_client("other"))
    api.headers = {"PLAID-CLIENT-ID": other.client_id, "PLAID-SECRET": secret}

    def without_request_id(response: httpx.Response, code: str) -> dict[str, Any]:
        body = assert_error(response, 400, "INVALID_INPUT", code)
        del body["request_id"]
        return body

    theirs = without_request_id(api.post("/item/get", {"access_token": item["access_token"]}),
                                "INVALID_ACCESS_TOKEN")  # fmt: skip
    unknown = without_request_id(api.post("/item/get", {"access_token": "access-sandbox-x"}),
                                 "INVALID_ACCESS_TOKEN")  # fmt: skip
    assert theirs == unknown
    get = "/processor/token/permissions/get"
    theirs = without_request_id(api.post(get, {"processor_token": token}),
                                "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    unknown = without_request_id(api.post(get, {"processor_token": "processor-sandbox-x"}),
                                 "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    assert theirs == unknown


# Every response carries a request_id --------------------------------------------------


def test_every_success_has_a_request_id(api: Api) -> None:
    public = api.ok("/sandbox/public_token/create",
                    {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
    exchanged = api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    access = exchanged["access_token"]
    accounts = api.ok("/accounts/get", {"access_token": access})
    account_id = accounts["accounts"][0]["account_id"]
    token = api.ok(
        "/processor/token/create",
        {"access_token": access, "account_id": account_id, "processor": "dwolla"},
    )
    responses = [
        public, exchanged, accounts, token,
        api.ok("/item/get", {"access_token": access}),
        api.ok("/processor/token/permissions/set",
               {"processor_token": token["processor_token"], "products": ["auth"]}),
        api.ok("/processor/token/permissions/get", {"processor_token": token["processor_token"]}),
        api.ok("/processor/stripe/bank_account_token/create",
               {"access_token": access, "account_id": account_id}),
        api.ok("/sandbox/processor_token/create", {"institution_id": "ins_109508"}),
        api.ok("/item/remove", {"access_token": access}),
    ]  # fmt: skip
    ids = [r["request_id"] for r in responses]
    assert all(isinstance(i, str) and len(i) == 15 for i in ids)
    assert len(set(ids)) == len(ids)
    assert responses[5] == {"request_id": ids[5]}
