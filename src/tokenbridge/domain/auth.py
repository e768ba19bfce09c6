"""Auth's micro-deposit flow: what Auth answers for an account waiting for verification.

An Item linked with user_good / microdeposits_good is in Plaid's automated micro-deposit
flow: its account waits in `pending_automatic_verification` until Plaid sees the deposit;
/sandbox/item/set_verification_status (domain/sandbox_items.py) stands in for that
(https://plaid.com/docs/auth/coverage/testing/).
"""

from __future__ import annotations

from tokenbridge.domain import errors
from tokenbridge.domain.models import Account

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
