"""Auth: account and routing numbers (ACH, EFT, BACS, international) for sandbox accounts."""

from __future__ import annotations

import random
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from tokenbridge.domain.bank_records import (
    AccountNumbers,
    NumbersACH,
    NumbersBACS,
    NumbersEFT,
    NumbersInternational,
)
from tokenbridge.domain.institutions import aba_sum
from tokenbridge.domain.models import Account, Item
from tokenbridge.sandbox.derive import digits, rng_for

if TYPE_CHECKING:
    from tokenbridge.sandbox.overrides import Numbers


def aba_check_digit(first_eight: str) -> str:
    """The ninth digit that makes an ABA routing number pass its checksum."""
    return str(-aba_sum(first_eight + "0") % 10)


def routing_number(rng: random.Random) -> str:
    # The first two digits of a real routing number are a Federal Reserve district (01-12).
    first = f"{rng.randint(1, 12):02d}" + digits(rng, 6)
    return first + aba_check_digit(first)


def _iban(rng: random.Random, bank: str, sort_code: str, account: str) -> str:
    """A GB IBAN whose ISO 13616 check digits (mod 97) are right."""
    bban = bank + sort_code + account
    rearranged = bban + "GB00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    check = 98 - int(numeric) % 97
    return f"GB{check:02d}{bban}"


def numbers_for(
    item: Item, account: Account, country: str = "US", routing_numbers: tuple[str, ...] = ()
) -> AccountNumbers:
    """The account's numbers. The account number ends with the account's mask, as a
    bank's own does; the routing number passes the ABA checksum and, when the institution
    lists `routing_numbers`, is one of them (so /institutions/get finds the bank of every
    routing number Auth hands out)."""
    return _numbers(item.item_id, account.account_id, account.mask, country, routing_numbers)


# Kept for recently read accounts: drawing the digits one by one is most of the cost of
# /processor/auth/get, and the same account always gets the same numbers anyway. The key
# is what the numbers depend on, not the Item and Account: hashing those is slower still.
@lru_cache(maxsize=4096)
def _numbers(
    item_id: str, account_id: str, mask: str | None, country: str, routing_numbers: tuple[str, ...]
) -> AccountNumbers:
    rng = rng_for("numbers", item_id, account_id)
    mask = mask or digits(rng, 4)
    if country == "CA":
        return AccountNumbers(
            eft=NumbersEFT(account_id, digits(rng, 8) + mask, digits(rng, 3), digits(rng, 5))
        )
    if country == "GB":
        sort_code = digits(rng, 6)
        account_number = digits(rng, 4) + mask
        return AccountNumbers(
            bacs=NumbersBACS(account_id, account_number, sort_code),
            international=NumbersInternational(
                account_id, _iban(rng, "PLAI", sort_code, account_number), "PLAIGB2L"
            ),
        )
    routing = _of(routing_numbers, routing_number(rng))
    # Most banks wire through the same routing number; some through another one.
    wire = routing if rng.random() < 0.5 else _of(routing_numbers, routing_number(rng))
    return AccountNumbers(
        ach=NumbersACH(account_id, digits(rng, rng.randint(6, 10)) + mask, routing, wire)
    )


def _of(routing_numbers: tuple[str, ...], drawn: str) -> str:
    """`drawn`, or the institution's routing number it stands for when the institution
    lists some (the same draws as before, so the other digits stay as they were)."""
    return routing_numbers[int(drawn) % len(routing_numbers)] if routing_numbers else drawn


def configured_numbers(account: Account, n: Numbers, derived: AccountNumbers) -> AccountNumbers:
    """The numbers a user_custom configuration gives an account; what it leaves out comes
    from `derived` (the numbers of the institution's country).

    Each scheme the configuration names appears: ACH with `ach_routing`, EFT with
    `eft_institution` and `eft_branch`, international with the IBAN and BIC, BACS with
    `bacs_sort_code`. A configuration that names none keeps the derived schemes, with its
    `account` number in them.
    """
    number = n.account or n.international_iban
    named = (n.ach_routing, n.eft_institution, n.international_iban, n.bacs_sort_code)
    if all(v is None for v in named):
        if number is None and n.ach_wire_routing is None:
            return derived
        ach, eft, bacs = derived.ach, derived.eft, derived.bacs
        return replace(
            derived,
            ach=ach and replace(ach, account=number or ach.account,
                                wire_routing=n.ach_wire_routing or ach.wire_routing),
            eft=eft and replace(eft, account=number or eft.account),
            bacs=bacs and replace(bacs, account=number or bacs.account),
        )  # fmt: skip
    # The account number of a scheme the configuration names but whose number it leaves out.
    fallback = number or next(
        (x.account for x in (derived.ach, derived.eft, derived.bacs) if x is not None), ""
    )
    return AccountNumbers(
        ach=None if n.ach_routing is None else NumbersACH(
            account.account_id, fallback, n.ach_routing, n.ach_wire_routing or n.ach_routing
        ),
        eft=None if n.eft_institution is None or n.eft_branch is None else NumbersEFT(
            account.account_id, fallback, n.eft_institution, n.eft_branch
        ),
        international=None
        if n.international_iban is None or n.international_bic is None
        else NumbersInternational(account.account_id, n.international_iban, n.international_bic),
        bacs=None if n.bacs_sort_code is None else NumbersBACS(
            account.account_id, fallback, n.bacs_sort_code
        ),
    )  # fmt: skip
