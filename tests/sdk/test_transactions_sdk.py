"""Transactions through plaid-python against a live server, as developer and as partner.

The partner is created with `tokenbridge partners create` beside the running server, as a
partner would be; every response must deserialise into the SDK's models.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from plaid.api import plaid_api
from plaid.model.income_verification_source_type import IncomeVerificationSourceType
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.processor_token_webhook_update_request import (
    ProcessorTokenWebhookUpdateRequest,
)
from plaid.model.processor_transactions_get_request import ProcessorTransactionsGetRequest
from plaid.model.processor_transactions_get_request_options import (
    ProcessorTransactionsGetRequestOptions,
)
from plaid.model.processor_transactions_recurring_get_request import (
    ProcessorTransactionsRecurringGetRequest,
)
from plaid.model.processor_transactions_refresh_request import (
    ProcessorTransactionsRefreshRequest,
)
from plaid.model.processor_transactions_sync_request import ProcessorTransactionsSyncRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_income_verification_bank_income import (
    SandboxPublicTokenCreateRequestIncomeVerificationBankIncome,
)
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request_options_income_verification import (
    SandboxPublicTokenCreateRequestOptionsIncomeVerification,
)
from plaid.model.sandbox_public_token_create_request_options_statements import (
    SandboxPublicTokenCreateRequestOptionsStatements,
)
from plaid.model.sandbox_public_token_create_request_options_transactions import (
    SandboxPublicTokenCreateRequestOptionsTransactions,
)
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.transactions_sync_request_options import TransactionsSyncRequestOptions

from tests.helpers import WebhookReceiver
from tests.sdk.conftest import Linked, api_error, link

START, END = date(2000, 1, 1), date(2100, 1, 1)


def processor_token(client: plaid_api.PlaidApi, item: Linked, index: int = 0) -> str:
    token: str = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=item.access_token, account_id=item.account_ids[index], processor="dwolla"
        )
    ).processor_token
    return token


def partner_sync(partner: plaid_api.PlaidApi, token: str, cursor: str = "", count: int = 25
                 ) -> tuple[list[Any], str]:  # fmt: skip
    """Every page of one update, as SDK models, and the cursor after it."""
    pages = []
    while True:
        request = ProcessorTransactionsSyncRequest(processor_token=token, count=count)
        if cursor:
            request.cursor = cursor
        page = partner.processor_transactions_sync(request)
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            return pages, cursor


def test_developer_and_partner_agree(client: plaid_api.PlaidApi,
                                     dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    item = link(client)
    token = processor_token(client, item)
    developer = client.transactions_get(
        TransactionsGetRequest(
            access_token=item.access_token, start_date=START, end_date=END,
            options=TransactionsGetRequestOptions(account_ids=[item.account_ids[0]], count=500),
        )
    )  # fmt: skip
    partner = dwolla.processor_transactions_get(
        ProcessorTransactionsGetRequest(
            processor_token=token, start_date=START, end_date=END,
            options=ProcessorTransactionsGetRequestOptions(count=500),
        )
    )  # fmt: skip
    assert partner.account.account_id == item.account_ids[0]
    assert developer.total_transactions == partner.total_transactions >= 90
    assert [t.to_dict() for t in developer.transactions] == [
        t.to_dict() for t in partner.transactions
    ]
    first = partner.transactions[0]
    assert isinstance(first.date, date)
    assert first.personal_finance_category.primary
    assert str(first.payment_channel) in ("online", "in store", "other")


def test_sync_refresh_and_recurring(client: plaid_api.PlaidApi,
                                    dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    item = link(client)
    token = processor_token(client, item)
    pages, cursor = partner_sync(dwolla, token)
    added = [t.transaction_id for p in pages for t in p.added]
    assert len(added) == len(set(added)) == sum(len(p.added) for p in pages)
    assert str(pages[0].transactions_update_status) == "HISTORICAL_UPDATE_COMPLETE"
    got = dwolla.processor_transactions_get(
        ProcessorTransactionsGetRequest(
            processor_token=token, start_date=START, end_date=END,
            options=ProcessorTransactionsGetRequestOptions(count=500),
        )
    )  # fmt: skip
    assert sorted(added) == sorted(t.transaction_id for t in got.transactions)

    dwolla.processor_transactions_refresh(
        ProcessorTransactionsRefreshRequest(processor_token=token)
    )
    change = dwolla.processor_transactions_sync(
        ProcessorTransactionsSyncRequest(processor_token=token, cursor=cursor)
    )
    assert len(change.removed) == 1 and len(change.added) == 2 and len(change.modified) == 1
    posted = next(t for t in change.added if t.pending_transaction_id)
    assert posted.pending_transaction_id == change.removed[0].transaction_id

    # The developer's sync of the same account sees the same change, from its own cursor.
    options = TransactionsSyncRequestOptions(account_id=item.account_ids[0])
    first = client.transactions_sync(
        TransactionsSyncRequest(access_token=item.access_token, count=500, options=options)
    )
    assert not first.has_more and [a.account_id for a in first.accounts] == item.account_ids[:1]
    assert {t.transaction_id for t in first.added} == set(added) ^ {
        change.removed[0].transaction_id
    } | {t.transaction_id for t in change.added}

    recurring = dwolla.processor_transactions_recurring_get(
        ProcessorTransactionsRecurringGetRequest(processor_token=token)
    )
    assert {s.merchant_name for s in recurring.inflow_streams} == {"Gusto"}
    assert str(recurring.inflow_streams[0].frequency) == "BIWEEKLY"
    assert recurring.outflow_streams and recurring.updated_datetime is not None


def test_denied_and_removed(client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi) -> None:
    item = link(client)
    token = processor_token(client, item)
    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(processor_token=token, products=[Products("auth")])
    )
    body = api_error(
        lambda: dwolla.processor_transactions_sync(
            ProcessorTransactionsSyncRequest(processor_token=token)
        ),
        400, "INVALID_INPUT", "INVALID_PRODUCT",
    )  # fmt: skip
    assert '"transactions"' in body["error_message"]
    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(processor_token=token, products=[])
    )
    dwolla.processor_transactions_sync(ProcessorTransactionsSyncRequest(processor_token=token))
    client.item_remove(ItemRemoveRequest(access_token=item.access_token))
    api_error(
        lambda: dwolla.processor_transactions_get(
            ProcessorTransactionsGetRequest(processor_token=token, start_date=START, end_date=END)
        ),
        400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN",
    )  # fmt: skip
    api_error(
        lambda: client.transactions_sync(TransactionsSyncRequest(access_token=item.access_token)),
        400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
    )  # fmt: skip


def test_refresh_webhook_reaches_the_partner(
    client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi,
    receiver: WebhookReceiver,
) -> None:  # fmt: skip
    url = receiver.url
    item = link(client)
    token = processor_token(client, item)
    dwolla.processor_token_webhook_update(
        ProcessorTokenWebhookUpdateRequest(processor_token=token, webhook=url)
    )
    partner_sync(dwolla, token, count=500)
    # The acknowledgement of the webhook, then the four webhooks of Transactions started by
    # the partner's sync.
    receiver.wait(5)
    assert sorted((p["webhook_code"], p.get("historical_update_complete"))
                  for p in receiver.received) == [
        ("HISTORICAL_UPDATE", None), ("INITIAL_UPDATE", None),
        ("SYNC_UPDATES_AVAILABLE", False), ("SYNC_UPDATES_AVAILABLE", True),
        ("WEBHOOK_UPDATE_ACKNOWLEDGED", None),
    ]  # fmt: skip
    receiver.received.clear()
    dwolla.processor_transactions_refresh(
        ProcessorTransactionsRefreshRequest(processor_token=token)
    )

    def sync_update(received: list[dict[str, Any]]) -> dict[str, Any] | None:
        return next((p for p in received if p["webhook_code"] == "SYNC_UPDATES_AVAILABLE"), None)

    receiver.wait_until(lambda received: sync_update(received) is not None)
    assert sync_update(receiver.received) == {
        "webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
        "account_id": item.account_ids[0], "initial_update_complete": True,
        "historical_update_complete": True, "environment": "sandbox",
    }  # fmt: skip


def test_link_options_in_plaid_shapes(client: plaid_api.PlaidApi) -> None:
    """Every option of plaid-python's SandboxPublicTokenCreateRequestOptions is accepted;
    `transactions.days_requested` sets the Item's history."""
    options = SandboxPublicTokenCreateRequestOptions(
        transactions=SandboxPublicTokenCreateRequestOptionsTransactions(days_requested=400),
        statements=SandboxPublicTokenCreateRequestOptionsStatements(
            start_date=date(2024, 1, 1), end_date=date(2024, 6, 30)
        ),
        income_verification=SandboxPublicTokenCreateRequestOptionsIncomeVerification(
            income_source_types=[IncomeVerificationSourceType("bank")],
            bank_income=SandboxPublicTokenCreateRequestIncomeVerificationBankIncome(
                days_requested=60
            ),
        ),
    )
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("transactions")],
            options=options,
        )
    ).public_token  # fmt: skip
    token = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token

    def nth(offset: int) -> Any:
        return client.transactions_get(
            TransactionsGetRequest(
                access_token=token, start_date=START, end_date=END,
                options=TransactionsGetRequestOptions(count=1, offset=offset),
            )
        )  # fmt: skip

    newest = nth(0)
    oldest = nth(newest.total_transactions - 1).transactions[0]
    assert 390 <= (newest.transactions[0].date - oldest.date).days <= 400
