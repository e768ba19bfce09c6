"""The micro-deposit test user with /sandbox/item/set_verification_status, and
user_transactions_dynamic with /sandbox/transactions/create."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Api, Partner, link_item
from tests.helpers import assert_plaid_error

TODAY = datetime.now(UTC).date()


def day(days_ago: int) -> str:
    return str(TODAY - timedelta(days=days_ago))


def link_as(api: Api, username: str, password: str, webhook: str | None = None
            ) -> dict[str, Any]:  # fmt: skip
    options: dict[str, Any] = {"override_username": username, "override_password": password}
    if webhook:
        options["webhook"] = webhook
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth", "transactions"],
         "options": options},
    )  # fmt: skip
    exchanged = api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = api.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    return {**exchanged, "accounts": accounts}


# Micro-deposits ---------------------------------------------------------------------------


def set_status(api: Api, item: dict[str, Any], status: str, account_id: str | None = None
               ) -> Any:  # fmt: skip
    return api.post(
        "/sandbox/item/set_verification_status",
        {"access_token": item["access_token"],
         "account_id": account_id or item["accounts"][0]["account_id"],
         "verification_status": status},
    )  # fmt: skip


def test_microdeposits_good_links_one_account_pending_verification(api: Api) -> None:
    item = link_as(api, "user_good", "microdeposits_good")
    assert [(a["name"], a["verification_status"]) for a in item["accounts"]] == [
        ("Plaid Checking", "pending_automatic_verification")
    ]
    # Until the deposit is verified, Auth is not ready.
    assert_plaid_error(api.post("/auth/get", {"access_token": item["access_token"]}),
                       400, "ITEM_ERROR", "PRODUCT_NOT_READY")  # fmt: skip
    # An account outside the flow carries no verification_status.
    assert "verification_status" not in link_item(api)["accounts"][0]


def test_automatically_verified_opens_auth_and_fires_the_webhook(
    api: Api, dwolla: Partner, sent: list[tuple[str, dict[str, Any]]]
) -> None:
    item = link_as(api, "user_good", "microdeposits_good", webhook="https://example.com/hook")
    sent.clear()  # the Transactions webhooks of its creation
    account_id = item["accounts"][0]["account_id"]
    token = api.ok("/processor/token/create", {"access_token": item["access_token"],
                   "account_id": account_id, "processor": "dwolla"})["processor_token"]  # fmt: skip
    assert_plaid_error(dwolla.post("/processor/auth/get", {"processor_token": token}),
                       400, "ITEM_ERROR", "PRODUCT_NOT_READY")  # fmt: skip
    response = set_status(api, item, "automatically_verified")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"request_id"}
    accounts = api.ok("/accounts/get", {"access_token": item["access_token"]})["accounts"]
    assert accounts[0]["verification_status"] == "automatically_verified"
    auth = api.ok("/auth/get", {"access_token": item["access_token"]})
    assert auth["accounts"][0]["verification_status"] == "automatically_verified"
    assert auth["numbers"]["ach"][0]["account_id"] == account_id
    assert dwolla.ok("/processor/auth/get", {"processor_token": token})["numbers"]["ach"]
    assert sent == [("https://example.com/hook", {
        "webhook_type": "AUTH", "webhook_code": "AUTOMATICALLY_VERIFIED",
        "item_id": item["item_id"], "account_id": account_id, "error": None,
        "environment": "sandbox"})]  # fmt: skip
    # Verified once: it is no longer pending.
    assert_plaid_error(set_status(api, item, "verification_expired"),
                       400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip


def test_verification_expired(api: Api, sent: list[tuple[str, dict[str, Any]]]) -> None:
    item = link_as(api, "user_good", "microdeposits_good", webhook="https://example.com/hook")
    sent.clear()  # the Transactions webhooks of its creation
    assert set_status(api, item, "verification_expired").status_code == 200
    accounts = api.ok("/accounts/get", {"access_token": item["access_token"]})["accounts"]
    assert accounts[0]["verification_status"] == "verification_expired"
    assert [p["webhook_code"] for _, p in sent] == ["VERIFICATION_EXPIRED"]
    # Never verified: Auth has no numbers for it.
    assert_plaid_error(api.post("/auth/get", {"access_token": item["access_token"]}),
                       400, "ITEM_ERROR", "NO_AUTH_ACCOUNTS")  # fmt: skip


def test_set_verification_status_refusals(api: Api) -> None:
    item = link_as(api, "user_good", "microdeposits_good")
    assert_plaid_error(set_status(api, item, "automatically_verified", "no-such-account"),
                       400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip
    assert_plaid_error(set_status(api, item, "manually_verified"),
                       400, "INVALID_REQUEST", "INVALID_FIELD",
                       "verification_status must be one of: automatically_verified,"
                       " verification_expired")  # fmt: skip
    plain = link_item(api)
    assert_plaid_error(set_status(api, plain, "automatically_verified"),
                       400, "INVALID_REQUEST", "INVALID_FIELD",
                       "the account is not pending automatic micro-deposit verification"
                       " (its verification_status is not set)")  # fmt: skip
    other = {**item, "access_token": "access-sandbox-00000000-0000-0000-0000-000000000000"}
    assert_plaid_error(set_status(api, other, "automatically_verified"),
                       400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    # Nothing moved.
    accounts = api.ok("/accounts/get", {"access_token": item["access_token"]})["accounts"]
    assert accounts[0]["verification_status"] == "pending_automatic_verification"


# user_transactions_dynamic ----------------------------------------------------------------


def sync_all(ok: Any, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Every transaction added from the body's cursor on, paged through; the last cursor."""
    added: list[dict[str, Any]] = []
    while True:
        page = ok(body)
        added += page["added"]
        body = {**body, "cursor": page["next_cursor"]}
        if not page["has_more"]:
            return added, page["next_cursor"]


