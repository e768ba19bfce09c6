"""The Institutions endpoints and the unhealthy sandbox institutions through plaid-python
against a live server: every answer deserialises in the official client, unmodified."""

from __future__ import annotations

from plaid.api import plaid_api
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.institutions_get_by_id_request_options import InstitutionsGetByIdRequestOptions
from plaid.model.institutions_get_request import InstitutionsGetRequest
from plaid.model.institutions_get_request_options import InstitutionsGetRequestOptions
from plaid.model.institutions_search_request import InstitutionsSearchRequest
from plaid.model.products import Products
from plaid.model.sandbox_processor_token_create_request import SandboxProcessorTokenCreateRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.sdk.conftest import api_error

US = [CountryCode("US")]


def test_institutions_get_and_search(client: plaid_api.PlaidApi) -> None:
    page = client.institutions_get(InstitutionsGetRequest(
        count=3, offset=1, country_codes=US,
        options=InstitutionsGetRequestOptions(products=[Products("auth")],
                                              include_optional_metadata=True),
    ))  # fmt: skip
    assert page.total == 13
    assert [i.institution_id for i in page.institutions] == ["ins_130016", "ins_109509",
                                                             "ins_109510"]  # fmt: skip
    assert page.institutions[0].url == "https://plaid.com"
    found = client.institutions_search(
        InstitutionsSearchRequest(query="Unhealthy Platypus", country_codes=US)
    )
    assert [i.name for i in found.institutions] == [
        "Unhealthy Platypus Bank - Degraded", "Unhealthy Platypus Bank - Down",
    ]  # fmt: skip


def test_unhealthy_institutions_status_and_logins(client: plaid_api.PlaidApi) -> None:
    for institution_id, status in (("ins_132363", "DEGRADED"), ("ins_132361", "DOWN"),
                                   ("ins_109508", "HEALTHY")):  # fmt: skip
        got = client.institutions_get_by_id(InstitutionsGetByIdRequest(
            institution_id=institution_id, country_codes=US,
            options=InstitutionsGetByIdRequestOptions(include_status=True,
                                                      include_auth_metadata=True),
        )).institution  # fmt: skip
        assert got.status.item_logins.status == status
        assert got.auth_metadata.supported_methods.instant_auth is True
    api_error(lambda: client.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_132361", initial_products=[Products("auth")])),
        400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")  # fmt: skip
    api_error(lambda: client.sandbox_processor_token_create(
        SandboxProcessorTokenCreateRequest(institution_id="ins_133402")),
        400, "INSTITUTION_ERROR", "INSTITUTION_NO_LONGER_SUPPORTED")  # fmt: skip
    degraded = client.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_132363", initial_products=[Products("auth")]))  # fmt: skip
    assert degraded.public_token.startswith("public-sandbox-")
    api_error(lambda: client.institutions_get_by_id(
        InstitutionsGetByIdRequest(institution_id="ins_0", country_codes=US)),
        400, "INVALID_INPUT", "INVALID_INSTITUTION")  # fmt: skip
