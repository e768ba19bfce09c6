"""Plaid's closed vocabularies: every name accepted, anything else refused."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Domain
from tokenbridge.domain import errors
from tokenbridge.domain.catalog import (
    API_VERSIONS,
    DEFAULT_API_VERSION,
    INITIAL_PRODUCTS,
    PROCESSORS,
    PRODUCTS,
    SEED_ONLY_PROCESSORS,
)


def test_processor_list_is_the_seed_lists_75_and_the_sdks_14_names() -> None:
    assert len(PROCESSORS) == 89
    assert len(set(PROCESSORS)) == 89
    assert {"dwolla", "moov", "unit", "galileo", "atomicfi"} <= set(PROCESSORS)
    # The seed list's order first, the SDKs' names after it.
    assert PROCESSORS.index("atomicfi") == 74
    assert PROCESSORS[75:] == (
        "seamlessach", "pay", "natural", "kanmon", "kick", "increase", "airwallex", "cybrid",
        "bizcap", "webull", "kikoff_enterprise", "adyen_ca", "bitgo", "anchorage",
    )  # fmt: skip
    # npm plaid 47 dropped paynote; it stays accepted, and is the only seed-only name.
    assert {"paynote"} == SEED_ONLY_PROCESSORS
    assert "paynote" in PROCESSORS
    # Stripe has its own endpoint (/processor/stripe/bank_account_token/create).
    assert "stripe" not in PROCESSORS


def test_product_list_is_the_seed_lists_38_and_the_sdks_2_names() -> None:
    assert len(PRODUCTS) == 40
    assert len(set(PRODUCTS)) == 40
    assert {"auth", "identity", "transactions", "balance", "signal"} <= set(PRODUCTS)
    assert PRODUCTS[38:] == ("cra_qualify", "cra_home_lending")
    assert "balance" not in INITIAL_PRODUCTS
    assert set(PRODUCTS) - {"balance"} == INITIAL_PRODUCTS
    assert {"cra_qualify", "cra_home_lending"} <= INITIAL_PRODUCTS


def test_api_versions() -> None:
    assert API_VERSIONS == ("2017-03-08", "2018-05-22", "2019-05-29", "2020-09-14")
    assert DEFAULT_API_VERSION == "2020-09-14"


def test_every_processor_gets_a_token(domain: Domain) -> None:
    ptokens = domain.services.processor_tokens
    access = domain.link()
    account = domain.account_ids(access)[0]
    tokens = {
        domain.run(ptokens.processor_token_create(domain.client, access, account, p))
        for p in PROCESSORS
    }
    assert len(tokens) == len(PROCESSORS)


@pytest.mark.parametrize("processor", ["stripe", "Dwolla", "dwolla ", "", "not_a_processor"])
def test_unknown_processor_is_refused(domain: Domain, processor: str) -> None:
    ptokens = domain.services.processor_tokens
    access = domain.link()
    account = domain.account_ids(access)[0]
    with pytest.raises(errors.InvalidField) as info:
        domain.run(ptokens.processor_token_create(domain.client, access, account, processor))
    assert info.value.error_type == "INVALID_REQUEST"
    assert info.value.error_code == "INVALID_FIELD"
    assert repr(processor) in info.value.error_message


def test_every_product_is_a_permission(domain: Domain) -> None:
    ptokens = domain.services.processor_tokens
    token = domain.processor_token("unit")
    domain.run(ptokens.processor_token_permissions_set(domain.client, token, PRODUCTS))
    got = domain.run(ptokens.processor_token_permissions_get(domain.client, token))
    assert got == PRODUCTS


@pytest.mark.parametrize("product", ["telepathy", "AUTH", "", "stripe"])
def test_unknown_product_is_refused(domain: Domain, product: str) -> None:
    ptokens = domain.services.processor_tokens
    token = domain.processor_token("unit")
    with pytest.raises(errors.InvalidField) as info:
        domain.run(ptokens.processor_token_permissions_set(domain.client, token, ["auth", product]))
    assert info.value.error_code == "INVALID_FIELD"
    # Nothing was written.
    assert domain.run(ptokens.processor_token_permissions_get(domain.client, token)) == ()
    with pytest.raises(errors.InvalidField):
        domain.run(
            domain.services.items.sandbox_public_token_create(
                domain.client, "ins_109508", [product]
            )
        )


def test_balance_is_not_an_initial_product(domain: Domain) -> None:
    with pytest.raises(errors.InvalidField):
        domain.run(
            domain.services.items.sandbox_public_token_create(
                domain.client, "ins_109508", ["balance"]
            )
        )
    with pytest.raises(errors.InvalidField):
        domain.run(
            domain.services.items.sandbox_public_token_create(domain.client, "ins_109508", [])
        )


def test_new_consumer_report_products_link_a_sandbox_item(domain: Domain) -> None:
    items = domain.services.items
    for product in ("cra_qualify", "cra_home_lending"):
        token = domain.run(
            items.sandbox_public_token_create(domain.client, "ins_109508", [product])
        )
        assert token.startswith("public-sandbox-")
