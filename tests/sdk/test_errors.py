"""Each error of the core, as the official client reports it: `plaid.ApiException`.

Where the SDK's models refuse to build a bad request (an unknown enum value, a missing
required field), the request goes through the SDK's own `ApiClient.call_api` with a plain
dict, so the wire, the headers and the exception are still the SDK's. Bodies that no SDK
can send (not JSON, not an object) go out through httpx.
"""

from __future__ import annotations

from typing import Any

import httpx
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_get_request import (
    ProcessorTokenPermissionsGetRequest,
)
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.products import Products
from plaid.model.sandbox_processor_token_create_request import SandboxProcessorTokenCreateRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.helpers import LiveServer
from tests.helpers import assert_plaid_error as assert_http_error
from tests.sdk.conftest import api_error, create_client, link, sdk_client

UNKNOWN_ACCESS = "access-sandbox-00000000-0000-4000-8000-000000000000"
UNKNOWN_PROCESSOR = "processor-sandbox-00000000-0000-4000-8000-000000000000"


def call_raw(client: plaid_api.PlaidApi, path: str, body: Any, method: str = "POST") -> Any:
    """POST a plain body through the SDK's ApiClient, with the SDK's auth headers."""
    return client.api_client.call_api(
        path,
        method,
        header_params={"Content-Type": "application/json"},
        body=body,
        auth_settings=["clientId", "secret", "plaidVersion"],
        response_type=None,
    )


def post_bytes(server: LiveServer, path: str, content: bytes,
               content_type: str = "application/json") -> httpx.Response:  # fmt: skip
    headers = {
        "Content-Type": content_type,
        "PLAID-CLIENT-ID": server.client_id,
        "PLAID-SECRET": server.secret,
    }
    return httpx.post(server.url + path, content=content, headers=headers, timeout=10)


def processor_token(client: plaid_api.PlaidApi, processor: str = "dwolla") -> str:
    linked = link(client)
    token: str = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=linked.access_token, account_id=linked.account_ids[0],
            processor=processor,
        )
    ).processor_token  # fmt: skip
    return token


# INVALID_BODY -----------------------------------------------------------------------------


def test_body_not_json(server: LiveServer) -> None:
    body = assert_http_error(post_bytes(server, "/item/get", b"{not json"),
                             400, "INVALID_REQUEST", "INVALID_BODY")  # fmt: skip
    assert body["documentation_url"].startswith("https://plaid.com/docs/errors/")


def test_body_not_an_object(server: LiveServer) -> None:
    assert_http_error(post_bytes(server, "/item/get", b'["access_token"]'),
                      400, "INVALID_REQUEST", "INVALID_BODY")  # fmt: skip


def test_wrong_content_type(server: LiveServer) -> None:
    response = post_bytes(server, "/item/get", b'{"access_token": "x"}', "text/plain")
    assert_http_error(response, 400, "INVALID_REQUEST", "INVALID_BODY")


# Field errors -------------------------------------------------------------------------


