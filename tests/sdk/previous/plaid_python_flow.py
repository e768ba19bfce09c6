"""The core flow through the previous plaid-python series, run as a script by the venv that
tests/sdk/test_previous_sdks.py makes for it (that client cannot share the test venv, whose
plaid-python has the same import name).

Reads TOKENBRIDGE_URL, TOKENBRIDGE_CLIENT_ID, TOKENBRIDGE_SECRET, TOKENBRIDGE_PARTNER_CLIENT_ID
and TOKENBRIDGE_PARTNER_SECRET; asserts as it goes, then prints a JSON summary on stdout for
the test to check again.
"""

from __future__ import annotations

import json
import os
from typing import Any

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_get_request import (
    ProcessorTokenPermissionsGetRequest,
)
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.signal_evaluate_request import SignalEvaluateRequest
from plaid.model.transactions_recurring_get_request import TransactionsRecurringGetRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest


def client(client_id: str, secret: str) -> plaid_api.PlaidApi:
    cfg = plaid.Configuration(
        host=os.environ["TOKENBRIDGE_URL"], api_key={"clientId": client_id, "secret": secret}
    )
    return plaid_api.PlaidApi(plaid.ApiClient(cfg))


def main() -> dict[str, Any]:
    env = os.environ
    developer = client(env["TOKENBRIDGE_CLIENT_ID"], env["TOKENBRIDGE_SECRET"])
    partner = client(env["TOKENBRIDGE_PARTNER_CLIENT_ID"], env["TOKENBRIDGE_PARTNER_SECRET"])

    public = developer.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("auth"), Products("transactions")],
        )
    ).public_token
    assert public.startswith("public-sandbox-"), public
    exchanged = developer.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    access = exchanged.access_token
    assert access.startswith("access-sandbox-"), access

    accounts = developer.accounts_get(AccountsGetRequest(access_token=access))
    assert accounts.item.item_id == exchanged.item_id
    account_ids = [a.account_id for a in accounts.accounts]
    assert account_ids, "no accounts"

    auth = developer.auth_get(AuthGetRequest(access_token=access))
    assert [a.account_id for a in auth.accounts] == account_ids
    ach = {n.account_id: n for n in auth.numbers.ach}
    assert set(ach) <= set(account_ids) and ach, ach

    # Page through until the server says there is no more.
    added: list[str] = []
    cursor, pages = "", 0
    while True:
        request = TransactionsSyncRequest(access_token=access, count=100)
        if cursor:
            request = TransactionsSyncRequest(access_token=access, cursor=cursor, count=100)
        page = developer.transactions_sync(request)
        pages += 1
        added += [t.transaction_id for t in page.added]
        assert all(t.account_id in account_ids for t in page.added)
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert len(set(added)) == len(added) > 0, added

    checking = next(iter(ach))
    token = developer.processor_token_create(
        ProcessorTokenCreateRequest(access_token=access, account_id=checking, processor="dwolla")
    ).processor_token
    assert token.startswith("processor-sandbox-"), token
    get = ProcessorTokenPermissionsGetRequest(processor_token=token)
    before = [str(p) for p in developer.processor_token_permissions_get(get).products]
    developer.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(
            processor_token=token, products=[Products("auth"), Products("identity")]
        )
    )
    after = [str(p) for p in developer.processor_token_permissions_get(get).products]
    assert (before, after) == ([], ["auth", "identity"]), (before, after)

    read = partner.processor_auth_get(ProcessorAuthGetRequest(processor_token=token))
    assert read.account.account_id == checking
    # A processor reads one account, so its numbers are one object, not a list.
    assert read.numbers.ach.account_id == checking
    assert read.numbers.ach.routing == ach[checking].routing

    # The developer-side reads of the partner products, through this SDK's models.
    liabilities = developer.liabilities_get(LiabilitiesGetRequest(access_token=access))
    holdings = developer.investments_holdings_get(
        InvestmentsHoldingsGetRequest(access_token=access)
    )
    recurring = developer.transactions_recurring_get(
        TransactionsRecurringGetRequest(access_token=access, account_ids=[checking])
    )
    assert all(s.account_id == checking for s in recurring.outflow_streams)
    scores = developer.signal_evaluate(
        SignalEvaluateRequest(
            access_token=access,
            account_id=checking,
            client_transaction_id="txn-previous",
            amount=42.0,
        )
    ).scores
    developer_reads = {
        "credit_cards": len(liabilities.liabilities.credit or []),
        "holdings": len(holdings.holdings),
        "recurring_outflows": len(recurring.outflow_streams),
        "signal_score": scores.customer_initiated_return_risk.score.value,
    }

    assert developer.item_remove(ItemRemoveRequest(access_token=access)).request_id
    try:
        partner.processor_auth_get(ProcessorAuthGetRequest(processor_token=token))
    except plaid.ApiException as exc:
        refused = {"status": exc.status, **json.loads(exc.body)}
    else:
        raise AssertionError("the partner read a token of a removed Item")
    return {
        "sdk_version": plaid.__version__,
        "account_ids": account_ids,
        "auth_account_ids": [a.account_id for a in auth.accounts],
        "partner_account_id": read.account.account_id,
        "checking": checking,
        "transactions_added": len(added),
        "sync_pages": pages,
        "permissions": after,
        "developer_reads": developer_reads,
        "after_remove": {k: refused.get(k) for k in ("status", "error_type", "error_code")},
    }


if __name__ == "__main__":
    print(json.dumps(main()))
