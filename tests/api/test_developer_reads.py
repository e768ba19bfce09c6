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


def needs_transactions(path: str) -> str:
    return (
        f"{path} needs Transactions initialized on the Item: link it with transactions, or"
        " call /transactions/sync or /transactions/get (with a processor token,"
        " /processor/transactions/sync or /get) once first"
    )


@pytest.mark.parametrize("path", ["/transactions/recurring/get", "/transactions/refresh"])
def test_recurring_and_refresh_need_transactions_on_the_item(api: Api, path: str) -> None:
    item = link(api, "auth")
    assert_error(api.post(path, body(item, path)), 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED",
                 needs_transactions(path))  # fmt: skip
    assert products_of(api, item)["products"] == ["auth"]
    # /transactions/sync adds Transactions, after which both are served (and add nothing).
    api.ok("/transactions/sync", {"access_token": item["access_token"]})
    assert products_of(api, item)["products"] == ["auth", "transactions"]
    api.ok(path, body(item, path))
    assert products_of(api, item)["products"] == ["auth", "transactions"]


@pytest.mark.parametrize(
    ("path", "partner_path"),
    [("/transactions/recurring/get", "/processor/transactions/recurring/get"),
     ("/transactions/refresh", "/processor/transactions/refresh")],
)  # fmt: skip
def test_the_partner_forms_need_transactions_initialized_too(
    api: Api, dwolla: Partner, path: str, partner_path: str
) -> None:
    item = link(api, "auth")
    token = token_for(api, item, "Plaid Checking")
    assert_error(dwolla.post(partner_path, {"processor_token": token}),
                 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED",
                 needs_transactions(partner_path))  # fmt: skip
    # A partner's first sync initializes Transactions on the Item for both sides, as
    # Plaid's processor docs say, without adding the product to the developer's Item.
    dwolla.ok("/processor/transactions/sync", {"processor_token": token})
    dwolla.ok(partner_path, {"processor_token": token})
    api.ok(path, body(item, path))
    assert products_of(api, item)["products"] == ["auth"]