def create(api: Api, item: dict[str, Any], transactions: list[dict[str, Any]]) -> Any:
    return api.post(
        "/sandbox/transactions/create",
        {"access_token": item["access_token"], "transactions": transactions},
    )


def custom(n: int = 1, transacted: int = 2, posted: int = 1) -> list[dict[str, Any]]:
    return [
        {"date_transacted": day(transacted), "date_posted": day(posted), "amount": 10.0 + i,
         "description": f"Custom {i}"}
        for i in range(n)
    ]  # fmt: skip


def test_created_transactions_appear_on_sync_get_and_the_partner_side(
    api: Api, dwolla: Partner
) -> None:
    item = link_as(api, "user_transactions_dynamic", "anything")
    checking = item["accounts"][0]
    assert (checking["type"], checking["subtype"]) == ("depository", "checking")
    developer = lambda b: api.ok("/transactions/sync", b)  # noqa: E731
    partner = lambda b: dwolla.ok("/processor/transactions/sync", b)  # noqa: E731
    _, cursor = sync_all(developer, {"access_token": item["access_token"]})
    body = {"access_token": item["access_token"], "account_id": checking["account_id"],
            "processor": "dwolla"}  # fmt: skip
    token = api.ok("/processor/token/create", body)["processor_token"]
    _, partner_cursor = sync_all(partner, {"processor_token": token})
    refund = {"date_transacted": day(0), "date_posted": day(0), "amount": -25.5,
              "description": "Refund", "iso_currency_code": "CAD"}  # fmt: skip
    response = create(api, item, [*custom(2), refund])
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"request_id"}
    after, _ = sync_all(developer, {"access_token": item["access_token"], "cursor": cursor})
    added = {t["name"]: t for t in after}
    assert {"Custom 0", "Custom 1", "Refund"} <= set(added)
    c0 = added["Custom 0"]
    assert (c0["amount"], c0["date"], c0["authorized_date"], c0["pending"], c0["account_id"]) == (
        10.0, day(1), day(2), False, checking["account_id"])  # fmt: skip
    assert (added["Refund"]["amount"], added["Refund"]["iso_currency_code"]) == (-25.5, "CAD")
    got = api.ok("/transactions/get", {"access_token": item["access_token"],
                                       "start_date": day(3), "end_date": day(0)})  # fmt: skip
    assert {"Custom 0", "Custom 1", "Refund"} <= {t["name"] for t in got["transactions"]}
    partner_added, _ = sync_all(partner, {"processor_token": token, "cursor": partner_cursor})
    assert {"Custom 0", "Custom 1", "Refund"} <= {t["name"] for t in partner_added}


