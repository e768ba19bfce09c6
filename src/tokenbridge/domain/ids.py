"""Ids and tokens in Plaid's shapes, made from the one `RandomSource` or derived from parts.

Every id, token and secret the service hands out is made here, so their shapes are written
once: the request path (`Ids`), the bulk seeder (`bulk_ids`, `bulk_tokens`) and the sandbox's
derived ids (`derived_id`) all use these functions.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from tokenbridge.domain.randomness import RandomSource

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# An id of Plaid's shape: 37 base62 characters, like "M5eVJqLnv3tbzdngLDp9FL5OlDNxlNhlE55op".
ID_LENGTH = 37
# Stripe shows 20 characters after "btok_"; 24 keep us above 128 bits of entropy.
BTOK_LENGTH = 24
CLIENT_ID_LENGTH = 24
SECRET_LENGTH = 30
# Plaid's request ids are 15 base62 characters, like "m8MDnv9okwxFNBV".
REQUEST_ID_LENGTH = 15

# base64 with its two non-alphanumeric characters mapped into base62's alphabet: ids of
# Plaid's shape at a fraction of the cost of exact base62, for loading millions of rows.
# Ids are not secrets, so the slight bias this leaves does not matter.
_TO_BASE62 = bytes.maketrans(b"+/", b"xY")


def token_text(kind: str, environment: str, random_uuid: str) -> str:
    """A token as Plaid writes it: `access-sandbox-<uuid4>`, `processor-sandbox-...`."""
    return f"{kind}-{environment}-{random_uuid}"


class Ids:
    """The ids and tokens of one app, drawn from its `RandomSource`."""

    def __init__(self, random: RandomSource, environment: str = "sandbox") -> None:
        self.random = random
        self.environment = environment

    def new_id(self) -> str:
        """An Item, account or other record id."""
        return self.random.base62(ID_LENGTH)

    def request_id(self) -> str:
        return self.random.base62_text(REQUEST_ID_LENGTH)

    def token(self, kind: str) -> str:
        """A `public`, `access` or `processor` token of this environment."""
        return token_text(kind, self.environment, self.random.uuid4())

    def bank_account_token(self) -> str:
        """A Stripe bank account token, `btok_...`."""
        return "btok_" + self.random.base62(BTOK_LENGTH)

    def client_id(self) -> str:
        return self.random.base62(CLIENT_ID_LENGTH).lower()

    def secret(self) -> str:
        return self.random.base62(SECRET_LENGTH)


def bulk_ids(random: RandomSource, count: int) -> list[str]:
    """`count` ids of Plaid's shape (37 characters) from 30 random bytes each."""
    text = base64.b64encode(random.token_bytes(30 * count)).translate(_TO_BASE62).decode("ascii")
    return [text[i * 40 : i * 40 + ID_LENGTH] for i in range(count)]


def bulk_tokens(random: RandomSource, kind: str, environment: str, count: int) -> list[str]:
    """`count` tokens as `Ids.token` makes them, drawn in one read."""
    raw = random.token_bytes(16 * count)
    return [
        token_text(kind, environment, str(uuid.UUID(bytes=raw[i * 16 : i * 16 + 16], version=4)))
        for i in range(count)
    ]


def derived_id(*parts: str, length: int = ID_LENGTH, separator: str = ":") -> str:
    """A base62 id of Plaid's shape derived from `parts`: the same parts, the same id."""
    number = int.from_bytes(hashlib.sha256(separator.join(parts).encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)