def test_missing_fields(client: plaid_api.PlaidApi) -> None:
    body = api_error(lambda: call_raw(client, "/processor/token/create", {"access_token": "a"}),
                     400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert "account_id, processor" in body["error_message"]


def test_unknown_fields(client: plaid_api.PlaidApi) -> None:
    body = api_error(
        lambda: call_raw(client, "/item/get", {"access_token": "a", "colour": "blue"}),
        400, "INVALID_REQUEST", "UNKNOWN_FIELDS",
    )  # fmt: skip
    assert "colour" in body["error_message"]


def test_wrong_field_type(client: plaid_api.PlaidApi) -> None:
    body = api_error(lambda: call_raw(client, "/item/get", {"access_token": 42}),
                     400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert "access_token" in body["error_message"]


def test_unknown_processor(client: plaid_api.PlaidApi) -> None:
    linked = link(client)
    request = {"access_token": linked.access_token, "account_id": linked.account_ids[0],
               "processor": "not_a_processor"}  # fmt: skip
    body = api_error(lambda: call_raw(client, "/processor/token/create", request),
                     400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert "not_a_processor" in body["error_message"]


def test_unknown_product(client: plaid_api.PlaidApi) -> None:
    token = processor_token(client)
    request = {"processor_token": token, "products": ["auth", "telepathy"]}
    body = api_error(lambda: call_raw(client, "/processor/token/permissions/set", request),
                     400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert "telepathy" in body["error_message"]
    # The failed set changed nothing.
    got = client.processor_token_permissions_get(
        ProcessorTokenPermissionsGetRequest(processor_token=token)
    )
    assert got.products == []
    request = {"institution_id": "ins_109508", "initial_products": ["telepathy"]}
    api_error(lambda: call_raw(client, "/sandbox/public_token/create", request),
              400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip


# Credentials and headers --------------------------------------------------------------


def test_wrong_secret(server: LiveServer) -> None:
    client = sdk_client(server, secret="not-the-secret")
    body = api_error(lambda: client.item_get(ItemGetRequest(access_token=UNKNOWN_ACCESS)),
                     400, "INVALID_INPUT", "INVALID_API_KEYS")  # fmt: skip
    assert body["error_message"] == "invalid client_id or secret provided"


def test_unknown_client_id(server: LiveServer) -> None:
    client = sdk_client(server, client_id="no-such-client")
    api_error(lambda: client.item_get(ItemGetRequest(access_token=UNKNOWN_ACCESS)),
              400, "INVALID_INPUT", "INVALID_API_KEYS")  # fmt: skip


def test_bad_plaid_version(server: LiveServer) -> None:
    client = sdk_client(server)
    client.api_client.set_default_header("Plaid-Version", "2021-01-01")
    body = api_error(lambda: client.item_get(ItemGetRequest(access_token=UNKNOWN_ACCESS)),
                     400, "INVALID_REQUEST", "INVALID_HEADERS")  # fmt: skip
    assert "Plaid-Version" in body["error_message"]


def test_credentials_in_the_body(server: LiveServer) -> None:
    body = {"client_id": server.client_id, "secret": server.secret,
            "institution_id": "ins_109508", "initial_products": ["auth"]}  # fmt: skip
    response = httpx.post(server.url + "/sandbox/public_token/create", json=body, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["public_token"].startswith("public-sandbox-")
    body["secret"] = "wrong"
    response = httpx.post(server.url + "/sandbox/public_token/create", json=body, timeout=10)
    assert_http_error(response, 400, "INVALID_INPUT", "INVALID_API_KEYS")


# Tokens, accounts, institutions -------------------------------------------------------


def test_unknown_access_token(client: plaid_api.PlaidApi) -> None:
    body = api_error(lambda: client.accounts_get(AccountsGetRequest(access_token=UNKNOWN_ACCESS)),
                     400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    assert body["error_message"] == "could not find matching access token"


def test_public_token_unknown_and_exchanged_twice(client: plaid_api.PlaidApi) -> None:
    api_error(
        lambda: client.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token="public-sandbox-unknown")
        ),
        400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
    )  # fmt: skip
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("auth")]
        )
    ).public_token
    request = ItemPublicTokenExchangeRequest(public_token=public)
    assert client.item_public_token_exchange(request).access_token
    api_error(lambda: client.item_public_token_exchange(request),
              400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")  # fmt: skip


def test_unknown_processor_token(client: plaid_api.PlaidApi) -> None:
    get = ProcessorTokenPermissionsGetRequest(processor_token=UNKNOWN_PROCESSOR)
    api_error(lambda: client.processor_token_permissions_get(get),
              400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip


def test_account_id_of_another_item(client: plaid_api.PlaidApi) -> None:
    first, second = link(client), link(client)
    for account_id in ("no-such-account", second.account_ids[0]):
        request = ProcessorTokenCreateRequest(
            access_token=first.access_token, account_id=account_id, processor="dwolla"
        )
        api_error(lambda r=request: client.processor_token_create(r),  # type: ignore[misc]
                  400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip


def test_unknown_institution(client: plaid_api.PlaidApi) -> None:
    api_error(
        lambda: client.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_0", initial_products=[Products("auth")]
            )
        ),
        400, "INVALID_INPUT", "INVALID_INSTITUTION",
    )  # fmt: skip
    api_error(
        lambda: client.sandbox_processor_token_create(
            SandboxProcessorTokenCreateRequest(institution_id="ins_0")
        ),
        400, "INVALID_INPUT", "INVALID_INSTITUTION",
    )  # fmt: skip


# Paths and methods --------------------------------------------------------------------


def test_unknown_path(client: plaid_api.PlaidApi) -> None:
    api_error(lambda: call_raw(client, "/no/such/path", {}), 404, "INVALID_REQUEST", "NOT_FOUND")


def test_get_on_a_post_path(client: plaid_api.PlaidApi) -> None:
    api_error(lambda: call_raw(client, "/item/get", None, method="GET"),
              404, "INVALID_REQUEST", "NOT_FOUND")  # fmt: skip


# Tenant isolation ---------------------------------------------------------------------


def test_another_clients_tokens_look_unknown(
    server: LiveServer, client: plaid_api.PlaidApi
) -> None:
    linked = link(client)
    token = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=linked.access_token, account_id=linked.account_ids[0],
            processor="moov",
        )
    ).processor_token  # fmt: skip
    other_id, other_secret = create_client(server.database_url, "other")
    other = sdk_client(server, other_id, other_secret)

    def refused(call: Any, code: str) -> dict[str, Any]:
        body = api_error(call, 400, "INVALID_INPUT", code)
        del body["request_id"]
        return body

    for request in (
        lambda a: other.item_get(ItemGetRequest(access_token=a)),
        lambda a: other.accounts_get(AccountsGetRequest(access_token=a)),
        lambda a: other.processor_token_create(
            ProcessorTokenCreateRequest(
                access_token=a, account_id=linked.account_ids[0], processor="dwolla"
            )
        ),
    ):
        theirs = refused(lambda r=request: r(linked.access_token), "INVALID_ACCESS_TOKEN")
        unknown = refused(lambda r=request: r(UNKNOWN_ACCESS), "INVALID_ACCESS_TOKEN")
        assert theirs == unknown
    for request in (
        lambda t: other.processor_token_permissions_get(
            ProcessorTokenPermissionsGetRequest(processor_token=t)
        ),
        lambda t: other.processor_token_permissions_set(
            ProcessorTokenPermissionsSetRequest(processor_token=t, products=[])
        ),
    ):
        theirs = refused(lambda r=request: r(token), "INVALID_PROCESSOR_TOKEN")
        unknown = refused(lambda r=request: r(UNKNOWN_PROCESSOR), "INVALID_PROCESSOR_TOKEN")
        assert theirs == unknown
    # The owner still sees both.
    assert client.item_get(ItemGetRequest(access_token=linked.access_token)).item.item_id
    got = client.processor_token_permissions_get(
        ProcessorTokenPermissionsGetRequest(processor_token=token)
    )
    assert got.products == []
    # And the new client works for its own Items.
    assert link(other).access_token.startswith("access-sandbox-")
