"""Link tokens through the official plaid-python client: app code that creates a Link token
first runs unchanged. Requests the SDK's models refuse to build (a missing required field,
an unknown country or product) go through the SDK's own ApiClient with a plain dict."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from plaid.api import plaid_api
from plaid.model.country_code import CountryCode
from plaid.model.depository_account_subtype import DepositoryAccountSubtype
from plaid.model.depository_account_subtypes import DepositoryAccountSubtypes
from plaid.model.depository_filter import DepositoryFilter
from plaid.model.link_token_account_filters import LinkTokenAccountFilters
from plaid.model.link_token_create_hosted_link import LinkTokenCreateHostedLink
from plaid.model.link_token_create_institution_data import LinkTokenCreateInstitutionData
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.link_token_transactions import LinkTokenTransactions
from plaid.model.products import Products

from tests.helpers import LiveServer
from tests.sdk.conftest import api_error, create_client, link, sdk_client
from tests.sdk.test_errors import call_raw
from tokenbridge.http import schemas as s

WEBHOOK = "https://example.com/plaid-webhook"


def request(**changes: Any) -> LinkTokenCreateRequest:
    """The request of Plaid's quickstart, with `changes` (None leaves a field out)."""
    fields: dict[str, Any] = {
        "client_name": "Plaid Test App",
        "language": "en",
        "country_codes": [CountryCode("US")],
        "user": LinkTokenCreateRequestUser(client_user_id="user-1"),
        "products": [Products("auth")],
    }
    fields.update(changes)
    return LinkTokenCreateRequest(**{k: v for k, v in fields.items() if v is not None})


def raw_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_name": "Plaid Test App",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "user-1"},
        "products": ["auth"],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_create_then_get(client: plaid_api.PlaidApi) -> None:
    created = client.link_token_create(
        request(
            products=[Products("auth"), Products("transactions")],
            country_codes=[CountryCode("US"), CountryCode("GB")],
            language="fr",
            webhook=WEBHOOK,
            redirect_uri="https://example.com/oauth.html",
            institution_data=LinkTokenCreateInstitutionData(routing_number="011401533"),
            account_filters=LinkTokenAccountFilters(
                depository=DepositoryFilter(
                    account_subtypes=DepositoryAccountSubtypes(
                        [DepositoryAccountSubtype("checking")]
                    )
                )
            ),
            transactions=LinkTokenTransactions(days_requested=180),
        )
    )
    assert re.fullmatch(r"link-sandbox-[0-9a-f-]{36}", created.link_token)
    assert created.request_id

    got = client.link_token_get(LinkTokenGetRequest(link_token=created.link_token))
    assert got.link_token == created.link_token
    assert got.expiration == created.expiration
    assert got.expiration - got.created_at == timedelta(hours=4)
    assert got.link_sessions == []
    metadata = got.metadata
    assert [str(p) for p in metadata.initial_products] == ["auth", "transactions"]
    assert [str(c) for c in metadata.country_codes] == ["US", "GB"]
    assert (metadata.language, metadata.webhook, metadata.client_name) == (
        "fr", WEBHOOK, "Plaid Test App",
    )  # fmt: skip
    assert metadata.redirect_uri == "https://example.com/oauth.html"
    assert metadata.institution_data.routing_number == "011401533"
    assert [str(t) for t in metadata.account_filters.depository.account_subtypes.value] == [
        "checking"
    ]


def test_update_mode(client: plaid_api.PlaidApi) -> None:
    linked = link(client)
    update = LinkTokenCreateRequest(
        client_name="Plaid Test App",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        access_token=linked.access_token,
    )
    created = client.link_token_create(update)
    got = client.link_token_get(LinkTokenGetRequest(link_token=created.link_token))
    assert got.expiration - got.created_at == timedelta(minutes=30)
    assert got.metadata.initial_products == []


def test_missing_client_name_and_user(client: plaid_api.PlaidApi) -> None:
    body = api_error(lambda: call_raw(client, "/link/token/create", raw_body(client_name=None)),
                     400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert body["error_message"] == "the following required fields are missing: client_name"
    # user is optional in the SDK's model (user_id may stand in for it), so the SDK sends this.
    body = api_error(lambda: client.link_token_create(request(user=None)),
                     400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert body["error_message"] == "the following required fields are missing: user"


def test_bad_country_code_and_unknown_product(client: plaid_api.PlaidApi) -> None:
    body = api_error(
        lambda: call_raw(client, "/link/token/create", raw_body(country_codes=["US", "ZZ"])),
        400, "INVALID_REQUEST", "INVALID_FIELD",
    )  # fmt: skip
    assert body["error_message"] == "country_codes contains unsupported country codes: ZZ"
    body = api_error(
        lambda: call_raw(client, "/link/token/create", raw_body(products=["telepathy"])),
        400, "INVALID_REQUEST", "INVALID_FIELD",
    )  # fmt: skip
    assert "telepathy" in body["error_message"]
    # `balance` is a product the SDK knows, and not one Link may be asked for.
    body = api_error(lambda: client.link_token_create(request(products=[Products("balance")])),
                     400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert body["error_message"] == "products contains unknown or unsupported products: balance"


def test_bad_access_token_in_update_mode(client: plaid_api.PlaidApi) -> None:
    api_error(lambda: client.link_token_create(request(access_token="access-sandbox-unknown")),
              400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


def test_another_clients_link_token_is_unknown(
    client: plaid_api.PlaidApi, server: LiveServer
) -> None:
    token = client.link_token_create(request()).link_token
    other = sdk_client(server, *create_client(server.database_url, "other app"))
    theirs = api_error(lambda: other.link_token_get(LinkTokenGetRequest(link_token=token)),
                       400, "INVALID_INPUT", "INVALID_LINK_TOKEN")  # fmt: skip
    unknown = api_error(
        lambda: client.link_token_get(LinkTokenGetRequest(link_token="link-sandbox-unknown")),
        400, "INVALID_INPUT", "INVALID_LINK_TOKEN",
    )  # fmt: skip
    assert theirs["error_message"] == unknown["error_message"]


@pytest.mark.parametrize(
    ("model", "ours"),
    [
        (LinkTokenCreateRequest, s.LinkTokenCreateRequest),
        (LinkTokenCreateRequestUser, s.LinkTokenCreateRequestUser),
        (LinkTokenCreateInstitutionData, s.LinkTokenCreateInstitutionData),
        (LinkTokenCreateRequestUpdate, s.LinkTokenCreateRequestUpdate),
        (LinkTokenTransactions, s.LinkTokenTransactions),
        (LinkTokenCreateHostedLink, s.LinkTokenCreateHostedLink),
        (LinkTokenAccountFilters, s.LinkTokenAccountFilters),
        (DepositoryFilter, s.DepositoryFilter),
    ],
    ids=lambda v: v.__name__,
)
def test_every_field_the_sdk_can_send_is_accepted(model: Any, ours: Any) -> None:
    # Our request shapes refuse unknown fields (UNKNOWN_FIELDS), so a field the SDK knows and
    # we do not would refuse app code that sets it.
    sdk_fields = set(model.attribute_map.values())
    assert sdk_fields <= {f.encode_name for f in msgspec.structs.fields(ours)}
