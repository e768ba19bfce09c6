"""The partner endpoints and the developer-side reads, through the in-process app."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.api.conftest import Api, Partner, Sent, link_item
from tests.helpers import WebhookReceiver
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.domain.institutions import aba_valid

# Every partner endpoint with a body that is valid for a depository checking account
# (the product-agnostic fields only; the token is added per call).
PARTNER_CALLS: dict[str, dict[str, Any]] = {
    "/processor/account/get": {},
    "/processor/auth/get": {},
    "/processor/balance/get": {},
    "/processor/identity/get": {},
    "/processor/identity/match": {"user": {"legal_name": "Alberta Charleson"}},
    "/processor/liabilities/get": {},
    "/processor/investments/holdings/get": {},
    "/processor/investments/auth/get": {},
    "/processor/investments/transactions/get": {
        "start_date": "2000-01-01", "end_date": "2100-01-01",
    },
    "/processor/signal/evaluate": {"client_transaction_id": "txn-1", "amount": 25.5},
    "/processor/signal/decision/report": {"client_transaction_id": "txn-1", "initiated": True},
    "/processor/signal/return/report": {"client_transaction_id": "txn-1", "return_code": "R01"},
    "/processor/signal/prepare": {},
    "/processor/token/webhook/update": {"webhook": None},
}  # fmt: skip

# The product each endpoint needs (SPEC-SUMMARY.md); None: no product gate.
PRODUCT_OF: dict[str, str | None] = {
    "/processor/account/get": None,
    "/processor/auth/get": "auth",
    "/processor/balance/get": "balance",
    "/processor/identity/get": "identity",
    "/processor/identity/match": "identity_match",
    "/processor/liabilities/get": "liabilities",
    "/processor/investments/holdings/get": "investments",
    "/processor/investments/auth/get": "investments_auth",
    "/processor/investments/transactions/get": "investments",
    "/processor/signal/evaluate": "signal",
    "/processor/signal/decision/report": "signal",
    "/processor/signal/return/report": "signal",
    "/processor/signal/prepare": "signal",
    "/processor/token/webhook/update": None,
}


def account_of(item: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in item["accounts"] if a["name"] == name)


def token_for(api: Api, item: dict[str, Any], name: str, processor: str = "dwolla") -> str:
    token: str = api.ok(
        "/processor/token/create",
        {"access_token": item["access_token"], "account_id": account_of(item, name)["account_id"],
         "processor": processor},
    )["processor_token"]  # fmt: skip
    return token


def call(path: str, token: str, **overrides: Any) -> dict[str, Any]:
    return {"processor_token": token, **PARTNER_CALLS[path], **overrides}


# Happy paths --------------------------------------------------------------------------


def test_account_get_adds_institution_id(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    got = dwolla.ok("/processor/account/get", {"processor_token": token})
    assert got["institution_id"] == "ins_109508"
    assert got["account"] == account_of(item, "Plaid Checking")
    assert "accounts" not in got and "item" not in got


def test_auth_get_numbers_are_single_objects_with_valid_routing(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    checking = account_of(item, "Plaid Checking")
    token = token_for(api, item, "Plaid Checking")
    got = dwolla.ok("/processor/auth/get", {"processor_token": token})
    numbers = got["numbers"]
    assert set(numbers) == {"ach", "eft", "international", "bacs"}
    assert (numbers["eft"], numbers["international"], numbers["bacs"]) == (None, None, None)
    ach = numbers["ach"]
    assert ach["account_id"] == checking["account_id"]
    assert ach["account"].endswith("0000")
    assert aba_valid(ach["routing"]) and aba_valid(ach["wire_routing"])
    assert got["account"]["account_id"] == checking["account_id"]
    # The same Item gives the same numbers every time.
    assert dwolla.ok("/processor/auth/get", {"processor_token": token})["numbers"] == numbers


def test_balance_get_matches_accounts_get(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    for name in ("Plaid Checking", "Plaid Business Credit Card"):
        token = token_for(api, item, name)
        got = dwolla.ok("/processor/balance/get", {"processor_token": token})
        assert got["account"] == account_of(item, name)


def test_identity_get_owner(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Saving")
    account = dwolla.ok("/processor/identity/get", {"processor_token": token})["account"]
    assert account["account_id"] == account_of(item, "Plaid Saving")["account_id"]
    (owner,) = account["owners"]
    assert owner["names"] and owner["emails"] and owner["phone_numbers"] and owner["addresses"]
    assert sum(e["primary"] for e in owner["emails"]) == 1
    assert set(owner["addresses"][0]["data"]) == {"city", "region", "street", "postal_code",
                                                  "country"}  # fmt: skip


def test_identity_match_scores(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    owner = dwolla.ok("/processor/identity/get", {"processor_token": token})["account"]["owners"][0]
    home = owner["addresses"][0]["data"]
    same = {
        "legal_name": owner["names"][0],
        "phone_number": owner["phone_numbers"][0]["data"],
        "email_address": owner["emails"][0]["data"].upper(),
        "address": {"street": home["street"], "city": home["city"], "region": home["region"],
                    "postal_code": home["postal_code"], "country": "US"},
    }  # fmt: skip
    got = dwolla.ok("/processor/identity/match", {"processor_token": token, "user": same})
    account = got["account"]
    assert account["legal_name"]["score"] == 100
    assert account["legal_name"]["is_first_name_or_last_name_match"] is True
    assert account["phone_number"]["score"] == 100
    assert account["email_address"]["score"] == 100
    assert account["address"] == {"score": 100, "is_postal_code_match": True}

    other = {"legal_name": "Zed Quux", "email_address": "nobody@nowhere.invalid"}
    got = dwolla.ok("/processor/identity/match", {"processor_token": token, "user": other})
    account = got["account"]
    assert 0 <= account["legal_name"]["score"] < 70
    assert 0 <= account["email_address"]["score"] < 70
    # Fields the partner did not send have no score.
    assert account["phone_number"] == {"score": None}
    assert account["address"] == {"score": None, "is_postal_code_match": None}


def test_liabilities_for_credit_student_and_mortgage(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    kinds = {
        "Plaid Credit Card": "credit",
        "Plaid Business Credit Card": "credit",
        "Plaid Student Loan": "student",
        "Plaid Mortgage": "mortgage",
    }
    for name, kind in kinds.items():
        token = token_for(api, item, name)
        got = dwolla.ok("/processor/liabilities/get", {"processor_token": token})
        liabilities = got["liabilities"]
        (entry,) = liabilities[kind]
        assert entry["account_id"] == account_of(item, name)["account_id"]
        assert [k for k in ("credit", "student", "mortgage") if liabilities[k]] == [kind]
    token = token_for(api, item, "Plaid Credit Card")
    credit = dwolla.ok("/processor/liabilities/get", {"processor_token": token})
    apr = credit["liabilities"]["credit"][0]["aprs"][0]
    # "Plaid Diamond 12.5% APR Interest Credit Card"
    assert (apr["apr_type"], apr["apr_percentage"]) == ("purchase_apr", 12.5)


def test_holdings_add_up_to_the_balance(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    for name in ("Plaid IRA", "Plaid 401k"):
        token = token_for(api, item, name)
        got = dwolla.ok("/processor/investments/holdings/get", {"processor_token": token})
        total = sum(h["institution_value"] for h in got["holdings"])
        assert total == pytest.approx(account_of(item, name)["balances"]["current"], abs=1e-3)
        ids = {s["security_id"] for s in got["securities"]}
        assert {h["security_id"] for h in got["holdings"]} == ids
        assert got["is_investments_fallback_item"] is False


def test_investments_auth_numbers_owners_and_holdings(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    path = "/processor/investments/auth/get"
    for name in ("Plaid IRA", "Plaid 401k"):
        account = account_of(item, name)
        token = token_for(api, item, name)
        got = dwolla.ok(path, {"processor_token": token})
        assert got["account"]["account_id"] == account["account_id"]
        assert got["account"] == account
        (acats,) = got["numbers"]["acats"]
        assert acats["account_id"] == account["account_id"]
        assert acats["account"].endswith(account["mask"])
        assert acats["dtc_numbers"] and all(len(d) == 4 for d in acats["dtc_numbers"])
        assert got["numbers"]["aton"] == []
        # Only a 401k has a plan to roll over.
        rollover = got["numbers"]["retirement_401k"]
        assert [r["account"] for r in rollover] == ([acats["account"]] if name == "Plaid 401k"
                                                    else [])  # fmt: skip
        (owner,) = got["owners"]
        identity = dwolla.ok("/processor/identity/get", {"processor_token": token})
        assert owner == {"account_id": account["account_id"],
                         "names": identity["account"]["owners"][0]["names"]}  # fmt: skip
        holdings = dwolla.ok("/processor/investments/holdings/get", {"processor_token": token})
        assert (got["holdings"], got["securities"]) == (holdings["holdings"],
                                                        holdings["securities"])  # fmt: skip
        assert got["data_sources"] == {"numbers": "INSTITUTION", "owners": "INSTITUTION",
                                       "holdings": "INSTITUTION"}  # fmt: skip
        # The same account gives the same numbers every time.
        assert dwolla.ok(path, {"processor_token": token})["numbers"] == got["numbers"]


def test_investments_auth_needs_its_own_product(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid IRA")
    api.ok("/processor/token/permissions/set", {"processor_token": token,
                                                "products": ["investments"]})  # fmt: skip
    body = assert_error(
        dwolla.post("/processor/investments/auth/get", {"processor_token": token}),
        400, "INVALID_INPUT", "INVALID_PRODUCT",
    )  # fmt: skip
    assert "investments_auth" in body["error_message"]
    api.ok("/processor/token/permissions/set", {"processor_token": token,
                                                "products": ["investments_auth"]})  # fmt: skip
    assert dwolla.ok("/processor/investments/auth/get", {"processor_token": token})["numbers"]


def test_investment_transactions_page_and_range(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid 401k")
    path = "/processor/investments/transactions/get"
    everything = dwolla.ok(path, call(path, token))
    total = everything["total_investment_transactions"]
    assert total == len(everything["investment_transactions"]) > 0
    dates = [t["date"] for t in everything["investment_transactions"]]
    assert dates == sorted(dates, reverse=True)
    seen = []
    for offset in range(0, total, 3):
        page = dwolla.ok(path, call(path, token, options={"count": 3, "offset": offset}))
        assert page["total_investment_transactions"] == total
        seen += [t["investment_transaction_id"] for t in page["investment_transactions"]]
        named = {t["security_id"] for t in page["investment_transactions"]} - {None}
        assert named <= {s["security_id"] for s in page["securities"]}
    assert seen == [t["investment_transaction_id"] for t in everything["investment_transactions"]]
    newest = dates[0]
    only = dwolla.ok(path, call(path, token, start_date=newest, end_date=newest))
    assert {t["date"] for t in only["investment_transactions"]} == {newest}
    assert_error(dwolla.post(path, call(path, token, start_date="2020-02-01",
                                        end_date="2020-01-01")),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip


def test_signal_flow(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    small = dwolla.ok("/processor/signal/evaluate", call("/processor/signal/evaluate", token))
    for risk, tiers in (("customer_initiated_return_risk", 5), ("bank_initiated_return_risk", 8)):
        assert 1 <= small["scores"][risk]["score"] <= 99
        assert 1 <= small["scores"][risk]["risk_tier"] <= tiers
    large = dwolla.ok("/processor/signal/evaluate",
                      call("/processor/signal/evaluate", token, client_transaction_id="txn-2",
                           amount=5000))  # fmt: skip
    assert (large["scores"]["bank_initiated_return_risk"]["score"]
            > small["scores"]["bank_initiated_return_risk"]["score"])  # fmt: skip
    again = dwolla.ok("/processor/signal/evaluate", call("/processor/signal/evaluate", token))
    assert again["scores"] == small["scores"]

    dwolla.ok("/processor/signal/decision/report", call("/processor/signal/decision/report", token))
    dwolla.ok("/processor/signal/return/report", call("/processor/signal/return/report", token))
    after = dwolla.ok("/processor/signal/evaluate", call("/processor/signal/evaluate", token))
    assert (after["scores"]["bank_initiated_return_risk"]["score"]
            > small["scores"]["bank_initiated_return_risk"]["score"])  # fmt: skip
    assert after["core_attributes"]["nsf_overdraft_transactions_count_30d"] == 1

    body = assert_error(
        dwolla.post("/processor/signal/return/report",
                    call("/processor/signal/return/report", token, client_transaction_id="nope")),
        400, "INVALID_REQUEST", "INVALID_FIELD",
    )  # fmt: skip
    assert "client_transaction_id" in body["error_message"]
    assert_error(
        dwolla.post("/processor/signal/return/report",
                    call("/processor/signal/return/report", token, return_code="X1")),
        400, "INVALID_REQUEST", "INVALID_FIELD",
    )  # fmt: skip
    dwolla.ok("/processor/signal/prepare", {"processor_token": token})
    dwolla.ok("/processor/signal/prepare", {"processor_token": token})


def test_requests_reject_unknown_fields(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    body = assert_error(dwolla.post("/processor/auth/get", {"processor_token": token, "x": 1}),
                        400, "INVALID_REQUEST", "UNKNOWN_FIELDS")  # fmt: skip
    assert "x" in body["error_message"]
    assert_error(dwolla.post("/processor/token/webhook/update", {"processor_token": token}),
                 400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip


# Who may call, and with which permissions ---------------------------------------------


@pytest.mark.parametrize("path", [p for p, product in PRODUCT_OF.items() if product])
def test_permission_denied_names_the_product(api: Api, dwolla: Partner, path: str) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    # A product the endpoint does not need; `transactions` is needed by none of these.
    api.ok("/processor/token/permissions/set", {"processor_token": token,
                                                "products": ["transactions"]})  # fmt: skip
    body = assert_error(dwolla.post(path, call(path, token)), 400, "INVALID_INPUT",
                        "INVALID_PRODUCT")  # fmt: skip
    assert f'"{PRODUCT_OF[path]}"' in body["error_message"]


def test_refused_signal_calls_change_nothing(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": ["auth"]})
    for path in ("/processor/signal/evaluate", "/processor/signal/prepare"):
        assert_error(dwolla.post(path, call(path, token)), 400, "INVALID_INPUT", "INVALID_PRODUCT")
    service = api.services
    records = api.loop.run_until_complete(service.store.list_signal_records(item["item_id"]))
    assert records == []
    # The refused evaluation left nothing to report against.
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": []})
    assert_error(dwolla.post("/processor/signal/decision/report",
                             call("/processor/signal/decision/report", token)),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip


def test_permissions_apply_to_the_next_call(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    dwolla.ok("/processor/identity/get", {"processor_token": token})
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": ["auth"]})
    assert_error(dwolla.post("/processor/identity/get", {"processor_token": token}),
                 400, "INVALID_INPUT", "INVALID_PRODUCT")  # fmt: skip
    dwolla.ok("/processor/auth/get", {"processor_token": token})
    # No product gate on account/get and webhook/update.
    dwolla.ok("/processor/account/get", {"processor_token": token})
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": []})
    dwolla.ok("/processor/identity/get", {"processor_token": token})


@pytest.mark.parametrize("path", list(PARTNER_CALLS))
def test_removed_item_rejects_every_partner_endpoint(api: Api, dwolla: Partner, path: str) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    api.ok("/item/remove", {"access_token": item["access_token"]})
    assert_error(dwolla.post(path, call(path, token)), 400, "INVALID_INPUT",
                 "INVALID_PROCESSOR_TOKEN")  # fmt: skip


@pytest.mark.parametrize("path", list(PARTNER_CALLS))
def test_other_partner_and_developer_are_refused(api: Api, dwolla: Partner, path: str) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    moov = Partner(api, "moov")
    for response in (moov.post(path, call(path, token)), api.post(path, call(path, token))):
        assert_error(response, 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")


def test_unknown_token_is_invalid(dwolla: Partner) -> None:
    body = assert_error(dwolla.post("/processor/auth/get", {"processor_token": "processor-x"}),
                        400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    assert body["display_message"] is None


def test_partner_sandbox_token_reads_its_own_account(api: Api, dwolla: Partner) -> None:
    token = dwolla.ok("/sandbox/processor_token/create", {"institution_id": "ins_109508"})[
        "processor_token"
    ]
    account = dwolla.ok("/processor/auth/get", {"processor_token": token})["account"]
    assert account["name"] == "Plaid Checking"


# Account-type mismatches ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "code"),
    [
        ("/processor/auth/get", "Plaid Credit Card", "NO_AUTH_ACCOUNTS"),
        ("/processor/auth/get", "Plaid Mortgage", "NO_AUTH_ACCOUNTS"),
        ("/processor/auth/get", "Plaid CD", "NO_AUTH_ACCOUNTS"),
        ("/processor/liabilities/get", "Plaid Checking", "NO_LIABILITY_ACCOUNTS"),
        ("/processor/liabilities/get", "Plaid IRA", "NO_LIABILITY_ACCOUNTS"),
        ("/processor/investments/holdings/get", "Plaid Checking", "NO_INVESTMENT_ACCOUNTS"),
        ("/processor/investments/transactions/get", "Plaid Saving", "NO_INVESTMENT_ACCOUNTS"),
        ("/processor/investments/auth/get", "Plaid Checking", "NO_INVESTMENT_ACCOUNTS"),
        ("/processor/investments/auth/get", "Plaid Mortgage", "NO_INVESTMENT_ACCOUNTS"),
    ],
)
def test_account_type_mismatch(api: Api, dwolla: Partner, path: str, name: str, code: str) -> None:
    item = link_item(api)
    token = token_for(api, item, name)
    body = assert_error(dwolla.post(path, call(path, token)), 400, "ITEM_ERROR", code)
    assert body["error_message"]


# Developer side -------------------------------------------------------------------------


def test_auth_get_arrays_for_eligible_accounts(api: Api) -> None:
    item = link_item(api)
    got = api.ok("/auth/get", {"access_token": item["access_token"]})
    assert len(got["accounts"]) == 12
    assert got["item"]["item_id"] == item["item_id"]
    numbers = got["numbers"]
    assert (numbers["eft"], numbers["international"], numbers["bacs"]) == ([], [], [])
    by_id = {a["account_id"]: a for a in item["accounts"]}
    assert sorted(by_id[n["account_id"]]["subtype"] for n in numbers["ach"]) == [
        "cash management", "checking", "savings",
    ]  # fmt: skip
    assert all(aba_valid(n["routing"]) for n in numbers["ach"])
    credit = account_of(item, "Plaid Credit Card")["account_id"]
    assert_error(api.post("/auth/get", {"access_token": item["access_token"],
                                        "options": {"account_ids": [credit]}}),
                 400, "ITEM_ERROR", "NO_AUTH_ACCOUNTS")  # fmt: skip


def test_auth_get_matches_processor_auth_get(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Saving")
    partner = dwolla.ok("/processor/auth/get", {"processor_token": token})["numbers"]["ach"]
    developer = api.ok("/auth/get", {"access_token": item["access_token"]})["numbers"]["ach"]
    assert partner in developer


def test_canadian_and_uk_institutions_have_eft_and_bacs(api: Api) -> None:
    ca = api.ok("/auth/get", {"access_token": link_item(api, "ins_43")["access_token"]})
    assert ca["numbers"]["ach"] == [] and len(ca["numbers"]["eft"]) == 3
    uk = api.ok("/auth/get", {"access_token": link_item(api, "ins_117650")["access_token"]})
    assert uk["numbers"]["ach"] == [] and len(uk["numbers"]["bacs"]) == 3
    for entry in uk["numbers"]["international"]:
        iban = entry["iban"]
        numeric = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
        assert int(numeric) % 97 == 1


def test_balance_and_identity_get(api: Api) -> None:
    item = link_item(api)
    balance = api.ok("/accounts/balance/get", {"access_token": item["access_token"]})
    assert balance["accounts"] == item["accounts"]
    saving = account_of(item, "Plaid Saving")["account_id"]
    identity = api.ok("/identity/get", {"access_token": item["access_token"],
                                        "options": {"account_ids": [saving]}})  # fmt: skip
    (account,) = identity["accounts"]
    assert account["account_id"] == saving and account["owners"][0]["names"]
    assert_error(api.post("/identity/get", {"access_token": item["access_token"],
                                            "options": {"account_ids": ["nope"]}}),
                 400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip


def test_developer_reads_reject_a_removed_item(api: Api) -> None:
    item = link_item(api)
    api.ok("/item/remove", {"access_token": item["access_token"]})
    for path in ("/auth/get", "/accounts/balance/get", "/identity/get"):
        assert_error(api.post(path, {"access_token": item["access_token"]}),
                     400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


# Webhooks -------------------------------------------------------------------------------


def wait_for(api: Api, received: list[dict[str, Any]], count: int, seconds: float = 5.0) -> None:
    """Run the app's loop until `count` webhooks arrived, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while len(received) < count and time.monotonic() < deadline:
        api.loop.run_until_complete(asyncio.sleep(0.02))


