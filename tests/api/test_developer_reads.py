"""The developer-side (access token) forms of the partner products: the product rule for an
Item linked without the product, their rate limits, and the data equal to the partner
form's for one account (tests/sdk/test_developer_reads_sdk.py drives the same through
plaid-python)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, Partner
from tests.api.test_partner import PARTNER_CALLS, account_of, token_for
from tests.api.test_ratelimits import limited, with_clock
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.domain.ratelimits import SANDBOX_LIMITS

# Every developer-side read of a partner product, with a body valid for the Item's
# accounts (the access token is added per call), and the partner form it mirrors.
DEVELOPER_CALLS: dict[str, tuple[dict[str, Any], str | None]] = {
    "/identity/match": ({"user": {"legal_name": "Alberta Charleson"}}, "/processor/identity/match"),
    "/liabilities/get": ({}, "/processor/liabilities/get"),
    "/investments/holdings/get": ({}, "/processor/investments/holdings/get"),
    "/investments/auth/get": ({}, "/processor/investments/auth/get"),
    "/investments/transactions/get": (
        {"start_date": "2000-01-01", "end_date": "2100-01-01"},
        "/processor/investments/transactions/get",
    ),
    "/transactions/recurring/get": ({}, "/processor/transactions/recurring/get"),
    "/transactions/refresh": ({}, "/processor/transactions/refresh"),
    "/signal/evaluate": ({"client_transaction_id": "txn-1", "amount": 25.5},
                         "/processor/signal/evaluate"),
    "/signal/prepare": ({}, "/processor/signal/prepare"),
}  # fmt: skip


def link(api: Api, *products: str, institution_id: str = "ins_109508") -> dict[str, Any]:
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": institution_id, "initial_products": list(products) or ["auth"]},
    )
    exchanged = api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = api.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    return {**exchanged, "accounts": accounts}


def body(item: dict[str, Any], path: str, **extra: Any) -> dict[str, Any]:
    fields = dict(DEVELOPER_CALLS[path][0])
    if path == "/signal/evaluate":
        fields["account_id"] = account_of(item, "Plaid Checking")["account_id"]
    return {"access_token": item["access_token"], **fields, **extra}


def products_of(api: Api, item: dict[str, Any]) -> dict[str, list[str]]:
    got = api.ok("/item/get", {"access_token": item["access_token"]})["item"]
    return {k: got[k] for k in ("products", "billed_products", "available_products")}


# The product rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "product"),
    [("/liabilities/get", "liabilities"), ("/investments/holdings/get", "investments"),
     ("/investments/transactions/get", "investments"), ("/identity/get", "identity"),
     ("/signal/prepare", "signal"), ("/signal/evaluate", "signal")],
)  # fmt: skip
def test_first_read_adds_its_product_to_the_item(api: Api, path: str, product: str) -> None:
    item = link(api, "auth")
    before = products_of(api, item)
    assert product not in before["products"] and product in before["available_products"]
    if path == "/identity/get":
        api.ok(path, {"access_token": item["access_token"]})
    else:
        api.ok(path, body(item, path))
    after = products_of(api, item)
    assert after["products"] == ["auth", product] == after["billed_products"]
    assert product not in after["available_products"]
    # Added once, and audited once, with the request that added it.
    api.ok("/item/get", {"access_token": item["access_token"]})
    log = api.loop.run_until_complete(api.services.store.list_audit(item["item_id"]))
    added = [e for e in log if e.action == "item.product.add"]
    assert [e.products for e in added] == [(product,)]


@pytest.mark.parametrize("path", ["/identity/match", "/investments/auth/get"])
def test_per_call_products_are_served_without_being_added(api: Api, path: str) -> None:
    item = link(api, "auth")
    api.ok(path, body(item, path))
    assert products_of(api, item)["products"] == ["auth"]


@pytest.mark.parametrize("path", ["/transactions/recurring/get", "/transactions/refresh"])
def test_recurring_and_refresh_need_transactions_on_the_item(api: Api, path: str) -> None:
    item = link(api, "auth")
    assert_error(api.post(path, body(item, path)), 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED",
                 f"{path} needs the transactions product on the Item: link it with"
                 " transactions, or call /transactions/sync or /transactions/get once to add"
                 " it")  # fmt: skip
    assert products_of(api, item)["products"] == ["auth"]
    # /transactions/sync adds Transactions, after which both are served.
    api.ok("/transactions/sync", {"access_token": item["access_token"]})
    assert products_of(api, item)["products"] == ["auth", "transactions"]
    api.ok(path, body(item, path))


def test_a_refused_read_adds_no_product(api: Api) -> None:
    item = link(api, "auth")
    checking = account_of(item, "Plaid Checking")["account_id"]
    assert_error(api.post("/liabilities/get", {"access_token": item["access_token"],
                                               "options": {"account_ids": ["nope"]}}),
                 400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip
    assert_error(api.post("/transactions/get", {"access_token": item["access_token"],
                                                "start_date": "2024-02-01",
                                                "end_date": "2024-01-01"}),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    assert_error(api.post("/signal/evaluate", body(item, "/signal/evaluate")),
                 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")  # fmt: skip
    assert products_of(api, item)["products"] == ["auth"]
    assert checking  # the Item's checking account existed all along


# Equal data from either side ---------------------------------------------------------------

ONE_ACCOUNT: dict[str, str] = {
    "/identity/match": "Plaid Saving",
    "/liabilities/get": "Plaid Credit Card",
    "/investments/holdings/get": "Plaid IRA",
    "/investments/auth/get": "Plaid IRA",
    "/investments/transactions/get": "Plaid IRA",
}


@pytest.mark.parametrize("path", sorted(ONE_ACCOUNT))
def test_one_account_reads_equal_the_partner_form(api: Api, dwolla: Partner, path: str) -> None:
    item = link(api, "auth", "transactions", "liabilities", "investments")
    name = ONE_ACCOUNT[path]
    account_id = account_of(item, name)["account_id"]
    partner_path = DEVELOPER_CALLS[path][1]
    assert partner_path is not None
    token = token_for(api, item, name)
    partner = dwolla.ok(partner_path, {**PARTNER_CALLS[partner_path], "processor_token": token})
    mine = api.ok(path, body(item, path, options={"account_ids": [account_id]}))
    (account,) = mine.pop("accounts")
    theirs = partner.pop("account")
    if path == "/investments/auth/get":
        # Plaid's developer form answers InvestmentAccounts, its partner form AccountBase.
        assert account["balances"].pop("margin_loan_amount") is None
        # ... and is_investments_fallback_item on the partner form only.
        assert partner.pop("is_investments_fallback_item") is False
    assert account == theirs and account["account_id"] == account_id
    assert mine.pop("item")["item_id"] == item["item_id"]
    mine.pop("request_id"), partner.pop("request_id")
    assert mine == partner


def test_signal_scores_equal_for_one_account_from_either_side(api: Api, dwolla: Partner) -> None:
    item = link(api, "auth")
    token = token_for(api, item, "Plaid Checking")
    request = {"client_transaction_id": "txn-9", "amount": 120.0}
    partner = dwolla.ok("/processor/signal/evaluate", {"processor_token": token, **request})
    mine = api.ok("/signal/evaluate", {**body(item, "/signal/evaluate"), **request})
    assert mine["scores"] == partner["scores"]
    assert mine["core_attributes"] == partner["core_attributes"]


def test_signal_reports_find_the_evaluation_by_its_id(api: Api) -> None:
    item = link(api, "auth")
    first = api.ok("/signal/evaluate", body(item, "/signal/evaluate", client_transaction_id="t-1"))
    api.ok("/signal/decision/report", {"client_transaction_id": "t-1", "initiated": True,
                                       "submitted_at": "2026-12-01T10:00:00Z"})  # fmt: skip
    api.ok("/signal/return/report", {"client_transaction_id": "t-1", "return_code": "R01"})
    for path, extra in (("/signal/decision/report", {"initiated": True}),
                        ("/signal/return/report", {"return_code": "R01"})):  # fmt: skip
        assert_error(api.post(path, {"client_transaction_id": "t-unknown", **extra}),
                     400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert_error(api.post("/signal/return/report",
                          {"client_transaction_id": "t-1", "return_code": "X1"}),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    # The return raises the account's next scores, as the partner form's does.
    again = api.ok("/signal/evaluate", body(item, "/signal/evaluate", client_transaction_id="t-1"))
    assert (again["scores"]["customer_initiated_return_risk"]["score"]
            >= first["scores"]["customer_initiated_return_risk"]["score"])  # fmt: skip
    assert again["core_attributes"]["nsf_overdraft_transactions_count_30d"] == 1


# Rate limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "operation"),
    [("/investments/holdings/get", "investments_holdings_get"),
     ("/investments/transactions/get", "investments_transactions_get"),
     ("/liabilities/get", "liabilities_get"), ("/transactions/refresh", "transactions_refresh")],
)  # fmt: skip
def test_plaids_sandbox_limits_apply(api: Api, path: str, operation: str) -> None:
    item = link(api, "auth", "transactions", "liabilities", "investments")
    limit = SANDBOX_LIMITS[operation]
    allowed = 2
    with_clock(api, {operation: type(limit)(allowed, 1000, limit.item_code, limit.client_code)})
    for _ in range(allowed):
        api.ok(path, body(item, path))
    limited(limit.item_code, api.post(path, body(item, path)))


def test_recurring_streams_of_one_account_equal_the_partner_form(api: Api, dwolla: Partner) -> None:
    item = link(api, "auth", "transactions")
    checking = account_of(item, "Plaid Checking")["account_id"]
    token = token_for(api, item, "Plaid Checking")
    partner = dwolla.ok("/processor/transactions/recurring/get", {"processor_token": token})
    mine = api.ok("/transactions/recurring/get", body(item, "/transactions/recurring/get",
                                                      account_ids=[checking]))  # fmt: skip
    assert mine["outflow_streams"] and mine["outflow_streams"] == partner["outflow_streams"]
    assert mine["inflow_streams"] == partner["inflow_streams"]
    every = api.ok("/transactions/recurring/get", body(item, "/transactions/recurring/get"))
    accounts = {s["account_id"] for s in every["outflow_streams"] + every["inflow_streams"]}
    assert checking in accounts and len(accounts) > 1
    # Paths Plaid does not have for it: `account_ids` belongs at the top level.
    assert_error(api.post("/transactions/recurring/get",
                          body(item, "/transactions/recurring/get",
                               options={"account_ids": [checking]})),
                 400, "INVALID_REQUEST", "UNKNOWN_FIELDS")  # fmt: skip


def test_an_item_in_error_refuses_every_developer_read(api: Api) -> None:
    item = link(api, "auth", "transactions", "liabilities", "investments")
    api.ok("/signal/evaluate", body(item, "/signal/evaluate", client_transaction_id="t-err"))
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    for path in DEVELOPER_CALLS:
        assert_error(api.post(path, body(item, path)), 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    for path, extra in (("/signal/decision/report", {"initiated": True}),
                        ("/signal/return/report", {"return_code": "R01"})):  # fmt: skip
        assert_error(api.post(path, {"client_transaction_id": "t-err", **extra}),
                     400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")  # fmt: skip


def test_a_removed_item_is_an_invalid_access_token_everywhere(api: Api) -> None:
    item = link(api, "auth", "transactions")
    api.ok("/signal/evaluate", body(item, "/signal/evaluate", client_transaction_id="t-gone"))
    api.ok("/item/remove", {"access_token": item["access_token"]})
    for path in DEVELOPER_CALLS:
        assert_error(api.post(path, body(item, path)),
                     400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    # The reports of a removed Item's evaluations find no evaluation.
    assert_error(api.post("/signal/decision/report",
                          {"client_transaction_id": "t-gone", "initiated": True}),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
