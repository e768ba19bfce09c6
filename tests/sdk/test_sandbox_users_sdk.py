"""Sandbox test users beyond user_good, through plaid-python against a live server:
user_custom (developer and partner side, across a restart), microdeposits_good with
/sandbox/item/set_verification_status, user_transactions_dynamic with
/sandbox/transactions/create."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.custom_sandbox_transaction import CustomSandboxTransaction
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_balance_get_request import ProcessorBalanceGetRequest
from plaid.model.processor_identity_get_request import ProcessorIdentityGetRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_transactions_get_request import ProcessorTransactionsGetRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_set_verification_status_request import (
    SandboxItemSetVerificationStatusRequest,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_transactions_create_request import SandboxTransactionsCreateRequest
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from tests.conftest import chosen_database
from tests.helpers import LiveServer
from tests.sdk.conftest import api_error, create_partner, sdk_client

TODAY = datetime.now(UTC).date()


def config() -> dict[str, Any]:
    return {
        "override_accounts": [
            {
                "type": "depository",
                "subtype": "checking",
                "starting_balance": 1234.56,
                "meta": {"name": "SDK Checking", "official_name": "SDK Premier Checking"},
                "numbers": {"account": "9900112233", "ach_routing": "011401533"},
                "transactions": [
                    {"date_transacted": str(TODAY - timedelta(days=2)),
                     "date_posted": str(TODAY - timedelta(days=1)), "amount": 42.0,
                     "description": "Book Shop"},
                ],
                "identity": {
                    "names": ["Grace Hopper"],
                    "emails": [{"data": "grace@example.com", "primary": True,
                                "type": "primary"}],
                },
            }
        ]
    }  # fmt: skip


def link_custom(
    client: plaid_api.PlaidApi, password: str, username: str = "user_custom"
) -> tuple[str, str]:
    """(access_token, the first account_id) of a new Item of the test user."""
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("auth"), Products("transactions")],
            options=SandboxPublicTokenCreateRequestOptions(
                override_username=username, override_password=password
            ),
        )
    ).public_token
    access = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    accounts = client.accounts_get(AccountsGetRequest(access_token=access)).accounts
    return access, accounts[0].account_id


def developer_view(client: plaid_api.PlaidApi, access: str) -> dict[str, Any]:
    account = client.accounts_get(AccountsGetRequest(access_token=access)).accounts[0]
    ach = client.auth_get(AuthGetRequest(access_token=access)).numbers.ach[0]
    owner = client.identity_get(IdentityGetRequest(access_token=access)).accounts[0].owners[0]
    transactions = client.transactions_get(
        TransactionsGetRequest(access_token=access, start_date=TODAY - timedelta(days=30),
                               end_date=TODAY)
    ).transactions  # fmt: skip
    return {
        "name": account.name,
        "current": account.balances.current,
        "numbers": (ach.account, ach.routing),
        "names": list(owner.names),
        "email": owner.emails[0].data,
        "transactions": [(t.name, t.amount, t.date, t.pending) for t in transactions],
    }


def partner_view(partner: plaid_api.PlaidApi, token: str) -> dict[str, Any]:
    auth = partner.processor_auth_get(ProcessorAuthGetRequest(processor_token=token))
    balance = partner.processor_balance_get(ProcessorBalanceGetRequest(processor_token=token))
    owner = partner.processor_identity_get(
        ProcessorIdentityGetRequest(processor_token=token)
    ).account.owners[0]
    transactions = partner.processor_transactions_get(
        ProcessorTransactionsGetRequest(processor_token=token,
                                        start_date=TODAY - timedelta(days=30), end_date=TODAY)
    ).transactions  # fmt: skip
    return {
        "name": auth.account.name,
        "current": balance.account.balances.current,
        "numbers": (auth.numbers.ach.account, auth.numbers.ach.routing),
        "names": list(owner.names),
        "email": owner.emails[0].data,
        "transactions": [(t.name, t.amount, t.date, t.pending) for t in transactions],
    }


EXPECTED = {
    "name": "SDK Checking",
    "current": 1234.56,
    "numbers": ("9900112233", "011401533"),
    "names": ["Grace Hopper"],
    "email": "grace@example.com",
    "transactions": [("Book Shop", 42.0, TODAY - timedelta(days=1), False)],
}


def test_user_custom_reads_alike_on_both_sides_and_after_a_restart(tmp_path: Path) -> None:
    with chosen_database(tmp_path) as url:
        first = LiveServer(url, log_path=tmp_path / "first.log").start()
        try:
            client = sdk_client(first)
            partner_credentials = create_partner(url, "dwolla")
            access, account_id = link_custom(client, json.dumps(config()))
            token = client.processor_token_create(
                ProcessorTokenCreateRequest(
                    access_token=access, account_id=account_id, processor="dwolla"
                )
            ).processor_token
            assert developer_view(client, access) == EXPECTED
            assert partner_view(sdk_client(first, *partner_credentials), token) == EXPECTED
        finally:
            first.stop()
        # The configuration is the user's data: a new server over the database has it.
        second = LiveServer(url, log_path=tmp_path / "second.log").start()
        try:
            assert developer_view(sdk_client(second), access) == EXPECTED
            assert partner_view(sdk_client(second, *partner_credentials), token) == EXPECTED
        finally:
            second.stop()


def test_microdeposits_and_set_verification_status(client: plaid_api.PlaidApi) -> None:
    access, account_id = link_custom(client, "microdeposits_good", username="user_good")
    account = client.accounts_get(AccountsGetRequest(access_token=access)).accounts[0]
    assert account.verification_status == "pending_automatic_verification"
    api_error(lambda: client.auth_get(AuthGetRequest(access_token=access)),
              400, "ITEM_ERROR", "PRODUCT_NOT_READY")  # fmt: skip
    client.sandbox_item_set_verification_status(
        SandboxItemSetVerificationStatusRequest(
            access_token=access, account_id=account_id,
            verification_status="automatically_verified",
        )
    )  # fmt: skip
    auth = client.auth_get(AuthGetRequest(access_token=access))
    assert auth.accounts[0].verification_status == "automatically_verified"
    assert auth.numbers.ach[0].account_id == account_id
    api_error(
        lambda: client.sandbox_item_set_verification_status(
            SandboxItemSetVerificationStatusRequest(
                access_token=access, account_id="nope", verification_status="verification_expired"
            )
        ),
        400, "INVALID_INPUT", "INVALID_ACCOUNT_ID",
    )  # fmt: skip


def test_transactions_create_then_sync(client: plaid_api.PlaidApi) -> None:
    access, _ = link_custom(client, "any", username="user_transactions_dynamic")
    cursor = ""
    while True:
        page = client.transactions_sync(TransactionsSyncRequest(access_token=access, cursor=cursor))
        cursor = page.next_cursor
        if not page.has_more:
            break
    client.sandbox_transactions_create(
        SandboxTransactionsCreateRequest(
            access_token=access,
            transactions=[
                CustomSandboxTransaction(
                    date_transacted=TODAY - timedelta(days=1), date_posted=TODAY,
                    amount=19.99, description="SDK Custom",
                )
            ],
        )
    )  # fmt: skip
    page = client.transactions_sync(TransactionsSyncRequest(access_token=access, cursor=cursor))
    custom = [t for t in page.added if t.name == "SDK Custom"]
    assert [(t.amount, t.date, t.authorized_date, t.pending) for t in custom] == [
        (19.99, TODAY, TODAY - timedelta(days=1), False)
    ]
    api_error(
        lambda: client.sandbox_transactions_create(
            SandboxTransactionsCreateRequest(access_token=access, transactions=[
                CustomSandboxTransaction(date_transacted=TODAY - timedelta(days=20),
                                         date_posted=TODAY, amount=1.0, description="old")
            ])
        ),
        400, "INVALID_REQUEST", "INVALID_FIELD",
    )  # fmt: skip


def test_user_custom_force_error_and_a_malformed_configuration(client: plaid_api.PlaidApi) -> None:
    def create(password: str) -> Any:
        return client.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_109508", initial_products=[Products("auth")],
                options=SandboxPublicTokenCreateRequestOptions(
                    override_username="user_custom", override_password=password
                ),
            )
        )  # fmt: skip

    body = api_error(lambda: create(json.dumps({"force_error": "ITEM_LOCKED"})),
                     400, "ITEM_ERROR", "ITEM_LOCKED")  # fmt: skip
    assert body["display_message"]
    api_error(lambda: create(json.dumps({"force_error": "INSTITUTION_NOT_RESPONDING"})),
              400, "INSTITUTION_ERROR", "INSTITUTION_NOT_RESPONDING")  # fmt: skip
    body = api_error(lambda: create('{"override_accounts": [{"type": "depository"}]}'),
                     400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert "override_accounts[0]" in body["error_message"]
