"""The sandbox data: deterministic per Item, and within Plaid's formats and ranges."""

from __future__ import annotations

import random

import pytest

from tokenbridge.domain.bank_records import LiabilitiesObject
from tokenbridge.domain.eligibility import auth_eligible, liability_eligible
from tokenbridge.domain.identity_match import IdentityMatchUser, match_identity
from tokenbridge.domain.models import Account, Balances, Item
from tokenbridge.sandbox import numbers
from tokenbridge.sandbox.bank import SandboxBank
from tokenbridge.sandbox.identity import owners_for
from tokenbridge.sandbox.investments import holdings_for, investment_transactions_for
from tokenbridge.sandbox.liabilities import liabilities_for
from tokenbridge.sandbox.signal import signal_scores
from tokenbridge.sandbox.users import DEFAULT_ACCOUNTS


def make_item(item_id: str = "item-1", created_at: float = 1_790_000_000.0) -> Item:
    return Item(item_id, "client", "ins_109508", ("auth",), created_at)


def make_accounts(item: Item) -> list[Account]:
    return [
        Account(f"{item.item_id}-acc-{i}", item.item_id, i, t.name, t.official_name, t.mask,
                t.type, t.subtype, t.balances, t.holder_category)
        for i, t in enumerate(DEFAULT_ACCOUNTS)
    ]  # fmt: skip


def by_name(accounts: list[Account], name: str) -> Account:
    return next(a for a in accounts if a.name == name)


def test_aba_check_digit_and_validation() -> None:
    # Plaid's documented sandbox routing numbers pass the checksum.
    for known in ("021000021", "011401533", "110000000"):
        assert numbers.aba_valid(known)
        assert numbers.aba_check_digit(known[:8]) == known[8]
    assert not numbers.aba_valid("021000022")
    assert not numbers.aba_valid("12345678")
    rng = random.Random(7)  # noqa: S311 - test data
    assert all(numbers.aba_valid(numbers.routing_number(rng)) for _ in range(500))


def test_numbers_are_deterministic_per_item_and_account() -> None:
    item = make_item()
    checking, saving = make_accounts(item)[:2]
    first = numbers.numbers_for(item, checking)
    # numbers_for is cached: the second answer must be computed afresh, not the cache's.
    numbers._numbers.cache_clear()
    assert first == numbers.numbers_for(item, checking)
    assert first != numbers.numbers_for(item, saving)
    assert first != numbers.numbers_for(make_item("item-2"), checking)
    assert first.ach is not None
    assert first.ach.account.endswith("0000")
    assert numbers.aba_valid(first.ach.routing)
    assert first.ach.wire_routing is not None and numbers.aba_valid(first.ach.wire_routing)


@pytest.mark.parametrize(
    ("subtype", "eligible"),
    [("checking", True), ("savings", True), ("cash management", True), ("cd", False),
     ("money market", False), ("hsa", False)],
)  # fmt: skip
def test_auth_eligibility(subtype: str, eligible: bool) -> None:
    account = Account("a", "i", 0, "x", None, "0000", "depository", subtype,
                      Balances(1, 1, None))  # fmt: skip
    assert auth_eligible(account) is eligible


def test_owners_are_stable_and_complete() -> None:
    item = make_item()
    owners = owners_for(item)
    assert owners == owners_for(item)
    (owner,) = owners
    assert owner.names and owner.emails and owner.phone_numbers and owner.addresses
    assert [a.primary for a in owner.addresses].count(True) == 1
    assert all(len(p.data) == 10 and p.data.isdigit() for p in owner.phone_numbers)
    # Some Item shows Plaid's documented owner.
    documented = [owners_for(make_item(f"item-{n}"))[0] for n in range(20)]
    alberta = [o for o in documented if o.names == ["Alberta Bobbeth Charleson"]]
    assert alberta
    home = alberta[0].addresses[0].data
    assert (home.street, home.city, home.region, home.postal_code) == (
        "2992 Cameron Road", "Malakoff", "NY", "14236",
    )  # fmt: skip