def test_created_transactions_fire_the_refresh_webhook(
    api: Api, sent: list[tuple[str, dict[str, Any]]]
) -> None:
    item = link_as(api, "user_transactions_dynamic", "x", webhook="https://example.com/hook")
    sync_all(lambda b: api.ok("/transactions/sync", b), {"access_token": item["access_token"]})
    sent.clear()  # the Transactions webhooks of its creation
    assert create(api, item, custom(1)).status_code == 200
    codes = sorted((p["webhook_type"], p["webhook_code"], p["item_id"]) for _, p in sent)
    # The round also posts a pending transaction under a new id: one removed.
    assert codes == [("TRANSACTIONS", "DEFAULT_UPDATE", item["item_id"]),
                     ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", item["item_id"]),
                     ("TRANSACTIONS", "TRANSACTIONS_REMOVED", item["item_id"])]  # fmt: skip


TOO_OLD = "Transaction and posted dates must be within the last 14 days"


@pytest.mark.parametrize(
    ("transactions", "message"),
    [
        (custom(11), "The request contains too many transactions."),
        ([], "transactions must contain at least one transaction"),
        (custom(1, transacted=15, posted=1), TOO_OLD),
        (custom(1, transacted=1, posted=-1), TOO_OLD),
        (custom(1, transacted=1, posted=2), TOO_OLD),
        ([{**custom(1)[0], "date_posted": "2026-13-01"}],
         "transactions[0].date_posted must be a valid date in YYYY-MM-DD format"),
        ([{**custom(1)[0], "description": "  "}],
         "transactions[0].description must not be empty"),
        ([{**custom(1)[0], "description": "a\u0000b"}],
         "transactions[0].description must not contain NUL characters"),
        ([{**custom(1)[0], "iso_currency_code": "dollars"}],
         "transactions[0].iso_currency_code must be an ISO-4217 currency code"),
    ],
)  # fmt: skip
def test_create_refusals(api: Api, transactions: list[dict[str, Any]], message: str) -> None:
    item = link_as(api, "user_transactions_dynamic", "x")
    body = assert_plaid_error(create(api, item, transactions), 400, "INVALID_REQUEST",
                              "INVALID_FIELD")  # fmt: skip
    assert body["error_message"].startswith(message), body["error_message"]
    stored = api.loop.run_until_complete(
        api.services.store.list_sandbox_transactions(item["item_id"])
    )
    assert stored == []


def test_create_needs_a_dynamic_item(api: Api) -> None:
    item = link_item(api)
    assert_plaid_error(create(api, item, custom(1)), 400, "INVALID_REQUEST", "INVALID_FIELD",
                       "/sandbox/transactions/create can only be used with Items created with"
                       " the user_transactions_dynamic test user")  # fmt: skip


def test_create_refuses_a_wrong_shape(api: Api) -> None:
    item = link_as(api, "user_transactions_dynamic", "x")
    assert_plaid_error(create(api, item, [{"date_transacted": day(1)}]),
                       400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert_plaid_error(create(api, item, [{**custom(1)[0], "colour": "red"}]),
                       400, "INVALID_REQUEST", "UNKNOWN_FIELDS")  # fmt: skip


def test_create_on_a_named_account(api: Api) -> None:
    # plaid-python 46's CustomSandboxTransaction names the account; a depository one only.
    item = link_as(api, "user_transactions_dynamic", "x")
    savings = next(a for a in item["accounts"] if a["subtype"] == "savings")
    card = next(a for a in item["accounts"] if a["type"] == "credit")
    assert create(api, item, [{**custom(1)[0], "account_id": savings["account_id"]}]
                  ).status_code == 200  # fmt: skip
    got = api.ok("/transactions/get", {"access_token": item["access_token"],
                 "start_date": day(3), "end_date": day(0),
                 "options": {"account_ids": [savings["account_id"]]}})  # fmt: skip
    assert "Custom 0" in {t["name"] for t in got["transactions"]}
    assert_plaid_error(create(api, item, [{**custom(1)[0], "account_id": card["account_id"]}]),
                       400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip
