"""The sandbox test surface through plaid-python 46 against a live server: error passwords,
/sandbox/item/reset_login and the Item error it leaves, our repair, /item/webhook/update and
/sandbox/item/fire_webhook, with every webhook checked against the SDK's own model."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.assets_error_webhook import AssetsErrorWebhook
from plaid.model.assets_product_ready_webhook import AssetsProductReadyWebhook
from plaid.model.auth_default_update_webhook import AuthDefaultUpdateWebhook
from plaid.model.default_update_webhook import DefaultUpdateWebhook
from plaid.model.holdings_default_update_webhook import HoldingsDefaultUpdateWebhook
from plaid.model.identity_default_update_webhook import IdentityDefaultUpdateWebhook
from plaid.model.investments_default_update_webhook import InvestmentsDefaultUpdateWebhook
from plaid.model.item_error_webhook import ItemErrorWebhook
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_login_repaired_webhook import ItemLoginRepairedWebhook
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
from plaid.model.liabilities_default_update_webhook import LiabilitiesDefaultUpdateWebhook
from plaid.model.new_accounts_available_webhook import NewAccountsAvailableWebhook
from plaid.model.pending_disconnect_webhook import PendingDisconnectWebhook
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.products import Products
from plaid.model.recurring_transactions_update_webhook import RecurringTransactionsUpdateWebhook
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_fire_webhook_request_options import (
    SandboxItemFireWebhookRequestOptions,
)
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_processor_token_create_request import SandboxProcessorTokenCreateRequest
from plaid.model.sandbox_processor_token_create_request_options import (
    SandboxProcessorTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sync_updates_available_webhook import SyncUpdatesAvailableWebhook
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.user_account_revoked_webhook import UserAccountRevokedWebhook
from plaid.model.user_permission_revoked_webhook import UserPermissionRevokedWebhook
from plaid.model.webhook_type import WebhookType
from plaid.model.webhook_update_acknowledged_webhook import WebhookUpdateAcknowledgedWebhook
from plaid.model_utils import validate_and_convert_types

from tests.helpers import LiveServer, WebhookReceiver
from tests.sdk.conftest import Linked, api_error, link

REPAIR = "/_tokenbridge/sandbox/item/repair"


def _as(client: plaid_api.PlaidApi, body: dict[str, Any], model: type) -> Any:
    """The webhook body read as plaid-python's model of it (raises if it does not fit)."""
    config = client.api_client.configuration
    return validate_and_convert_types(body, (model,), ["webhook"], True, True, config)


def _link(
    client: plaid_api.PlaidApi,
    products: list[str],
    receiver: WebhookReceiver | None = None,
    password: str | None = None,
) -> Linked:
    """An Item of `products`; with the receiver's webhook, once the receiver has had the
    Transactions webhooks of its creation (and forgotten them)."""
    options = SandboxPublicTokenCreateRequestOptions(override_password=password or "pass_good")
    if receiver is not None:
        options.webhook = receiver.url
    public = client.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_109508", initial_products=[Products(p) for p in products],
        options=options,
    )).public_token  # fmt: skip
    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    accounts = client.accounts_get(AccountsGetRequest(access_token=exchanged.access_token))
    if receiver is not None and "transactions" in products:
        receiver.wait(2)
        codes = sorted(w["webhook_code"] for w in receiver.received)
        assert codes == ["HISTORICAL_UPDATE", "INITIAL_UPDATE"]
        receiver.received.clear()
        receiver.deliveries.clear()
    return Linked(exchanged.access_token, exchanged.item_id,
                  [a.account_id for a in accounts.accounts])  # fmt: skip