def test_liabilities_cover_credit_student_and_mortgage() -> None:
    item = make_item()
    accounts = make_accounts(item)
    found = liabilities_for(item, accounts)
    assert found.credit is not None and len(found.credit) == 2  # personal and business cards
    assert found.student is not None and len(found.student) == 1
    assert found.mortgage is not None and len(found.mortgage) == 1
    assert found == liabilities_for(item, accounts)
    assert liabilities_for(item, [by_name(accounts, "Plaid Checking")]) == (
        LiabilitiesObject(None, None, None)
    )
    for account in accounts:
        eligible = liability_eligible(account)
        assert eligible is (account.type in ("credit", "loan"))


def test_holdings_sum_to_the_current_balance() -> None:
    item = make_item()
    for name in ("Plaid IRA", "Plaid 401k"):
        account = by_name(make_accounts(item), name)
        holdings, securities = holdings_for(item, account)
        assert sum(h.institution_value for h in holdings) == pytest.approx(
            account.balances.current, abs=1e-6
        )
        assert {h.security_id for h in holdings} == {s.security_id for s in securities}
        assert all(h.quantity >= 0 for h in holdings)


def test_investment_transactions_signs_and_order() -> None:
    item = make_item()
    account = by_name(make_accounts(item), "Plaid 401k")
    found, securities = investment_transactions_for(item, account)
    assert found == investment_transactions_for(item, account)[0]
    assert [t.date for t in found] == sorted((t.date for t in found), reverse=True)
    for t in found:
        if t.type == "buy":
            assert t.amount > 0 and t.quantity > 0
        elif t.type == "sell":
            assert t.amount < 0 and t.quantity < 0
    named = {t.security_id for t in found} - {None}
    assert named == {s.security_id for s in securities}


def test_signal_scores_in_plaid_ranges() -> None:
    item = make_item()
    checking = by_name(make_accounts(item), "Plaid Checking")
    for n in range(200):
        amount = random.Random(n).uniform(0.01, 10_000)  # noqa: S311 - test data
        scores = signal_scores(item, checking, f"t-{n}", amount, returns=n % 4)
        assert 1 <= scores.customer_initiated_return_risk.score <= 99
        assert 1 <= scores.customer_initiated_return_risk.risk_tier <= 5
        assert 1 <= scores.bank_initiated_return_risk.score <= 99
        assert 1 <= scores.bank_initiated_return_risk.risk_tier <= 8
    low = signal_scores(item, checking, "t", 1.0)
    high = signal_scores(item, checking, "t", 1000.0)
    assert high.bank_initiated_return_risk.score > low.bank_initiated_return_risk.score


def test_identity_match_scores() -> None:
    (owner,) = owners_for(make_item())
    home = owner.addresses[0].data
    exact = match_identity(
        IdentityMatchUser(
            legal_name=owner.names[0].upper(), phone_number="+1 " + owner.phone_numbers[1].data,
            email_address=owner.emails[0].data, street=home.street, city=home.city,
            region=home.region, postal_code=home.postal_code,
        ),
        [owner],
    )  # fmt: skip
    assert exact.legal_name.score == 100
    assert exact.phone_number.score == 100
    assert exact.email_address.score == 100
    assert (exact.address.score, exact.address.is_postal_code_match) == (100, True)
    empty = match_identity(IdentityMatchUser(), [owner])
    assert (empty.legal_name.score, empty.phone_number.score) == (None, None)
    first_only = match_identity(IdentityMatchUser(legal_name=owner.names[0].split()[0]), [owner])
    assert first_only.legal_name.is_first_name_or_last_name_match is True
    assert first_only.legal_name.score is not None and first_only.legal_name.score < 100


def test_investments_numbers_by_country_and_subtype() -> None:
    bank = SandboxBank()
    item = make_item()
    ira = by_name(make_accounts(item), "Plaid IRA")
    us = bank.investments_numbers(item, ira)
    (acats,) = us.acats
    dtc = bank.institution("ins_109508")
    assert dtc is not None and acats.dtc_numbers == list(dtc.dtc_numbers)
    assert acats.account.endswith("5555") and (us.aton, us.retirement_401k) == ([], [])
    assert bank.investments_numbers(item, ira) == us
    canadian = Item("item-ca", "client", "ins_43", ("auth",), 1_790_000_000.0)
    ca = bank.investments_numbers(canadian, by_name(make_accounts(canadian), "Plaid 401k"))
    assert ca.acats == [] and ca.aton[0].account.endswith("6666")
    assert ca.retirement_401k[0].account == ca.aton[0].account
