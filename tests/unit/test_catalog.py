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
)


def test_processor_list_is_plaids_75_names() -> None:
    assert len(PROCESSORS) == 75
    assert len(set(PROCESSORS)) == 75
    assert {"dwolla", "moov", "unit", "galileo", "atomicfi"} <= set(PROCESSORS)
    # Stripe has its own endpoint (/processor/stripe/bank_account_token/create).
    assert "stripe" not in PROCESSORS


def test_product_list_is_plaids_38_names() -> None:
    assert len(PRODUCTS) == 38
    assert len(set(PRODUCTS)) == 38
    assert {"auth", "identity", "transactions", "balance", "signal"} <= set(PRODUCTS)
    assert "balance" not in INITIAL_PRODUCTS
    assert set(PRODUCTS) > INITIAL_PRODUCTS


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
