"""Our processor and product lists against the official SDKs' own enums, so that a newer
SDK's names cannot be refused without a failing test: every value the installed
plaid-python (and npm `plaid`, read from its TypeScript types) can send is accepted, and
every name we accept beyond them is one of the seed list's that the SDKs dropped.

The live tests send a few of the newest names through plaid-python to a real server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from plaid.api import plaid_api
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_get_request import (
    ProcessorTokenPermissionsGetRequest,
)
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.helpers import LiveServer
from tests.nodejs import NODE_DIR, installed_node, run_node_tests
from tests.sdk.conftest import link
from tokenbridge.domain.catalog import (
    INITIAL_PRODUCTS,
    PROCESSORS,
    PRODUCTS,
    SEED_ONLY_PROCESSORS,
)

# Products we accept that no SDK sends any more: none, today.
SEED_ONLY_PRODUCTS: frozenset[str] = frozenset()


def _values(allowed: dict[str, str]) -> list[str]:
    return list(allowed.values())


def _check(ours: Iterable[str], sdk: Iterable[str], seed_only: frozenset[str]) -> None:
    ours, sdk = list(ours), list(sdk)
    missing = [name for name in sdk if name not in ours]
    assert not missing, f"the SDK sends names we refuse: {missing}"
    extra = {name for name in ours if name not in sdk}
    assert extra <= seed_only, f"names neither the SDK nor the seed list has: {extra - seed_only}"


# plaid-python ---------------------------------------------------------------------------


def test_plaid_python_processors_are_all_accepted() -> None:
    sdk = _values(ProcessorTokenCreateRequest.allowed_values[("processor",)])
    assert "seamlessach" in sdk and "kikoff_enterprise" in sdk  # the SDK is the 46 we pin
    _check(PROCESSORS, sdk, SEED_ONLY_PROCESSORS)


def test_plaid_python_products_are_all_accepted() -> None:
    sdk = _values(Products.allowed_values[("value",)])
    assert "cra_qualify" in sdk
    _check(PRODUCTS, sdk, SEED_ONLY_PRODUCTS)
    # The permission list and initial_products are lists of that very enum.
    assert ProcessorTokenPermissionsSetRequest.openapi_types["products"] == ([Products],)
    assert SandboxPublicTokenCreateRequest.openapi_types["initial_products"] == ([Products],)
    assert set(sdk) - {"balance"} <= INITIAL_PRODUCTS


# npm plaid -------------------------------------------------------------------------------


def _enum(source: str, name: str) -> list[str]:
    found = re.search(r"export declare enum " + name + r" \{(.*?)\n\}", source, re.S)
    assert found is not None, f"npm plaid has no enum {name}"
    return re.findall(r'= "([^"]*)"', found.group(1))


@pytest.fixture(scope="module")
def node() -> str:
    return installed_node("the npm plaid tests")


@pytest.fixture(scope="module")
def npm_types(node: str) -> str:
    """npm plaid's dist/api.d.ts."""
    return (NODE_DIR / "node_modules" / "plaid" / "dist" / "api.d.ts").read_text()


def test_npm_plaid_processors_are_all_accepted(npm_types: str) -> None:
    sdk = _enum(npm_types, "ProcessorTokenCreateRequestProcessorEnum")
    assert "seamlessach" in sdk
    # npm plaid lacks plaid-python's adyen_ca, bitgo and anchorage: seed list or not, the
    # other SDK sends them, so they count as known here.
    python_sdk = set(_values(ProcessorTokenCreateRequest.allowed_values[("processor",)]))
    _check(PROCESSORS, sdk, SEED_ONLY_PROCESSORS | python_sdk)


def test_npm_plaid_products_are_all_accepted(npm_types: str) -> None:
    sdk = _enum(npm_types, "Products")
    assert "cra_home_lending" in sdk
    _check(PRODUCTS, sdk, SEED_ONLY_PRODUCTS)


# Live, through plaid-python ------------------------------------------------------------------


@pytest.mark.parametrize("processor", ["seamlessach", "kikoff_enterprise", "anchorage"])
def test_the_newest_processors_get_a_token(client: plaid_api.PlaidApi, processor: str) -> None:
    linked = link(client)
    made = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=linked.access_token, account_id=linked.account_ids[0],
            processor=processor,
        )
    )  # fmt: skip
    assert made.processor_token.startswith("processor-sandbox-")


def test_the_newest_products_are_permissions(client: plaid_api.PlaidApi) -> None:
    linked = link(client)
    token = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=linked.access_token, account_id=linked.account_ids[0],
            processor="seamlessach",
        )
    ).processor_token  # fmt: skip
    wanted = [Products("cra_qualify"), Products("cra_home_lending"), Products("auth")]
    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(processor_token=token, products=wanted)
    )
    got = client.processor_token_permissions_get(
        ProcessorTokenPermissionsGetRequest(processor_token=token)
    )
    assert [p.value for p in got.products] == ["cra_qualify", "cra_home_lending", "auth"]


def test_npm_plaid_live(node: str, server: LiveServer) -> None:
    """tests/node/catalog.test.mjs: the newest names and the institutions through npm plaid."""
    run = run_node_tests(node, "catalog.test.mjs", server)
    assert (run.counts["pass"], run.counts["fail"]) == (2, 0), run.report