def test_webhook_update_stores_and_acknowledges(api: Api, dwolla: Partner,
                                                receiver: WebhookReceiver) -> None:  # fmt: skip
    item = link_item(api)
    checking = account_of(item, "Plaid Checking")
    token = token_for(api, item, "Plaid Checking")
    dwolla.ok("/processor/token/webhook/update", {"processor_token": token,
                                                  "webhook": receiver.url})  # fmt: skip
    wait_for(api, receiver.received, 1)
    assert receiver.received == [{
        "webhook_type": "PROCESSOR_TOKEN", "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",
        "account_id": checking["account_id"],
        "new_webhook_url": receiver.url, "error": None, "environment": "sandbox",
    }]  # fmt: skip
    service = api.services

    def stored() -> str | None:
        from tokenbridge.domain.randomness import hash_token

        found = api.loop.run_until_complete(service.store.get_processor_token(hash_token(token)))
        assert found is not None
        return found.webhook

    assert stored() == receiver.url
    dwolla.ok("/processor/token/webhook/update", {"processor_token": token, "webhook": None})
    assert stored() is None
    wait_for(api, receiver.received, 2, seconds=0.3)
    assert len(receiver.received) == 1  # removing the webhook sends nothing


def test_webhook_update_validates_and_survives_a_dead_receiver(
    api: Api, dwolla: Partner, sent: Sent
) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    assert_error(dwolla.post("/processor/token/webhook/update",
                             {"processor_token": token, "webhook": "ftp://example.com/x"}),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    # Nothing listens on port 9 of the loopback: the call still answers 200 at once, and
    # the webhook waits in the outbox for its next attempt.
    dwolla.ok("/processor/token/webhook/update",
              {"processor_token": token, "webhook": "http://127.0.0.1:9/hook"})  # fmt: skip
    assert [(url, body["webhook_code"]) for url, body in sent] == [
        ("http://127.0.0.1:9/hook", "WEBHOOK_UPDATE_ACKNOWLEDGED")
    ]
