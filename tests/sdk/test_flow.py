"""The whole developer flow through the official plaid-python client, unmodified."""

from __future__ import annotations

from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.accounts_get_request_options import AccountsGetRequestOptions
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.processor_stripe_bank_account_token_create_request import (
    ProcessorStripeBankAccountTokenCreateRequest,
)
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_get_request import (
    ProcessorTokenPermissionsGetRequest,
)
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.products import Products
from plaid.model.sandbox_processor_token_create_request import SandboxProcessorTokenCreateRequest
from plaid.model.sandbox_processor_token_create_request_options import (
    SandboxProcessorTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)

from tests.sdk.conftest import api_error, link


def test_public_token_to_processor_tokens_to_item_remove(client: plaid_api.PlaidApi) -> None:
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("auth"), Products("transactions")],
        )
    )
    assert public.public_token.startswith("public-sandbox-")
    assert public.request_id

    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public.public_token)
    )
    access = exchanged.access_token
    assert access.startswith("access-sandbox-")

    accounts = client.accounts_get(AccountsGetRequest(access_token=access))
    assert accounts.item.item_id == exchanged.item_id
    assert [a.name for a in accounts.accounts[:2]] == ["Plaid Checking", "Plaid Saving"]
    checking, saving = accounts.accounts[0], accounts.accounts[1]
    assert (checking.mask, str(checking.type), str(checking.subtype)) == (
        "0000", "depository", "checking",
    )  # fmt: skip
    assert checking.balances.available == 100
    assert checking.balances.current == 110

    item = client.item_get(ItemGetRequest(access_token=access))
    assert item.item.item_id == exchanged.item_id
    assert item.item.institution_id == "ins_109508"
    assert [str(p) for p in item.item.billed_products] == ["auth", "transactions"]

    # Several processors on one account, and another account of the same Item.
    tokens = [
        client.processor_token_create(
            ProcessorTokenCreateRequest(
                access_token=access, account_id=account.account_id, processor=processor
            )
        ).processor_token
        for account, processor in (
            (checking, "dwolla"), (checking, "moov"), (checking, "unit"), (saving, "dwolla"),
        )
    ]  # fmt: skip
    assert all(t.startswith("processor-sandbox-") for t in tokens)
    assert len(set(tokens)) == len(tokens)

    token = tokens[0]
    get = ProcessorTokenPermissionsGetRequest(processor_token=token)
    assert client.processor_token_permissions_get(get).products == []
    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(
            processor_token=token, products=[Products("auth"), Products("identity")]
        )
    )
    assert [str(p) for p in client.processor_token_permissions_get(get).products] == [
        "auth", "identity",
    ]  # fmt: skip
    # The other tokens of the same account keep their own (empty) list.
    other = ProcessorTokenPermissionsGetRequest(processor_token=tokens[1])
    assert client.processor_token_permissions_get(other).products == []
    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(processor_token=token, products=[])
    )
    assert client.processor_token_permissions_get(get).products == []

    btok = client.processor_stripe_bank_account_token_create(
        ProcessorStripeBankAccountTokenCreateRequest(
            access_token=access, account_id=checking.account_id
        )
    ).stripe_bank_account_token
    assert btok.startswith("btok_")

    removed = client.item_remove(ItemRemoveRequest(access_token=access))
    assert removed.request_id

    # Every token of the removed Item is now refused (the btok cannot be presented to
    # this API, so it is checked at the store level in the unit tests).
    for call in (
        lambda: client.item_get(ItemGetRequest(access_token=access)),
        lambda: client.accounts_get(AccountsGetRequest(access_token=access)),
        lambda: client.processor_token_create(
            ProcessorTokenCreateRequest(
                access_token=access, account_id=checking.account_id, processor="dwolla"
            )
        ),
        lambda: client.item_remove(ItemRemoveRequest(access_token=access)),
    ):
        api_error(call, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
    for t in tokens:
        api_error(
            lambda t=t: client.processor_token_permissions_get(  # type: ignore[misc]
                ProcessorTokenPermissionsGetRequest(processor_token=t)
            ),
            400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN",
        )  # fmt: skip
        api_error(
            lambda t=t: client.processor_token_permissions_set(  # type: ignore[misc]
                ProcessorTokenPermissionsSetRequest(processor_token=t, products=[])
            ),
            400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN",
        )  # fmt: skip


def test_sandbox_processor_token_create(client: plaid_api.PlaidApi) -> None:
    token = client.sandbox_processor_token_create(
        SandboxProcessorTokenCreateRequest(institution_id="ins_109511")
    ).processor_token
    assert token.startswith("processor-sandbox-")
    got = client.processor_token_permissions_get(
        ProcessorTokenPermissionsGetRequest(processor_token=token)
    )
    assert got.products == []
    assert got.request_id


def test_accounts_get_narrowed_to_account_ids(client: plaid_api.PlaidApi) -> None:
    linked = link(client)
    wanted = [linked.account_ids[1]]
    got = client.accounts_get(
        AccountsGetRequest(
            access_token=linked.access_token,
            options=AccountsGetRequestOptions(account_ids=wanted),
        )
    )
    assert [a.account_id for a in got.accounts] == wanted


def test_null_sandbox_overrides_mean_the_defaults(client: plaid_api.PlaidApi) -> None:
    # Plaid's override_username / override_password are nullable with a default, and the
    # SDK sends null for None.
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("auth")],
            options=SandboxPublicTokenCreateRequestOptions(
                override_username=None, override_password=None
            ),
        )
    ).public_token
    assert public.startswith("public-sandbox-")
    token = client.sandbox_processor_token_create(
        SandboxProcessorTokenCreateRequest(
            institution_id="ins_109508",
            options=SandboxProcessorTokenCreateRequestOptions(
                override_username=None, override_password=None
            ),
        )
    ).processor_token
    assert token.startswith("processor-sandbox-")
