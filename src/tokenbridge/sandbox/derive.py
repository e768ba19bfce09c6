"""Deterministic fixture data: generators and ids derived from an Item's own ids.

Sandbox data is computed, never stored: the same Item and account always get the same
numbers, owners, balances and transactions, on every server and after every restart.
"""

from __future__ import annotations

import random
from datetime import date

from tokenbridge.domain.dates import utc_date
from tokenbridge.domain.ids import derived_id
from tokenbridge.domain.models import Item


def rng_for(*parts: str) -> random.Random:
    """The generator for one Item (and account): the same ids give the same sequence."""
    # Sandbox data is fixture data, not a secret: a seeded PRNG is what makes it repeatable.
    return random.Random(":".join(parts))  # noqa: S311


def stable_id(*parts: str, length: int = 37) -> str:
    """A base62 id of Plaid's shape, derived from `parts` (the same parts, the same id)."""
    return derived_id(*parts, length=length)


def as_of(item: Item) -> date:
    """The day the Item's data counts back from: the day it was created."""
    return utc_date(item.created_at)


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))
