"""The audit log: one entry for every change of state.

An entry names who acted (the client_id), what was done, to which object, and the
request_id of the API call, so that a line of the log can be matched with the response
the client saw. It never holds a token: a token is named by `token_id`, the first 12 hex
characters of its SHA-256 hash, which identifies it among the stored tokens and reveals
nothing of the token itself.

Entries are handed to the store together with the change they describe and written in the
same transaction, so a crash never leaves a change without its entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# What `action` may say. Dotted nouns, so that `grep item.` finds everything about Items.
CLIENT_CREATE = "client.create"
CLIENT_PUT = "client.put"
PARTNER_CREATE = "partner.create"
ITEM_CREATE = "item.create"
ITEM_REMOVE = "item.remove"
ITEM_RESET_LOGIN = "item.reset_login"
ITEM_REPAIR = "item.repair"
# A test webhook the operator fired (the API's /sandbox/item/fire_webhook changes nothing
# and is not logged).
ITEM_WEBHOOK_FIRE = "item.webhook.fire"
ITEM_WEBHOOK_UPDATE = "item.webhook.update"
ITEM_PRODUCT_ADD = "item.product.add"
ACCESS_TOKEN_CREATE = "access_token.create"
PROCESSOR_TOKEN_CREATE = "processor_token.create"
PROCESSOR_TOKEN_PERMISSIONS_SET = "processor_token.permissions.set"
PROCESSOR_TOKEN_WEBHOOK_UPDATE = "processor_token.webhook.update"
STRIPE_BANK_ACCOUNT_TOKEN_CREATE = "stripe_bank_account_token.create"
ACCOUNT_VERIFICATION_STATUS_SET = "account.verification_status.set"
SANDBOX_TRANSACTIONS_CREATE = "sandbox.transactions.create"
LINK_TOKEN_CREATE = "link_token.create"
WEBHOOK_KEY_CREATE = "webhook_key.create"
WEBHOOK_KEY_ROTATE = "webhook_key.rotate"
WEBHOOK_REDELIVER = "webhook.redeliver"
CLIENT_RESET = "client.reset"
RESET = "reset"
CLOCK_ADVANCE = "clock.advance"
# The Sandbox's ITEM_LOGIN_REQUIRED, 30 days after the user's last login (domain/timeline.py).
ITEM_LOGIN_EXPIRE = "item.login_expire"
FAULT_ADD = "fault.add"
FAULT_REMOVE = "fault.remove"

# The actor of what the operator does (the command line, the control API, the dashboard),
# and of what follows from it, such as an Item expiring when the operator moves a clock.
OPERATOR = "operator"

TOKEN_ID_LENGTH = 12


# Not frozen, like the records of models.py: one is made for every write.
@dataclass(slots=True)
class AuditEntry:
    """One change. Fields that do not apply to the action are None (or empty)."""

    at: float
    actor: str
    action: str
    request_id: str | None = None
    item_id: str | None = None
    account_id: str | None = None
    token_id: str | None = None
    processor: str | None = None
    products: tuple[str, ...] = ()
    # A free-form note that is never secret, such as a new webhook URL or a client's name.
    detail: str | None = None


def token_id(token_hash: str) -> str:
    """The non-secret name of a token in the log: a prefix of its stored hash."""
    return token_hash[:TOKEN_ID_LENGTH]


def entry(
    at: float,
    actor: str,
    action: str,
    request_id: str | None,
    *,
    item_id: str | None = None,
    account_id: str | None = None,
    token_hash: str | None = None,
    processor: str | None = None,
    products: Sequence[str] = (),
    detail: str | None = None,
) -> AuditEntry:
    """An entry, taking the token's hash (never the token) and keeping only its prefix."""
    return AuditEntry(
        at=at,
        actor=actor,
        action=action,
        request_id=request_id,
        item_id=item_id,
        account_id=account_id,
        token_id=token_id(token_hash) if token_hash is not None else None,
        processor=processor,
        products=tuple(products),
        detail=detail,
    )
