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


def transactions_webhook(
    code: str, key: str, value: str, environment: str, **fields: Any
) -> dict[str, Any]:
    """A TRANSACTIONS webhook about an Item (`key` item_id) or, in its processor form, a
    processor token's account (`key` account_id)
    (https://plaid.com/docs/api/products/transactions/#webhooks)."""
    return {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": code,
        key: value,
        **fields,
        "environment": environment,
    }


def transactions_pulled(
    code: str, key: str, value: str, new_transactions: int, environment: str
) -> dict[str, Any]:
    """INITIAL_UPDATE, HISTORICAL_UPDATE or DEFAULT_UPDATE: `new_transactions` were pulled
    (the first 30 days, the whole history, or a refresh round). Sent whether or not the
    receiver uses /transactions/sync, as Plaid sends them "to maintain backwards
    compatibility"."""
    return transactions_webhook(
        code, key, value, environment, error=None, new_transactions=new_transactions
    )


def transactions_removed(
    key: str, value: str, removed: list[str], environment: str
) -> dict[str, Any]:
    """TRANSACTIONS_REMOVED: the ids of the transactions a refresh round deleted."""
    return transactions_webhook(
        "TRANSACTIONS_REMOVED", key, value, environment, error=None, removed_transactions=removed
    )


def sync_updates_available(
    key: str, value: str, environment: str, *, historical: bool = True
) -> dict[str, Any]:
    """SYNC_UPDATES_AVAILABLE, for those who have called /transactions/sync: the first 30
    days are in (always, here), and the whole history too unless `historical` is False."""
    return transactions_webhook(
        "SYNC_UPDATES_AVAILABLE", key, value, environment,
        initial_update_complete=True, historical_update_complete=historical,
    )  # fmt: skip


def recurring_transactions_update(
    key: str, value: str, account_ids: list[str], environment: str
) -> dict[str, Any]:
    """RECURRING_TRANSACTIONS_UPDATE: the recurring streams of `account_ids` may have
    changed. The Item's form lists the accounts; the processor form names its one."""
    fields = {"account_ids": account_ids} if key == "item_id" else {}
    return transactions_webhook("RECURRING_TRANSACTIONS_UPDATE", key, value, environment, **fields)


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


def pending_expiration(
    item_id: str, consent_expiration_time: str, environment: str
) -> dict[str, Any]:
    """ITEM PENDING_EXPIRATION (PendingExpirationWebhook): the Item's consent ends at
    `consent_expiration_time` (ISO 8601), and the user must renew it through Link before."""
    return item_webhook(
        "ITEM", "PENDING_EXPIRATION", item_id, environment,
        consent_expiration_time=consent_expiration_time,
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
