"""The keys that sign webhooks: made once per database, rotated by the operator, published.

Plaid signs every webhook with an ES256 JWT in the `Plaid-Verification` header and
publishes the public half of each key through /webhook_verification_key/get
(https://plaid.com/docs/api/webhooks/webhook-verification/). The keys live in the
database, so that every server over it signs with the same current key and answers for
every key any of them signed with. The cryptography is the `WebhookKeyMaker` port's
(webhooks/signing.py): this service handles stored records only.
"""

from __future__ import annotations

from tokenbridge.domain import audit, errors
from tokenbridge.domain.models import WebhookKey
from tokenbridge.domain.ports import Clock, Store, WebhookKeyMaker

# How long a rotated-out key stays valid (its `expired_at` is set this far ahead): as long
# as Plaid keeps retrying a webhook, so that a receiver that cached the old key, or holds a
# webhook signed just before the rotation, still verifies it. Each attempt is signed anew
# with the key current at that moment, so no retry after the rotation needs the old key.
ROTATION_GRACE_SECONDS = 24 * 60 * 60

# Who the audit log names for a key's creation and rotation (no client acts).
ACTOR = "tokenbridge"


class WebhookKeyService:
    def __init__(self, store: Store, clock: Clock, maker: WebhookKeyMaker | None) -> None:
        self.store = store
        self.clock = clock
        self.maker = maker

    def _new_key(self) -> WebhookKey:
        if self.maker is None:
            raise RuntimeError("no WebhookKeyMaker was given to make webhook keys with")
        return self.maker.new_key(self.clock.now())

    async def ensure_current_key(self) -> WebhookKey:
        """The key that signs; one is made and stored if the database has none (at the first
        signature; of servers signing their first webhooks at once, all get the same key)."""
        current = await self.store.current_webhook_key()
        if current is not None:
            return current
        candidate = self._new_key()
        note = [audit.entry(candidate.created_at, ACTOR, audit.WEBHOOK_KEY_CREATE, None,
                            detail=f"kid {candidate.kid}")]  # fmt: skip
        return await self.store.ensure_webhook_key(candidate, note)

    async def rotate(
        self, grace_seconds: float = ROTATION_GRACE_SECONDS
    ) -> tuple[WebhookKey, WebhookKey | None]:
        """Make a new current key; the old one stays published and expires `grace_seconds`
        from now. Returns (the new key, the old one as it is now, or None if none was)."""
        if grace_seconds < 0:
            raise ValueError("the grace period must not be negative")
        new = self._new_key()
        old_expires_at = new.created_at + grace_seconds
        note = [audit.entry(new.created_at, ACTOR, audit.WEBHOOK_KEY_ROTATE, None,
                            detail=f"kid {new.kid}")]  # fmt: skip
        old = await self.store.rotate_webhook_key(new, old_expires_at, note)
        current = await self.store.get_webhook_key(new.kid)
        assert current is not None
        return current, old

    async def list_keys(self) -> list[WebhookKey]:
        """Every key, oldest first (the records hold the private keys: callers show only
        the public fields)."""
        return await self.store.list_webhook_keys()

    async def webhook_verification_key_get(self, key_id: str) -> WebhookKey:
        """The key `key_id` names, expired or not; raises InvalidWebhookVerificationKeyId
        for a kid no server over this database made."""
        key = await self.store.get_webhook_key(key_id)
        if key is None:
            raise errors.InvalidWebhookVerificationKeyId()
        return key