def test_recurring_refuses_investment_accounts_on_both_sides(api: Api, dwolla: Partner) -> None:
    item = link(api, "auth", "transactions", "investments")
    ira = account_of(item, "Plaid IRA")["account_id"]
    message = "the transactions product is not supported for investment accounts"
    assert_error(api.post("/transactions/recurring/get",
                          body(item, "/transactions/recurring/get", account_ids=[ira])),
                 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED", message)  # fmt: skip
    token = token_for(api, item, "Plaid IRA")
    assert_error(dwolla.post("/processor/transactions/recurring/get", {"processor_token": token}),
                 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED", message)  # fmt: skip


@pytest.mark.parametrize(
    ("path", "extra", "status", "error_type", "code"),
    [("/liabilities/get", {"options": {"account_ids": ["nope"]}},
      400, "INVALID_INPUT", "INVALID_ACCOUNT_ID"),
     ("/liabilities/get", {"options": {"account_ids": ["CHECKING"]}},
      400, "ITEM_ERROR", "NO_LIABILITY_ACCOUNTS"),
     ("/investments/holdings/get", {"options": {"account_ids": ["CHECKING"]}},
      400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS"),
     ("/investments/transactions/get", {"options": {"account_ids": ["CHECKING"]}},
      400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS"),
     ("/investments/transactions/get", {"start_date": "2024-02-01", "end_date": "2024-01-01"},
      400, "INVALID_REQUEST", "INVALID_FIELD"),
     ("/transactions/sync", {"cursor": "garbage"}, 400, "INVALID_REQUEST", "INVALID_FIELD"),
     ("/transactions/get", {"start_date": "2024-02-01", "end_date": "2024-01-01"},
      400, "INVALID_REQUEST", "INVALID_FIELD"),
     ("/signal/evaluate", {"amount": -1}, 400, "INVALID_REQUEST", "INVALID_FIELD")],
)  # fmt: skip
def test_a_refused_read_adds_no_product(
    api: Api, path: str, extra: dict[str, Any], status: int, error_type: str, code: str
) -> None:
    item = link(api, "auth")
    checking = account_of(item, "Plaid Checking")["account_id"]
    if "options" in extra:
        ids = [checking if a == "CHECKING" else a for a in extra["options"]["account_ids"]]
        extra = {**extra, "options": {"account_ids": ids}}
    request = {**body(item, path), **extra} if path in DEVELOPER_CALLS else {
        "access_token": item["access_token"], **extra}  # fmt: skip
    assert_error(api.post(path, request), status, error_type, code)
    assert products_of(api, item)["products"] == ["auth"]
    log = api.loop.run_until_complete(api.services.store.list_audit(item["item_id"]))
    assert [e for e in log if e.action == "item.product.add"] == []


def test_an_item_in_error_adds_no_product(api: Api) -> None:
    item = link(api, "auth")
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    for path in DEVELOPER_CALLS:
        assert_error(api.post(path, body(item, path)), 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert products_of(api, item)["products"] == ["auth"]


def test_the_audit_entry_of_an_added_product_names_the_request(api: Api) -> None:
    item = link(api, "auth")
    for path in ("/transactions/sync", "/liabilities/get"):
        response = api.post(path, {"access_token": item["access_token"]})
        assert response.status_code == 200, response.text
        log = api.loop.run_until_complete(api.services.store.list_audit(item["item_id"]))
        (entry,) = [e for e in log if e.action == "item.product.add" and e.request_id ==
                    response.json()["request_id"]]  # fmt: skip
        assert entry.products == ({"/transactions/sync": "transactions"}.get(path, "liabilities"),)


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
                 400, "INVALID_REQUEST", "INVALID_FIELD",
                 "return_code must be an ACH return code such as R01")  # fmt: skip
    # The return raises the account's next scores, as the partner form's does.
    again = api.ok("/signal/evaluate", body(item, "/signal/evaluate", client_transaction_id="t-1"))
    assert (again["scores"]["customer_initiated_return_risk"]["score"]
            >= first["scores"]["customer_initiated_return_risk"]["score"])  # fmt: skip
    assert again["core_attributes"]["nsf_overdraft_transactions_count_30d"] == 1


def test_signal_reports_name_only_the_reporters_own_evaluations(api: Api, dwolla: Partner) -> None:
    item = link(api, "auth")
    token = token_for(api, item, "Plaid Checking")
    dwolla.ok(
        "/processor/signal/evaluate",
        {"processor_token": token, "client_transaction_id": "p-only", "amount": 10.0},
    )
    api.ok("/signal/evaluate", body(item, "/signal/evaluate", client_transaction_id="d-only"))
    # The developer cannot report on the partner's evaluation, nor the partner on the
    # developer's, although both are of the same account.
    assert_error(api.post("/signal/decision/report",
                          {"client_transaction_id": "p-only", "initiated": True}),
                 400, "INVALID_REQUEST", "INVALID_FIELD",
                 "client_transaction_id does not match any /signal/evaluate call of this"
                 " client")  # fmt: skip
    assert_error(dwolla.post("/processor/signal/decision/report",
                             {"processor_token": token, "client_transaction_id": "d-only",
                              "initiated": True}),
                 400, "INVALID_REQUEST", "INVALID_FIELD",
                 "client_transaction_id does not match any /processor/signal/evaluate call"
                 " for this processor token")  # fmt: skip
    dwolla.ok(
        "/processor/signal/decision/report",
        {"processor_token": token, "client_transaction_id": "p-only", "initiated": True},
    )
    api.ok("/signal/decision/report", {"client_transaction_id": "d-only", "initiated": True})


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
    assert (
        "account_ids"
        in api.post(
            "/transactions/recurring/get",
            body(item, "/transactions/recurring/get", options={"account_ids": [checking]}),
        ).text
    )


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


def test_signal_reports_count_toward_the_clients_limit(api: Api) -> None:
    item = link(api, "auth")
    api.ok("/signal/evaluate", body(item, "/signal/evaluate", client_transaction_id="t-rl"))
    limit = SANDBOX_LIMITS["signal_decision_report"]
    assert (limit.per_item, limit.per_client) == (None, 4000)
    with_clock(api, {"signal_decision_report": type(limit)(None, 2, "RATE_LIMIT", "RATE_LIMIT")})
    report = {"client_transaction_id": "t-rl", "initiated": True}
    for _ in range(2):
        api.ok("/signal/decision/report", report)
    limited("RATE_LIMIT", api.post("/signal/decision/report", report))