@pytest.mark.parametrize(("password", "status", "error_type", "code"), [
    ("error_ITEM_LOCKED", 400, "ITEM_ERROR", "ITEM_LOCKED"),
    ("error_INSTITUTION_DOWN", 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"),
    ("error_INTERNAL_SERVER_ERROR", 500, "API_ERROR", "INTERNAL_SERVER_ERROR"),
    ("error_NO_ACCOUNTS", 400, "ITEM_ERROR", "NO_ACCOUNTS"),
])  # fmt: skip
def test_error_passwords_raise_plaids_error(
    client: plaid_api.PlaidApi, password: str, status: int, error_type: str, code: str
) -> None:
    api_error(lambda: _link(client, ["auth"], password=password), status, error_type, code)
    options = SandboxProcessorTokenCreateRequestOptions(override_password=password)
    api_error(lambda: client.sandbox_processor_token_create(SandboxProcessorTokenCreateRequest(
        institution_id="ins_109508", options=options)), status, error_type, code)  # fmt: skip


def test_reset_login_breaks_every_reader_until_repaired(
    server: LiveServer,
    client: plaid_api.PlaidApi,
    dwolla: plaid_api.PlaidApi,
    receiver: WebhookReceiver,
) -> None:
    linked = _link(client, ["auth", "transactions"], receiver)
    token = client.processor_token_create(ProcessorTokenCreateRequest(
        access_token=linked.access_token, account_id=linked.account_ids[0], processor="dwolla",
    )).processor_token  # fmt: skip
    answer = client.sandbox_item_reset_login(
        SandboxItemResetLoginRequest(access_token=linked.access_token)
    )
    assert answer.reset_login is True
    item = client.item_get(ItemGetRequest(access_token=linked.access_token)).item
    assert item.error.error_code == "ITEM_LOGIN_REQUIRED"
    assert item.error.error_type.value == "ITEM_ERROR"
    reads = [
        lambda: client.accounts_get(AccountsGetRequest(access_token=linked.access_token)),
        lambda: client.transactions_sync(TransactionsSyncRequest(access_token=linked.access_token)),
        lambda: dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=token)),
    ]  # fmt: skip
    for read in reads:
        api_error(read, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    receiver.wait(1)
    error = _as(client, receiver.received[0], ItemErrorWebhook)
    assert error.webhook_code == "ERROR" and error.item_id == linked.item_id
    assert error.error.error_code == "ITEM_LOGIN_REQUIRED"

    # Our repair, called as a user would with any HTTP client and the client's credentials.
    repaired = httpx.post(server.url + REPAIR, json={"access_token": linked.access_token},
                          headers={"PLAID-CLIENT-ID": server.client_id,
                                   "PLAID-SECRET": server.secret})  # fmt: skip
    assert repaired.status_code == 200 and repaired.json()["repaired"] is True
    for read in reads:
        read()
    assert client.item_get(ItemGetRequest(access_token=linked.access_token)).item.error is None
    receiver.wait(2)
    assert _as(client, receiver.received[1], ItemLoginRepairedWebhook).webhook_code == (
        "LOGIN_REPAIRED"
    )


def test_item_webhook_update_acknowledges(client: plaid_api.PlaidApi,
                                          receiver: WebhookReceiver) -> None:  # fmt: skip
    linked = link(client)
    answer = client.item_webhook_update(
        ItemWebhookUpdateRequest(access_token=linked.access_token, webhook=receiver.url)
    )
    assert answer.item.webhook == receiver.url
    receiver.wait(1)
    ack = _as(client, receiver.received[0], WebhookUpdateAcknowledgedWebhook)
    assert ack.webhook_code == "WEBHOOK_UPDATE_ACKNOWLEDGED"
    assert ack.new_webhook_url == receiver.url and ack.item_id == linked.item_id


FIRED: list[tuple[str, str | None, type]] = [
    ("DEFAULT_UPDATE", "TRANSACTIONS", DefaultUpdateWebhook),
    ("DEFAULT_UPDATE", "AUTH", AuthDefaultUpdateWebhook),
    ("DEFAULT_UPDATE", "IDENTITY", IdentityDefaultUpdateWebhook),
    ("DEFAULT_UPDATE", "HOLDINGS", HoldingsDefaultUpdateWebhook),
    ("DEFAULT_UPDATE", "INVESTMENTS_TRANSACTIONS", InvestmentsDefaultUpdateWebhook),
    ("DEFAULT_UPDATE", "LIABILITIES", LiabilitiesDefaultUpdateWebhook),
    ("NEW_ACCOUNTS_AVAILABLE", None, NewAccountsAvailableWebhook),
    ("SYNC_UPDATES_AVAILABLE", None, SyncUpdatesAvailableWebhook),
    ("RECURRING_TRANSACTIONS_UPDATE", None, RecurringTransactionsUpdateWebhook),
    ("LOGIN_REPAIRED", None, ItemLoginRepairedWebhook),
    ("PENDING_DISCONNECT", None, PendingDisconnectWebhook),
    ("USER_PERMISSION_REVOKED", None, UserPermissionRevokedWebhook),
    ("USER_ACCOUNT_REVOKED", None, UserAccountRevokedWebhook),
    ("PRODUCT_READY", "ASSETS", AssetsProductReadyWebhook),
    ("ERROR", "ASSETS", AssetsErrorWebhook),
]
EVERY_PRODUCT = ["auth", "transactions", "identity", "investments", "liabilities", "assets"]


@pytest.mark.parametrize(("code", "webhook_type", "model"), FIRED)
def test_fire_webhook_payloads_fit_the_sdks_models(
    client: plaid_api.PlaidApi,
    receiver: WebhookReceiver,
    code: str,
    webhook_type: str | None,
    model: type,
) -> None:
    linked = _link(client, EVERY_PRODUCT, receiver)
    request = SandboxItemFireWebhookRequest(access_token=linked.access_token, webhook_code=code)
    if webhook_type is not None:
        request.webhook_type = WebhookType(webhook_type)
    assert client.sandbox_item_fire_webhook(request).webhook_fired is True
    receiver.wait(1)
    (body,) = receiver.received
    fired = _as(client, body, model)
    assert fired.webhook_code == code


def test_fire_webhook_options_and_refusals(client: plaid_api.PlaidApi,
                                           receiver: WebhookReceiver) -> None:  # fmt: skip
    linked = _link(client, ["auth", "transactions"], receiver)
    client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(
        access_token=linked.access_token, webhook_code="DEFAULT_UPDATE",
        options=SandboxItemFireWebhookRequestOptions(new_transactions=7),
    ))  # fmt: skip
    receiver.wait(1)
    assert _as(client, receiver.received[0], DefaultUpdateWebhook).new_transactions == 7
    api_error(lambda: client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(
        access_token=linked.access_token, webhook_code="DEFAULT_UPDATE",
        webhook_type=WebhookType("HOLDINGS"))),
        400, "SANDBOX_ERROR", "SANDBOX_PRODUCT_NOT_ENABLED")  # fmt: skip
    bare = link(client)
    api_error(lambda: client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(
        access_token=bare.access_token, webhook_code="NEW_ACCOUNTS_AVAILABLE")),
        400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID")  # fmt: skip
