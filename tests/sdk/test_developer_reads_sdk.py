"""The developer-side (access token) forms of the partner reads, through plaid-python.

Each read must answer, for one account named in `account_ids`, exactly what its partner
form (`/processor/...`, read by the dwolla partner with a processor token of that account)
answers, and, without `account_ids`, the data of every eligible account of the Item. The
product rule of domain/products.py (a read of a product the Item was not linked with) and
the errors shared with the partner form are checked here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.identity_match_request import IdentityMatchRequest
from plaid.model.identity_match_request_options import IdentityMatchRequestOptions
from plaid.model.identity_match_user import IdentityMatchUser
from plaid.model.investment_holdings_get_request_options import (
    InvestmentHoldingsGetRequestOptions,
)
from plaid.model.investments_auth_get_request import InvestmentsAuthGetRequest
from plaid.model.investments_auth_get_request_options import InvestmentsAuthGetRequestOptions
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.investments_transactions_get_request import InvestmentsTransactionsGetRequest
from plaid.model.investments_transactions_get_request_options import (
    InvestmentsTransactionsGetRequestOptions,
)
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.liabilities_get_request_options import LiabilitiesGetRequestOptions
from plaid.model.processor_identity_get_request import ProcessorIdentityGetRequest
from plaid.model.processor_identity_match_request import ProcessorIdentityMatchRequest
from plaid.model.processor_investments_auth_get_request import ProcessorInvestmentsAuthGetRequest
from plaid.model.processor_investments_holdings_get_request import (
    ProcessorInvestmentsHoldingsGetRequest,
)
from plaid.model.processor_investments_transactions_get_request import (
    ProcessorInvestmentsTransactionsGetRequest,
)
from plaid.model.processor_liabilities_get_request import ProcessorLiabilitiesGetRequest
from plaid.model.processor_signal_evaluate_request import ProcessorSignalEvaluateRequest
from plaid.model.processor_transactions_recurring_get_request import (
    ProcessorTransactionsRecurringGetRequest,
)
from plaid.model.processor_transactions_refresh_request import (
    ProcessorTransactionsRefreshRequest,
)
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.signal_decision_report_request import SignalDecisionReportRequest
from plaid.model.signal_evaluate_request import SignalEvaluateRequest
from plaid.model.signal_prepare_request import SignalPrepareRequest
from plaid.model.signal_return_report_request import SignalReturnReportRequest
from plaid.model.transactions_recurring_get_request import TransactionsRecurringGetRequest
from plaid.model.transactions_refresh_request import TransactionsRefreshRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from tests.helpers import LiveServer
from tests.sdk.conftest import Linked, api_error, create_client, link, sdk_client
from tests.sdk.test_transactions_sdk import END, START, partner_sync, processor_token

EVERYTHING = ("auth", "transactions", "liabilities", "investments")

# Helpers ------------------------------------------------------------------------------


def named(client: plaid_api.PlaidApi, item: Linked) -> dict[str, str]:
    """The Item's account_ids by account name ("Plaid IRA" -> account_id)."""
    accounts = client.accounts_get(AccountsGetRequest(access_token=item.access_token)).accounts
    return {a.name: a.account_id for a in accounts}


def token_for(client: plaid_api.PlaidApi, item: Linked, account_id: str) -> str:
    """A dwolla processor token of the account."""
    return processor_token(client, item, item.account_ids.index(account_id))


def products_of(client: plaid_api.PlaidApi, item: Linked) -> tuple[list[str], list[str]]:
    """The Item's (products, billed_products) as /item/get shows them."""
    got = client.item_get(ItemGetRequest(access_token=item.access_token)).item
    return [str(p) for p in got.products], [str(p) for p in got.billed_products]


def dicts(models: Sequence[Any]) -> list[dict[str, Any]]:
    return [m.to_dict() for m in models]


def by_id(models: Sequence[Any], key: str) -> dict[str, dict[str, Any]]:
    return {m[key]: m.to_dict() for m in models}


