"""Auth's micro-deposit flow: /sandbox/item/set_verification_status.

An Item linked with user_good / microdeposits_good is in Plaid's automated micro-deposit
flow: its account waits in `pending_automatic_verification` until Plaid sees the deposit,
and the sandbox endpoint stands in for that (https://plaid.com/docs/auth/coverage/testing/).
"""

from __future__ import annotations

from tokenbridge.domain import audit, errors, webhook_events
from tokenbridge.domain.items import ItemService
from tokenbridge.domain.models import Account, Client
from tokenbridge.domain.ports import Clock, Outbox, Store

PENDING = "pending_automatic_verification"

# SandboxItemSetVerificationStatusRequest.verification_status, and the AUTH webhook each
# fires (AutomaticallyVerifiedWebhook, VerificationExpiredWebhook).
VERIFICATION_WEBHOOKS = {
    "automatically_verified": "AUTOMATICALLY_VERIFIED",
    "verification_expired": "VERIFICATION_EXPIRED",
}


def check_verified(account: Account) -> None:
    """PRODUCT_NOT_READY for Auth on an account whose micro-deposit is not yet verified
    (https://plaid.com/docs/errors/item/#product_not_ready: Auth called on an Item of the
    micro-deposit flows before it is verified)."""
    if account.verification_status == PENDING:
        raise errors.ProductNotReady()


def auth_servable(account: Account) -> bool:
    """False for an account whose automated micro-deposit verification expired: it was
    never verified, so Auth has no numbers to give (the sandbox's choice; Plaid does not
    document the answer)."""
    return account.verification_status != "verification_expired"


class AuthService:
    def __init__(
        self, store: Store, items: ItemService, clock: Clock, outbox: Outbox, environment: str
    ) -> None:
        self.store = store
        self.items = items
        self.clock = clock
        self.outbox = outbox
        self.environment = environment

    async def sandbox_item_set_verification_status(
        self,
        client: Client,
        access_token: str,
        account_id: str,
        verification_status: str,
        *,
        request_id: str | None = None,
    ) -> None:
        """Verify the account's automated micro-deposit, or let it expire; then the AUTH
        webhook to the Item's webhook, if it has one.

        INVALID_ACCOUNT_ID for an account the Item does not have; INVALID_FIELD for an
        account that is not waiting for automatic verification.
        """
        code = VERIFICATION_WEBHOOKS.get(verification_status)
        if code is None:
            raise errors.InvalidField(
                "verification_status must be one of: " + ", ".join(VERIFICATION_WEBHOOKS)
            )
        item, account = await self.items.item_and_account(client, access_token, account_id)
        if account is None:
            raise errors.InvalidAccountId()
        refused = errors.InvalidField(
            "the account is not pending automatic micro-deposit verification"
            f" (its verification_status is {account.verification_status or 'not set'})"
        )
        if account.verification_status != PENDING:
            raise refused
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.ACCOUNT_VERIFICATION_STATUS_SET,
            request_id, item_id=item.item_id, account_id=account.account_id,
            detail=verification_status,
        )  # fmt: skip
        if not await self.store.set_account_verification_status(
            account.account_id, verification_status, [entry]
        ):
            # Another call moved it first (or the Item was just removed).
            raise refused
        if item.webhook:
            self.outbox.send(
                item.webhook,
                webhook_events.auth_verification(
                    code, item.item_id, account.account_id, self.environment
                ),
            )
