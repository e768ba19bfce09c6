"""The `Plaid-Verification` header: an ES256 JWT over the exact body bytes of a webhook.

As Plaid signs (https://plaid.com/docs/api/webhooks/webhook-verification/): the JWT's
header has `alg` ES256, `kid` (the key, which /webhook_verification_key/get publishes) and
`typ` JWT; its claims are `iat`, the signing time in whole seconds, and
`request_body_sha256`, the hex SHA-256 of the body as it is posted. PyJWT makes the token
and `cryptography` the P-256 keys; nothing here is hand-rolled.

`ES256Keys` implements the domain's `WebhookKeyMaker` port. `WebhookSigner` signs with the
key that is current in the store at that moment, read at each signature (one indexed read,
in the delivery task, never on the request path), so a rotation made by another process
(`tokenbridge webhook-keys rotate`) is used from the next attempt on, without a restart.
A database without a key gets one from the first signature any server makes. The private
key is parsed once per kid and kept in memory; it is never logged.

PyJWT and `cryptography` are imported at the first key made or signature signed, not with
this module: they add about 9 MB to every server process, which a server that sends no
webhook (a load test, a CI run of partner reads) does not need to carry.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import TYPE_CHECKING

from tokenbridge.domain.models import WebhookKey
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.webhook_keys import WebhookKeyService

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
# The JWK members of every key (what /webhook_verification_key/get answers besides x, y).
CURVE = "P-256"
KEY_TYPE = "EC"
USE = "sig"


def _coordinate(value: int) -> str:
    """A P-256 coordinate as a JWK carries it: 32 bytes big-endian, base64url, unpadded."""
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode("ascii")


class ES256Keys:
    """New P-256 keys from the operating system's randomness. Each kid is a UUID, as
    Plaid's are; neither comes from a seeded source (`--seed` makes ids repeatable, and a
    repeatable private key would be a published one)."""

    def new_key(self, created_at: float) -> WebhookKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.generate_private_key(ec.SECP256R1())
        point = private.public_key().public_numbers()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        return WebhookKey(
            str(uuid.uuid4()), pem, _coordinate(point.x), _coordinate(point.y), created_at
        )


def body_sha256(body: bytes) -> str:
    """The `request_body_sha256` claim of `body`."""
    return hashlib.sha256(body).hexdigest()


class WebhookSigner:
    """Signs webhook bodies with the store's current key."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._keys = WebhookKeyService(store, clock, ES256Keys())
        self._clock = clock
        # The last key used, parsed: (kid, private key). Rotations are rare.
        self._loaded: tuple[str, ec.EllipticCurvePrivateKey] | None = None

    async def sign(self, body: bytes) -> str:
        """The `Plaid-Verification` value for `body`, signed now with the current key (made
        first if the database has none). Raises StoreUnavailable if it cannot be read."""
        return self.sign_with(await self._keys.ensure_current_key(), body)

    def sign_with(self, key: WebhookKey, body: bytes) -> str:
        """The JWT for `body` signed with `key`, `iat` now."""
        import jwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        if self._loaded is None or self._loaded[0] != key.kid:
            private = serialization.load_pem_private_key(key.private_key.encode(), None)
            if not isinstance(private, ec.EllipticCurvePrivateKey):
                raise TypeError(f"webhook key {key.kid} is not an EC key")
            self._loaded = (key.kid, private)
        claims = {"iat": int(self._clock.now()), "request_body_sha256": body_sha256(body)}
        # PyJWT adds `typ: JWT` to the header itself.
        return jwt.encode(claims, self._loaded[1], algorithm=ALGORITHM, headers={"kid": key.kid})