def investment_account(account: Any) -> dict[str, Any]:
    """An account as AccountBase: the developer form's InvestmentAccount without the
    margin_loan_amount its balances add (null in the sandbox)."""
    found: dict[str, Any] = account.to_dict()
    assert found["balances"].pop("margin_loan_amount", None) is None
    return found


def developer_sync(client: plaid_api.PlaidApi, access_token: str, cursor: str = ""
                   ) -> tuple[list[Any], str]:  # fmt: skip
    """Every page of one update of the Item, as SDK models, and the cursor after it."""
    pages = []
    while True:
        request = TransactionsSyncRequest(access_token=access_token, count=500)
        if cursor:
            request.cursor = cursor
        page = client.transactions_sync(request)
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            return pages, cursor


def changes(pages: Sequence[Any], account_id: str | None = None) -> dict[str, list[Any]]:
    """The added, modified and removed transactions of sync pages (of one account, if
    given), each sorted by transaction_id."""
    found: dict[str, list[Any]] = {}
    for kind in ("added", "modified", "removed"):
        rows = [t.to_dict() for p in pages for t in p[kind]
                if account_id is None or t.account_id == account_id]  # fmt: skip
        found[kind] = sorted(rows, key=lambda t: t["transaction_id"])
    return found


def narrowed(options: Callable[..., Any], account_ids: list[str] | None) -> dict[str, Any]:
    """The `options` keyword of a request narrowed to `account_ids` (none if None)."""
    return {} if account_ids is None else {"options": options(account_ids=account_ids)}


def reads(client: plaid_api.PlaidApi, access_token: str, account_id: str, narrow: bool = True
          ) -> dict[str, Callable[[], Any]]:  # fmt: skip
    """Every new developer read with an access token, on `account_id` (the `account_ids`
    of those that take it when `narrow`; /signal/evaluate always names it)."""
    ids = [account_id] if narrow else None
    token = access_token
    signal = SignalEvaluateRequest(access_token=token, account_id=account_id,
                                   client_transaction_id="reads-1", amount=10.0)  # fmt: skip
    user = IdentityMatchUser(legal_name="Alberta Charleson")
    return {
        "/investments/holdings/get": lambda: client.investments_holdings_get(
            InvestmentsHoldingsGetRequest(
                access_token=token, **narrowed(InvestmentHoldingsGetRequestOptions, ids))
        ),
        "/investments/transactions/get": lambda: client.investments_transactions_get(
            InvestmentsTransactionsGetRequest(
                access_token=token, start_date=START, end_date=END,
                **narrowed(InvestmentsTransactionsGetRequestOptions, ids))
        ),
        "/investments/auth/get": lambda: client.investments_auth_get(
            InvestmentsAuthGetRequest(
                access_token=token, **narrowed(InvestmentsAuthGetRequestOptions, ids))
        ),
        "/liabilities/get": lambda: client.liabilities_get(
            LiabilitiesGetRequest(access_token=token, **narrowed(LiabilitiesGetRequestOptions, ids))
        ),
        "/identity/match": lambda: client.identity_match(
            IdentityMatchRequest(access_token=token, user=user,
                                 **narrowed(IdentityMatchRequestOptions, ids))
        ),
        # The recurring read takes account_ids at the top level in plaid-python 46.
        "/transactions/recurring/get": lambda: client.transactions_recurring_get(
            TransactionsRecurringGetRequest(access_token=token,
                                            **({} if ids is None else {"account_ids": ids}))
        ),
        "/transactions/refresh": lambda: client.transactions_refresh(
            TransactionsRefreshRequest(access_token=token)
        ),
        "/signal/evaluate": lambda: client.signal_evaluate(signal),
        "/signal/prepare": lambda: client.signal_prepare(SignalPrepareRequest(access_token=token)),
    }  # fmt: skip


# Equal data from either side ------------------------------------------------------------


