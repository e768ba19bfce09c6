"""An Item in error: /sandbox/item/reset_login, what every read then answers, /item/get's
`item.error`, the ITEM webhooks, our repair, /item/webhook/update and
/sandbox/item/fire_webhook."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, Partner, link_item
from tests.api.test_partner import PARTNER_CALLS, call, token_for, wait_for
from tests.helpers import WebhookReceiver
from tests.helpers import assert_plaid_error as assert_error

LOGIN_REQUIRED = (
    "the login details of this item have changed (credentials, MFA, or required user action) "
    "and a user login is required to update this information. use Link's update mode to "
    "restore the item to a good state"
)
REPAIR = "/_tokenbridge/sandbox/item/repair"

# Every developer-side product read, with what else its body needs.
DEVELOPER_READS: dict[str, dict[str, Any]] = {
    "/accounts/get": {},
    "/auth/get": {},
    "/accounts/balance/get": {},
    "/identity/get": {},
    "/transactions/get": {"start_date": "2000-01-01", "end_date": "2100-01-01"},
    "/transactions/sync": {},
}
PARTNER_READS = [p for p in PARTNER_CALLS if p != "/processor/token/webhook/update"] + [
    "/processor/transactions/get", "/processor/transactions/sync",
    "/processor/transactions/refresh", "/processor/transactions/recurring/get",
]  # fmt: skip
_TRANSACTIONS_CALLS: dict[str, dict[str, Any]] = {
    "/processor/transactions/get": {"start_date": "2000-01-01", "end_date": "2100-01-01"},
}


def _linked_with_webhook(api: Api, receiver: WebhookReceiver) -> dict[str, Any]:
    """An Item with Transactions and the receiver's webhook, once the receiver has had the
    webhooks of its creation (and forgotten them)."""
    public = api.ok("/sandbox/public_token/create", {
        "institution_id": "ins_109508", "initial_products": ["auth", "transactions"],
        "options": {"webhook": receiver.url},
    })  # fmt: skip
    exchanged = api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = api.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    wait_for(api, receiver.received, 2)
    codes = sorted(w["webhook_code"] for w in receiver.received)
    assert codes == ["HISTORICAL_UPDATE", "INITIAL_UPDATE"]
    receiver.received.clear()
    receiver.deliveries.clear()
    return {**exchanged, "accounts": accounts}


def _fire(api: Api, item: dict[str, Any], code: str, webhook_type: str | None) -> httpx.Response:
    """/sandbox/item/fire_webhook of `code` for the Item, as `webhook_type` when not None."""
    body: dict[str, Any] = {"access_token": item["access_token"], "webhook_code": code}
    if webhook_type is not None:
        body["webhook_type"] = webhook_type
    return api.post("/sandbox/item/fire_webhook", body)


def test_reset_login_answers_as_plaid_and_item_get_shows_the_error(api: Api) -> None:
    item = link_item(api)
    assert api.ok("/item/get", {"access_token": item["access_token"]})["item"]["error"] is None
    answer = api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    assert answer["reset_login"] is True and answer["request_id"]
    error = api.ok("/item/get", {"access_token": item["access_token"]})["item"]["error"]
    assert error["error_type"] == "ITEM_ERROR"
    assert error["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert error["error_message"] == LOGIN_REQUIRED
    assert error["status"] == 400
    assert error["documentation_url"] == "https://plaid.com/docs/errors/item/#item_login_required"


@pytest.mark.parametrize("path", list(DEVELOPER_READS))
def test_every_developer_read_answers_item_login_required(api: Api, path: str) -> None:
    item = link_item(api)
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    sent = {"access_token": item["access_token"], **DEVELOPER_READS[path]}
    body = assert_error(api.post(path, sent), 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert body["error_message"] == LOGIN_REQUIRED


@pytest.mark.parametrize("path", PARTNER_READS)
def test_every_partner_read_answers_item_login_required(api: Api, dwolla: Partner, path: str
                                                        ) -> None:  # fmt: skip
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    body = {"processor_token": token, **PARTNER_CALLS.get(path, _TRANSACTIONS_CALLS.get(path, {}))}
    assert_error(dwolla.post(path, body), 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")


def test_item_management_still_works_in_error(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    # The partner can still set its webhook, the developer read the permissions and
    # remove the Item: none of these reads the Item's data.
    dwolla.ok("/processor/token/webhook/update", call("/processor/token/webhook/update", token))
    api.ok("/processor/token/permissions/get", {"processor_token": token})
    api.ok("/item/remove", {"access_token": item["access_token"]})


def test_repair_makes_the_item_healthy_again(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, "Plaid Checking")
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    assert api.ok(REPAIR, {"access_token": item["access_token"]})["repaired"] is True
    assert api.ok("/item/get", {"access_token": item["access_token"]})["item"]["error"] is None
    api.ok("/accounts/get", {"access_token": item["access_token"]})
    dwolla.ok("/processor/auth/get", {"processor_token": token})
    # A healthy Item has nothing to repair.
    assert api.ok(REPAIR, {"access_token": item["access_token"]})["repaired"] is False


def test_the_error_is_stored_with_that_item_alone(api: Api) -> None:
    first, second = link_item(api), link_item(api)
    api.ok("/sandbox/item/reset_login", {"access_token": first["access_token"]})
    api.ok("/accounts/get", {"access_token": second["access_token"]})
    stored = api.loop.run_until_complete(api.services.store.get_item(first["item_id"]))
    assert stored is not None and stored.error_code == "ITEM_LOGIN_REQUIRED"


@pytest.mark.parametrize("path", ["/sandbox/item/reset_login", REPAIR, "/item/webhook/update",
                                  "/sandbox/item/fire_webhook"])  # fmt: skip
def test_controls_refuse_unknown_and_removed_tokens(api: Api, path: str) -> None:
    extra = {"webhook_code": "NEW_ACCOUNTS_AVAILABLE"} if "fire" in path else {}
    assert_error(api.post(path, {"access_token": "access-sandbox-nope", **extra}),
                 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    item = link_item(api)
    api.ok("/item/remove", {"access_token": item["access_token"]})
    assert_error(api.post(path, {"access_token": item["access_token"], **extra}),
                 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


def test_controls_require_an_access_token(api: Api) -> None:
    body = assert_error(api.post("/sandbox/item/reset_login", {}), 400, "INVALID_REQUEST",
                        "MISSING_FIELDS")  # fmt: skip
    assert "access_token" in body["error_message"]


def test_reset_login_and_repair_send_plaids_item_webhooks(api: Api, receiver: WebhookReceiver
                                                          ) -> None:  # fmt: skip
    item = _linked_with_webhook(api, receiver)
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    wait_for(api, receiver.received, 1)
    (error,) = receiver.received
    assert {k: error[k] for k in ("webhook_type", "webhook_code", "item_id", "environment")} == {
        "webhook_type": "ITEM", "webhook_code": "ERROR", "item_id": item["item_id"],
        "environment": "sandbox",
    }  # fmt: skip
    assert error["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert error["error"]["error_type"] == "ITEM_ERROR" and error["error"]["status"] == 400
    api.ok(REPAIR, {"access_token": item["access_token"]})
    wait_for(api, receiver.received, 2)
    assert receiver.received[1] == {
        "webhook_type": "ITEM", "webhook_code": "LOGIN_REPAIRED", "item_id": item["item_id"],
        "environment": "sandbox",
    }  # fmt: skip


def test_item_webhook_update_sets_and_acknowledges(api: Api, receiver: WebhookReceiver) -> None:
    item = link_item(api)
    answer = api.ok("/item/webhook/update", {"access_token": item["access_token"],
                                             "webhook": receiver.url})  # fmt: skip
    assert answer["item"]["webhook"] == receiver.url
    assert answer["item"]["item_id"] == item["item_id"]
    wait_for(api, receiver.received, 1)
    assert receiver.received == [{
        "webhook_type": "ITEM", "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",
        "item_id": item["item_id"], "new_webhook_url": receiver.url, "error": None,
        "environment": "sandbox",
    }]  # fmt: skip
    assert api.ok("/item/get", {"access_token": item["access_token"]})["item"]["webhook"] == (
        receiver.url
    )
    cleared = api.ok(
        "/item/webhook/update", {"access_token": item["access_token"], "webhook": None}
    )
    assert cleared["item"]["webhook"] is None


@pytest.mark.parametrize("webhook", ["not a url", "ftp://example.com/x", ""])
def test_item_webhook_update_refuses_a_bad_url(api: Api, webhook: str) -> None:
    item = link_item(api)
    assert_error(api.post("/item/webhook/update", {"access_token": item["access_token"],
                                                   "webhook": webhook}),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert api.ok("/item/get", {"access_token": item["access_token"]})["item"]["webhook"] is None


# /sandbox/item/fire_webhook ------------------------------------------------------------

FIRED: list[tuple[str, str | None, str, set[str]]] = [
    # (code, type sent, type fired, fields beyond type, code, item_id and environment)
    ("DEFAULT_UPDATE", None, "TRANSACTIONS", {"error", "new_transactions"}),
    ("DEFAULT_UPDATE", "TRANSACTIONS", "TRANSACTIONS", {"error", "new_transactions"}),
    ("DEFAULT_UPDATE", "AUTH", "AUTH",
     {"error", "account_ids_with_new_auth", "account_ids_with_updated_auth"}),
    ("NEW_ACCOUNTS_AVAILABLE", None, "ITEM", {"error"}),
    ("SYNC_UPDATES_AVAILABLE", None, "TRANSACTIONS",
     {"initial_update_complete", "historical_update_complete"}),
    ("RECURRING_TRANSACTIONS_UPDATE", None, "TRANSACTIONS", {"account_ids"}),
    ("LOGIN_REPAIRED", None, "ITEM", set()),
    ("PENDING_DISCONNECT", "ITEM", "ITEM", {"reason", "disconnect_time"}),
    ("USER_PERMISSION_REVOKED", None, "ITEM", {"error"}),
    ("USER_ACCOUNT_REVOKED", None, "ITEM", {"account_id"}),
    ("SMS_MICRODEPOSITS_VERIFICATION", None, "AUTH", {"account_id", "status"}),
    ("AUTHORIZATION_GRANTED", None, "ITEM", set()),
]  # fmt: skip


@pytest.mark.parametrize(("code", "sent", "fired", "fields"), FIRED)
def test_fire_webhook_sends_the_payload_of_plaids_schema(
    api: Api, receiver: WebhookReceiver, code: str, sent: str | None, fired: str, fields: set[str]
) -> None:
    item = _linked_with_webhook(api, receiver)
    response = _fire(api, item, code, sent)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["webhook_fired"] is True
    wait_for(api, receiver.received, 1)
    (webhook,) = receiver.received
    assert webhook["webhook_type"] == fired and webhook["webhook_code"] == code
    assert webhook["item_id"] == item["item_id"] and webhook["environment"] == "sandbox"
    assert set(webhook) - {"webhook_type", "webhook_code", "item_id", "environment"} == fields


@pytest.mark.parametrize(("code", "webhook_type", "product"), [
    ("DEFAULT_UPDATE", "LIABILITIES", "liabilities"),
    ("DEFAULT_UPDATE", "HOLDINGS", "investments"),
    ("PRODUCT_READY", None, "assets"),
    ("ERROR", None, "assets"),
])  # fmt: skip
def test_fire_webhook_needs_the_product(
    api: Api, receiver: WebhookReceiver, code: str, webhook_type: str | None, product: str
) -> None:
    item = _linked_with_webhook(api, receiver)
    error = assert_error(_fire(api, item, code, webhook_type), 400, "SANDBOX_ERROR",
                         "SANDBOX_PRODUCT_NOT_ENABLED")  # fmt: skip
    assert error["error_message"] == f"The {product} product is not enabled on this item"
    wait_for(api, receiver.received, 1, seconds=0.2)
    assert receiver.received == []


def test_fire_webhook_of_an_item_without_webhook(api: Api) -> None:
    item = link_item(api)
    error = assert_error(api.post("/sandbox/item/fire_webhook", {
        "access_token": item["access_token"], "webhook_code": "NEW_ACCOUNTS_AVAILABLE"}),
        400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID")  # fmt: skip
    assert error["error_message"].startswith("Webhook for this item is either not set up")


@pytest.mark.parametrize(("code", "webhook_type", "named"), [
    ("NOT_A_CODE", None, "webhook_code"),
    ("DEFAULT_UPDATE", "ITEM", "webhook_type"),
    ("LOGIN_REPAIRED", "AUTH", "webhook_type"),
    ("DEFAULT_UPDATE", "", "webhook_type"),
])  # fmt: skip
def test_fire_webhook_refuses_codes_and_types_plaid_does_not_fire(
    api: Api, receiver: WebhookReceiver, code: str, webhook_type: str | None, named: str
) -> None:
    item = _linked_with_webhook(api, receiver)
    error = assert_error(_fire(api, item, code, webhook_type), 400, "INVALID_REQUEST",
                         "INVALID_FIELD")  # fmt: skip
    assert error["error_message"].startswith(named)


def test_controls_are_audited(api: Api, receiver: WebhookReceiver) -> None:
    item = link_item(api)
    api.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    api.ok(REPAIR, {"access_token": item["access_token"]})
    api.ok("/item/webhook/update", {"access_token": item["access_token"], "webhook": receiver.url})
    wait_for(api, receiver.received, 1)
    entries = api.loop.run_until_complete(api.services.store.list_audit(item["item_id"]))
    actions = [e.action for e in entries]
    assert actions[-3:] == ["item.reset_login", "item.repair", "item.webhook.update"]
    assert all(e.actor for e in entries)
