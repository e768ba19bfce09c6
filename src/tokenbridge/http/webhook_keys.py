"""Webhook verification: /webhook_verification_key/get. Parse, call the
WebhookKeyService, shape the stored key's public half as Plaid's JWK."""

from __future__ import annotations

from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context

# The JWK members every key shares: ES256 signing keys on P-256
# (https://plaid.com/docs/api/webhooks/webhook-verification/).
_ALG, _CRV, _KTY, _USE = "ES256", "P-256", "EC", "sig"


async def webhook_verification_key_get(
    ctx: Context, req: s.WebhookVerificationKeyGetRequest
) -> s.WebhookVerificationKeyGetResponse:
    key = await ctx.services.webhook_keys.webhook_verification_key_get(req.key_id)
    return s.WebhookVerificationKeyGetResponse(
        key=s.JWKPublicKey(
            alg=_ALG,
            crv=_CRV,
            kid=key.kid,
            kty=_KTY,
            use=_USE,
            x=key.x,
            y=key.y,
            created_at=int(key.created_at),
            expired_at=int(key.expired_at) if key.expired_at is not None else None,
        )
    )