def test_holdings_equal_the_partner_form(client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi
                                         ) -> None:  # fmt: skip
    item = link(client, products=("auth", "investments"))
    ids = named(client, item)
    tokens = {name: token_for(client, item, ids[name]) for name in ("Plaid IRA", "Plaid 401k")}
    partner = {
        name: dwolla.processor_investments_holdings_get(
            ProcessorInvestmentsHoldingsGetRequest(processor_token=token)
        )
        for name, token in tokens.items()
    }
    for name, theirs in partner.items():
        mine = client.investments_holdings_get(
            InvestmentsHoldingsGetRequest(
                access_token=item.access_token,
                options=InvestmentHoldingsGetRequestOptions(account_ids=[ids[name]]),
            )
        )
        (account,) = mine.accounts
        assert investment_account(account) == investment_account(theirs.account)
        assert account.account_id == ids[name]
        assert dicts(mine.holdings) == dicts(theirs.holdings) and mine.holdings
        assert dicts(mine.securities) == dicts(theirs.securities)
        assert mine.item.item_id == item.item_id

    every = client.investments_holdings_get(
        InvestmentsHoldingsGetRequest(access_token=item.access_token)
    )
    assert every.item.item_id == item.item_id
    for name, theirs in partner.items():
        held = [h for h in every.holdings if h.account_id == ids[name]]
        assert dicts(held) == dicts(theirs.holdings)
    assert {h.account_id for h in every.holdings} == {ids["Plaid IRA"], ids["Plaid 401k"]}
    # Each security once, whichever account holds it.
    assert by_id(every.securities, "security_id") == {
        s.security_id: s.to_dict() for theirs in partner.values() for s in theirs.securities
    }
    assert len(every.securities) == len({s.security_id for s in every.securities})


def test_investments_transactions_equal_the_partner_form(
    client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi
) -> None:
    item = link(client, products=("auth", "investments"))
    ids = named(client, item)
    ira = ids["Plaid IRA"]
    token = token_for(client, item, ira)
    dates = [t.date for t in dwolla.processor_investments_transactions_get(
        ProcessorInvestmentsTransactionsGetRequest(processor_token=token, start_date=START,
                                                   end_date=END)
    ).investment_transactions]  # fmt: skip
    # Everything, a page within it, and a narrower range (dates are newest first).
    for start, end, count, offset in ((START, END, 500, 0), (START, END, 3, 2),
                                      (dates[-3], dates[1], 500, 0)):  # fmt: skip
        theirs = dwolla.processor_investments_transactions_get(
            ProcessorInvestmentsTransactionsGetRequest(
                processor_token=token, start_date=start, end_date=end,
                options=InvestmentsTransactionsGetRequestOptions(count=count, offset=offset),
            )
        )  # fmt: skip
        mine = client.investments_transactions_get(
            InvestmentsTransactionsGetRequest(
                access_token=item.access_token, start_date=start, end_date=end,
                options=InvestmentsTransactionsGetRequestOptions(
                    account_ids=[ira], count=count, offset=offset
                ),
            )
        )  # fmt: skip
        assert mine.total_investment_transactions == theirs.total_investment_transactions
        assert dicts(mine.investment_transactions) == dicts(theirs.investment_transactions)
        assert dicts(mine.securities) == dicts(theirs.securities)
        (account,) = mine.accounts
        assert investment_account(account) == investment_account(theirs.account)
        assert mine.item.item_id == item.item_id
        if count == 3:
            assert len(mine.investment_transactions) == 3
        if start != START:
            assert 0 < mine.total_investment_transactions < len(dates)

    whole = {
        name: dwolla.processor_investments_transactions_get(
            ProcessorInvestmentsTransactionsGetRequest(
                processor_token=token_for(client, item, ids[name]), start_date=START,
                end_date=END, options=InvestmentsTransactionsGetRequestOptions(count=500),
            )
        )
        for name in ("Plaid IRA", "Plaid 401k")
    }  # fmt: skip
    every = client.investments_transactions_get(
        InvestmentsTransactionsGetRequest(
            access_token=item.access_token,
            start_date=START,
            end_date=END,
            options=InvestmentsTransactionsGetRequestOptions(count=500),
        )
    )
    assert every.item.item_id == item.item_id
    assert every.total_investment_transactions == sum(
        w.total_investment_transactions for w in whole.values()
    ) == len(every.investment_transactions)  # fmt: skip
    for name, theirs in whole.items():
        assert theirs.total_investment_transactions > 0
        own = [t for t in every.investment_transactions if t.account_id == ids[name]]
        assert dicts(own) == dicts(theirs.investment_transactions)


def test_investments_auth_equals_the_partner_form(
    client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi
) -> None:
    item = link(client)
    ids = named(client, item)
    partner = {
        name: dwolla.processor_investments_auth_get(
            ProcessorInvestmentsAuthGetRequest(processor_token=token_for(client, item, ids[name]))
        )
        for name in ("Plaid IRA", "Plaid 401k")
    }  # fmt: skip
    fields = ("holdings", "securities", "owners")
    for name, theirs in partner.items():
        mine = client.investments_auth_get(
            InvestmentsAuthGetRequest(
                access_token=item.access_token,
                options=InvestmentsAuthGetRequestOptions(account_ids=[ids[name]]),
            )
        )
        (account,) = mine.accounts
        assert investment_account(account) == theirs.account.to_dict()
        for field in fields:
            assert dicts(mine[field]) == dicts(theirs[field]), field
        assert mine.numbers.to_dict() == theirs.numbers.to_dict()
        assert mine.data_sources.to_dict() == theirs.data_sources.to_dict()
        assert mine.item.item_id == item.item_id
    assert partner["Plaid 401k"].numbers.retirement_401k

    every = client.investments_auth_get(InvestmentsAuthGetRequest(access_token=item.access_token))
    assert every.item.item_id == item.item_id
    assert [o.account_id for o in every.owners] == [ids["Plaid IRA"], ids["Plaid 401k"]]
    for kind in ("acats", "aton", "retirement_401k"):
        assert dicts(every.numbers[kind]) == [
            n for theirs in partner.values() for n in dicts(theirs.numbers[kind])
        ], kind
    assert dicts(every.holdings) == [
        h for theirs in partner.values() for h in dicts(theirs.holdings)
    ]


