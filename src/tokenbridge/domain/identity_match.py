"""Identity Match: how well a partner's user data matches the account's owners.

https://plaid.com/docs/api/products/identity/#identitymatch. Plaid does not publish its
scoring; a string similarity of the normalised values stands in for it (see match_identity).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tokenbridge.domain.bank_records import Owner


@dataclass(frozen=True, slots=True)
class IdentityMatchUser:
    """The user data a partner compares with the account holder (all optional)."""

    legal_name: str | None = None
    phone_number: str | None = None
    email_address: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @property
    def has_address(self) -> bool:
        return any((self.street, self.city, self.region, self.postal_code))


@dataclass(frozen=True, slots=True)
class NameMatchScore:
    score: int | None
    is_first_name_or_last_name_match: bool | None
    is_nickname_match: bool | None
    is_business_name_detected: bool | None


@dataclass(frozen=True, slots=True)
class PhoneNumberMatchScore:
    score: int | None


@dataclass(frozen=True, slots=True)
class EmailAddressMatchScore:
    score: int | None


@dataclass(frozen=True, slots=True)
class AddressMatchScore:
    score: int | None
    is_postal_code_match: bool | None


@dataclass(frozen=True, slots=True)
class IdentityMatchScores:
    """Plaid's scores, 0-100; a field the partner did not send has a null score."""

    legal_name: NameMatchScore
    phone_number: PhoneNumberMatchScore
    email_address: EmailAddressMatchScore
    address: AddressMatchScore


def _similarity(a: str, b: str) -> int:
    return round(100 * difflib.SequenceMatcher(None, a, b).ratio())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def match_identity(user: IdentityMatchUser, owners: Sequence[Owner]) -> IdentityMatchScores:
    """Score the user's data against the best-matching value of any owner of the account.

    Plaid does not publish its scoring; these scores are a string similarity of the
    normalised values (100 for equal ones), which is enough to tell a match (Plaid
    suggests 70 or more) from a mismatch.
    """
    names = [n for o in owners for n in o.names]
    phones = [p.data for o in owners for p in o.phone_numbers]
    emails = [e.data for o in owners for e in o.emails]
    addresses = [a.data for o in owners for a in o.addresses]

    legal_name = NameMatchScore(None, None, None, None)
    if user.legal_name:
        given = _words(user.legal_name)
        best = max(names, key=lambda n: _similarity(" ".join(given), " ".join(_words(n))))
        have = _words(best)
        legal_name = NameMatchScore(
            score=_similarity(" ".join(given), " ".join(have)),
            is_first_name_or_last_name_match=bool(given and have)
            and (given[0] == have[0] or given[-1] == have[-1]),
            is_nickname_match=False,
            is_business_name_detected=False,
        )
    phone_number = PhoneNumberMatchScore(None)
    if user.phone_number:
        digits = re.sub(r"\D", "", user.phone_number)[-10:]
        phone_number = PhoneNumberMatchScore(
            max(_similarity(digits, re.sub(r"\D", "", p)[-10:]) for p in phones)
        )
    email_address = EmailAddressMatchScore(None)
    if user.email_address:
        wanted = user.email_address.strip().lower()
        email_address = EmailAddressMatchScore(max(_similarity(wanted, e.lower()) for e in emails))
    address = AddressMatchScore(None, None)
    if user.has_address:
        wanted_words = " ".join(_words(" ".join(filter(None, (user.street, user.city,
                                                              user.region)))))  # fmt: skip
        scored = [
            (_similarity(wanted_words, " ".join(_words(f"{a.street} {a.city} {a.region}"))), a)
            for a in addresses
        ]
        score, best_address = max(scored, key=lambda pair: pair[0])
        postal = (user.postal_code or "").strip()[:5]
        address = AddressMatchScore(
            score=score,
            is_postal_code_match=bool(postal) and (best_address.postal_code or "")[:5] == postal,
        )
    return IdentityMatchScores(legal_name, phone_number, email_address, address)
