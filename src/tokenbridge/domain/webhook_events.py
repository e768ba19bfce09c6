"""The webhooks the domain fires, as Plaid's payloads: pure functions, no delivery.

Delivery is the `Outbox` port's job (domain/ports.py); these only say what is sent.
"""

from __future__ import annotations

from typing import Any

from tokenbridge.domain.errors import PlaidError, status_of


def processor_webhook_update_acknowledged(
    account_id: str, new_webhook_url: str, environment: str
) -> dict[str, Any]:
    """WEBHOOK_UPDATE_ACKNOWLEDGED for a processor token's new webhook URL.

    Plaid's processor variant (ProcessorTokenWebhookUpdate): webhook_type `PROCESSOR_TOKEN`,
    and the token's `account_id` where an Item's webhook names the `item_id`
    (https://plaid.com/docs/api/processor-partners/#processortokenwebhookupdate).
    """
    return {
        "webhook_type": "PROCESSOR_TOKEN",
        "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",
        "account_id": account_id,
        "new_webhook_url": new_webhook_url,
        "error": None,
        "environment": environment,
    }


def transactions_update(
    sync_user: bool, key: str, value: str, new_transactions: int, environment: str
) -> dict[str, Any]:
    """SYNC_UPDATES_AVAILABLE (for those who have called /sync) or DEFAULT_UPDATE, for an
    Item (`key` item_id) or a processor token's account (`key` account_id)
    (https://plaid.com/docs/api/products/transactions/#webhooks)."""
    if sync_user:
        return {
            "webhook_type": "TRANSACTIONS",
            "webhook_code": "SYNC_UPDATES_AVAILABLE",
            key: value,
            "initial_update_complete": True,
            "historical_update_complete": True,
            "environment": environment,
        }
    return {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "DEFAULT_UPDATE",
        key: value,
        "error": None,
        "new_transactions": new_transactions,
        "environment": environment,
    }


# Item webhooks (https://plaid.com/docs/api/items/#webhooks) ------------------------------


def plaid_error_object(error: PlaidError) -> dict[str, Any]:
    """A PlaidError as webhooks carry it (`item.error` has the same shape)."""
    return {
        "error_type": error.error_type,
        "error_code": error.error_code,
        "error_code_reason": None,
        "error_message": error.error_message,
        "display_message": error.display_message,
        "request_id": "",
        "causes": [],
        "status": status_of(error),
        "documentation_url": error.documentation_url,
        "suggested_action": None,
    }


def item_webhook(
    webhook_type: str, webhook_code: str, item_id: str, environment: str, **fields: Any
) -> dict[str, Any]:
    """A webhook about an Item: its type, code and item_id, the fields of its schema, and the
    environment last, in the order of Plaid's examples."""
    return {
        "webhook_type": webhook_type,
        "webhook_code": webhook_code,
        "item_id": item_id,
        **fields,
        "environment": environment,
    }


def item_error(item_id: str, error: PlaidError, environment: str) -> dict[str, Any]:
    """ITEM ERROR (ItemErrorWebhook): the Item went into `error`."""
    return item_webhook("ITEM", "ERROR", item_id, environment, error=plaid_error_object(error))


def item_login_repaired(item_id: str, environment: str) -> dict[str, Any]:
    """ITEM LOGIN_REPAIRED (ItemLoginRepairedWebhook): the Item left ITEM_LOGIN_REQUIRED."""
    return item_webhook("ITEM", "LOGIN_REPAIRED", item_id, environment)


def item_webhook_update_acknowledged(
    item_id: str, new_webhook_url: str, environment: str
) -> dict[str, Any]:
    """ITEM WEBHOOK_UPDATE_ACKNOWLEDGED (WebhookUpdateAcknowledgedWebhook), sent to the new URL."""
    return item_webhook(
        "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", item_id, environment,
        new_webhook_url=new_webhook_url, error=None,
    )  # fmt: skip


def auth_verification(code: str, item_id: str, account_id: str, environment: str) -> dict[str, Any]:
    """AUTOMATICALLY_VERIFIED or VERIFICATION_EXPIRED: an account of the automated
    micro-deposit flow was verified, or was not within seven days
    (https://plaid.com/docs/api/products/auth/#webhooks)."""
    return {
        "webhook_type": "AUTH",
        "webhook_code": code,
        "item_id": item_id,
        "account_id": account_id,
        "error": None,
        "environment": environment,
    }