def test_liabilities_equal_the_partner_form(client: plaid_api.PlaidApi,
                                            dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    item = link(client, products=("auth", "liabilities"))
    ids = named(client, item)
    names = ("Plaid Credit Card", "Plaid Student Loan", "Plaid Mortgage")
    partner = {
        name: dwolla.processor_liabilities_get(
            ProcessorLiabilitiesGetRequest(processor_token=token_for(client, item, ids[name]))
        )
        for name in names
    }
    for name, theirs in partner.items():
        mine = client.liabilities_get(
            LiabilitiesGetRequest(
                access_token=item.access_token,
                options=LiabilitiesGetRequestOptions(account_ids=[ids[name]]),
            )
        )
        (account,) = mine.accounts
        assert account.to_dict() == theirs.account.to_dict()
        assert mine.liabilities.to_dict() == theirs.liabilities.to_dict()
        assert mine.item.item_id == item.item_id

    every = client.liabilities_get(LiabilitiesGetRequest(access_token=item.access_token))
    assert every.item.item_id == item.item_id
    for name, kind in zip(names, ("credit", "student", "mortgage"), strict=True):
        (theirs,) = partner[name].liabilities[kind]
        found = [x for x in every.liabilities[kind] if x.account_id == ids[name]]
        assert dicts(found) == [theirs.to_dict()], kind
    # Both credit cards of the Item.
    assert {c.account_id for c in every.liabilities.credit} == {
        ids["Plaid Credit Card"],
        ids["Plaid Business Credit Card"],
    }


def test_identity_match_equals_the_partner_form(client: plaid_api.PlaidApi,
                                                dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    item = link(client)
    saving = named(client, item)["Plaid Saving"]
    token = token_for(client, item, saving)
    owner = dwolla.processor_identity_get(
        ProcessorIdentityGetRequest(processor_token=token)
    ).account.owners[0]
    users = [
        IdentityMatchUser(legal_name=owner.names[0], email_address=owner.emails[0].data,
                          phone_number=owner.phone_numbers[0].data),
        IdentityMatchUser(legal_name="Someone Else Entirely", email_address="x@example.com"),
    ]  # fmt: skip
    scores = []
    for user in users:
        theirs = dwolla.processor_identity_match(
            ProcessorIdentityMatchRequest(processor_token=token, user=user)
        ).account
        mine = client.identity_match(
            IdentityMatchRequest(access_token=item.access_token, user=user,
                                 options=IdentityMatchRequestOptions(account_ids=[saving]))
        )  # fmt: skip
        (account,) = mine.accounts
        assert account.to_dict() == theirs.to_dict()
        assert mine.item.item_id == item.item_id
        every = client.identity_match(IdentityMatchRequest(access_token=item.access_token,
                                                           user=user))  # fmt: skip
        assert every.item.item_id == item.item_id
        assert len(every.accounts) == len(item.account_ids)
        assert by_id(every.accounts, "account_id")[saving] == theirs.to_dict()
        scores.append(theirs.legal_name.score)
    # The owner's own name matches fully; another's does not.
    assert scores[0] == 100 > scores[1]


def test_recurring_streams_equal_the_partner_form(client: plaid_api.PlaidApi,
                                                  dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    item = link(client, products=("auth", "transactions"))
    checking = item.account_ids[0]
    theirs = dwolla.processor_transactions_recurring_get(
        ProcessorTransactionsRecurringGetRequest(processor_token=token_for(client, item, checking))
    )
    mine = client.transactions_recurring_get(
        TransactionsRecurringGetRequest(access_token=item.access_token, account_ids=[checking])
    )
    assert theirs.inflow_streams and theirs.outflow_streams
    for kind in ("inflow_streams", "outflow_streams"):
        assert dicts(mine[kind]) == dicts(theirs[kind]), kind
    assert mine.updated_datetime == theirs.updated_datetime

    every = client.transactions_recurring_get(
        TransactionsRecurringGetRequest(access_token=item.access_token)
    )
    for kind in ("inflow_streams", "outflow_streams"):
        own = [s for s in every[kind] if s.account_id == checking]
        assert dicts(own) == dicts(theirs[kind]), kind
    assert every.updated_datetime == theirs.updated_datetime


def test_refresh_reaches_both_sides_as_the_partner_refresh_does(
    client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi
) -> None:
    item = link(client, products=("auth", "transactions"))
    checking = item.account_ids[0]
    token = token_for(client, item, checking)
    _, mine = developer_sync(client, item.access_token)
    _, theirs = partner_sync(dwolla, token, count=500)

    def refreshed(refresh: Callable[[], Any]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The developer's changes (of the checking account) and the partner's after it."""
        nonlocal mine, theirs
        refresh()
        developer_pages, mine = developer_sync(client, item.access_token, mine)
        partner_pages, theirs = partner_sync(dwolla, token, theirs, count=500)
        return changes(developer_pages, checking), changes(partner_pages)

    developer, partner = refreshed(lambda: client.transactions_refresh(
        TransactionsRefreshRequest(access_token=item.access_token)))  # fmt: skip
    assert developer == partner
    shape = {kind: len(rows) for kind, rows in partner.items()}
    assert shape == {"added": 2, "modified": 1, "removed": 1}
    # The partner's own refresh makes a round of the same shape, seen from both sides.
    developer, partner = refreshed(lambda: dwolla.processor_transactions_refresh(
        ProcessorTransactionsRefreshRequest(processor_token=token)))  # fmt: skip
    assert developer == partner
    assert {kind: len(rows) for kind, rows in partner.items()} == shape


# Signal ----------------------------------------------------------------------------------


def test_signal_scores_equal_from_either_side(client: plaid_api.PlaidApi,
                                              dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    """The sandbox seeds the scores with the Item, the account and the client_transaction_id
    (sandbox/signal.py), so one (account, id, amount) scores alike from either side."""
    item = link(client)
    checking = item.account_ids[0]
    token = token_for(client, item, checking)
    for transaction_id, amount in (("same-1", 42.0), ("same-2", 5000.0)):
        theirs = dwolla.processor_signal_evaluate(
            ProcessorSignalEvaluateRequest(processor_token=token,
                                           client_transaction_id=transaction_id, amount=amount)
        )  # fmt: skip
        mine = client.signal_evaluate(
            SignalEvaluateRequest(access_token=item.access_token, account_id=checking,
                                  client_transaction_id=transaction_id, amount=amount)
        )  # fmt: skip
        assert mine.scores.to_dict() == theirs.scores.to_dict()
        assert mine.core_attributes.to_dict() == theirs.core_attributes.to_dict()
    risk = mine.scores.bank_initiated_return_risk
    assert 1 <= risk.score.value <= 99 and 1 <= risk.risk_tier.value <= 8


def test_signal_reports_name_the_evaluation(server: LiveServer, client: plaid_api.PlaidApi,
                                            dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    item = link(client)
    checking = item.account_ids[0]
    evaluate = SignalEvaluateRequest(access_token=item.access_token, account_id=checking,
                                     client_transaction_id="dev-1", amount=10.0)  # fmt: skip
    before = client.signal_evaluate(evaluate)
    client.signal_decision_report(
        SignalDecisionReportRequest(client_transaction_id="dev-1", initiated=True,
                                    days_funds_on_hold=2)
    )  # fmt: skip
    client.signal_return_report(
        SignalReturnReportRequest(client_transaction_id="dev-1", return_code="R01")
    )
    for call in (
        lambda: client.signal_decision_report(
            SignalDecisionReportRequest(client_transaction_id="dev-unknown", initiated=True)
        ),
        lambda: client.signal_return_report(
            SignalReturnReportRequest(client_transaction_id="dev-unknown", return_code="R01")
        ),
    ):
        body = api_error(call, 400, "INVALID_REQUEST", "INVALID_FIELD")
        assert "client_transaction_id" in body["error_message"]
    # Another developer cannot report on this client's evaluation.
    other = sdk_client(server, *create_client(server.database_url, "other developer"))
    api_error(lambda: other.signal_decision_report(
        SignalDecisionReportRequest(client_transaction_id="dev-1", initiated=True)),
        400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip

    # The reported return raises the account's later scores, from either side.
    after = client.signal_evaluate(evaluate)
    for risk in ("customer_initiated_return_risk", "bank_initiated_return_risk"):
        assert after.scores[risk].score.value > before.scores[risk].score.value, risk
    assert after.core_attributes.nsf_overdraft_transactions_count_30d == 1
    partner = dwolla.processor_signal_evaluate(
        ProcessorSignalEvaluateRequest(processor_token=token_for(client, item, checking),
                                       client_transaction_id="dev-1", amount=10.0)
    )  # fmt: skip
    assert partner.scores.to_dict() == after.scores.to_dict()


def test_signal_prepare_adds_signal_once(client: plaid_api.PlaidApi) -> None:
    item = link(client)
    assert "signal" not in products_of(client, item)[0]
    for _ in range(2):
        client.signal_prepare(SignalPrepareRequest(access_token=item.access_token))
    products, billed = products_of(client, item)
    assert products == ["auth", "signal"] == billed


# The product rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "product"),
    [("/liabilities/get", "liabilities"), ("/investments/holdings/get", "investments"),
     ("/investments/transactions/get", "investments"), ("/signal/evaluate", "signal")],
)  # fmt: skip
def test_first_read_adds_its_product(client: plaid_api.PlaidApi, path: str, product: str
                                     ) -> None:  # fmt: skip
    item = link(client)
    assert products_of(client, item) == (["auth"], ["auth"])
    reads(client, item.access_token, item.account_ids[0], narrow=False)[path]()
    assert products_of(client, item) == (["auth", product], ["auth", product])


@pytest.mark.parametrize("path", ["/identity/match", "/investments/auth/get"])
def test_per_call_reads_add_nothing(client: plaid_api.PlaidApi, path: str) -> None:
    item = link(client)
    reads(client, item.access_token, item.account_ids[0], narrow=False)[path]()
    assert products_of(client, item) == (["auth"], ["auth"])


@pytest.mark.parametrize("path", ["/transactions/recurring/get", "/transactions/refresh"])
def test_recurring_and_refresh_need_transactions(client: plaid_api.PlaidApi, path: str) -> None:
    item = link(client)
    body = api_error(reads(client, item.access_token, item.account_ids[0], narrow=False)[path],
                     400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED")  # fmt: skip
    assert path in body["error_message"] and "transactions" in body["error_message"]
    assert products_of(client, item) == (["auth"], ["auth"])


# Refusals ----------------------------------------------------------------------------------


def test_unknown_account_is_refused(client: plaid_api.PlaidApi) -> None:
    item = link(client, products=EVERYTHING)
    calls = reads(client, item.access_token, "no-such-account")
    for path in ("/transactions/refresh", "/signal/prepare"):  # they name no account
        del calls[path]
    for path, call in calls.items():
        body = api_error(call, 400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")
        assert body["error_message"], path
    # A refused read adds no product.
    other = link(client)
    api_error(reads(client, other.access_token, "no-such-account")["/liabilities/get"],
              400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip
    assert products_of(client, other) == (["auth"], ["auth"])


def test_no_eligible_account(client: plaid_api.PlaidApi) -> None:
    item = link(client, products=EVERYTHING)
    calls = reads(client, item.access_token, item.account_ids[0])  # Plaid Checking
    api_error(calls["/liabilities/get"], 400, "ITEM_ERROR", "NO_LIABILITY_ACCOUNTS")
    for path in ("/investments/holdings/get", "/investments/transactions/get",
                 "/investments/auth/get"):  # fmt: skip
        body = api_error(calls[path], 400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS")
        assert "investment" in body["error_message"], path


def test_item_in_error(client: plaid_api.PlaidApi) -> None:
    item = link(client, products=EVERYTHING)
    client.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=item.access_token))
    for path, call in reads(client, item.access_token, item.account_ids[0], narrow=False).items():
        body = api_error(call, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
        assert body["error_message"], path


def test_removed_item(client: plaid_api.PlaidApi) -> None:
    item = link(client, products=EVERYTHING)
    client.item_remove(ItemRemoveRequest(access_token=item.access_token))
    for path, call in reads(client, item.access_token, item.account_ids[0], narrow=False).items():
        body = api_error(call, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
        assert body["error_message"], path


def test_investments_transactions_dates_in_order(client: plaid_api.PlaidApi) -> None:
    item = link(client, products=("auth", "investments"))
    body = api_error(lambda: client.investments_transactions_get(
        InvestmentsTransactionsGetRequest(access_token=item.access_token,
                                          start_date=date(2024, 2, 1), end_date=date(2024, 1, 1))),
        400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert "start_date" in body["error_message"]
    # One day is a valid range.
    newest = client.investments_transactions_get(
        InvestmentsTransactionsGetRequest(access_token=item.access_token, start_date=START,
                                          end_date=END)
    ).investment_transactions[0].date  # fmt: skip
    got = client.investments_transactions_get(
        InvestmentsTransactionsGetRequest(access_token=item.access_token, start_date=newest,
                                          end_date=newest)
    ).investment_transactions  # fmt: skip
    assert got and all(t.date == newest for t in got)
