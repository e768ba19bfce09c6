"""The sandbox transaction generator and the pure transactions rules (no I/O)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tokenbridge.domain import errors
from tokenbridge.domain.bank_records import BankTransaction
from tokenbridge.domain.cursor import Cursor, decode_cursor, encode_cursor
from tokenbridge.domain.dates import parse_date
from tokenbridge.domain.recurring import recurring_streams
from tokenbridge.sandbox import transactions as bank

CREATED = date(2026, 3, 15)


def checking(days: int = 90, refreshes: tuple[date, ...] = ()) -> dict[str, BankTransaction]:
    return bank.state("item-a", "acct-1", "depository", "checking", CREATED, days, refreshes)


def test_same_item_same_transactions() -> None:
    first = bank.history("item-a", "acct-1", "depository", "checking", CREATED, 90)
    bank._history.cache_clear()
    again = bank.history("item-a", "acct-1", "depository", "checking", CREATED, 90)
    assert first == again and len(first) > 50
    other = bank.history("item-b", "acct-1", "depository", "checking", CREATED, 90)
    assert [t.amount for t in other] != [t.amount for t in first]
    assert not {t.transaction_id for t in other} & {t.transaction_id for t in first}


@pytest.mark.parametrize("days", [90, 365, 730])
def test_history_spans_the_days_requested(days: int) -> None:
    found = bank.history("item-a", "acct-2", "credit", "credit card", CREATED, days)
    dates = sorted(t.date for t in found)
    assert dates[0] <= CREATED - timedelta(days=days - 3)
    assert dates[-1] == CREATED
    assert all(CREATED - timedelta(days=days) <= d <= CREATED for d in dates)


@pytest.mark.parametrize(("type_", "subtype"), [("loan", "student"), ("investment", "ira")])
def test_no_transactions_for_loans_and_investments(type_: str, subtype: str) -> None:
    assert bank.history("item-a", "acct-9", type_, subtype, CREATED, 90) == ()


def test_pending_only_in_the_last_days() -> None:
    found = checking()
    pending = [t for t in found.values() if t.pending]
    assert pending
    assert all(t.date >= CREATED - timedelta(days=bank.PENDING_DAYS) for t in pending)
    assert all(t.pending_transaction_id is None for t in found.values())


def test_refresh_posts_adds_and_modifies() -> None:
    before = checking()
    after = checking(refreshes=(CREATED + timedelta(days=1),))
    removed = before.keys() - after.keys()
    added = after.keys() - before.keys()
    modified = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    assert len(removed) == 1 and len(added) == 2 and len(modified) == 1
    (gone,) = removed
    assert before[gone].pending
    posted = next(after[k] for k in added if after[k].pending_transaction_id)
    assert posted.pending_transaction_id == gone and not posted.pending
    new = next(after[k] for k in added if not after[k].pending_transaction_id)
    assert new.pending and new.date == CREATED + timedelta(days=1)
    (changed,) = modified
    assert after[changed].amount != before[changed].amount
    assert after[changed].name != before[changed].name


def test_refreshes_accumulate_deterministically() -> None:
    days = (CREATED + timedelta(days=1), CREATED + timedelta(days=3))
    twice = checking(refreshes=days)
    bank._state.cache_clear()
    assert checking(refreshes=days) == twice
    assert len(twice) == len(checking()) + 2  # each round adds one net transaction


def test_recurring_streams_found() -> None:
    streams = recurring_streams(list(checking().values()), CREATED)
    by_name = {s.description: s for s in streams}
    assert by_name["GUSTO PAY 123456"].frequency == "BIWEEKLY"
    assert by_name["GUSTO PAY 123456"].inflow
    assert by_name["Madison Property Rent"].frequency == "MONTHLY"
    assert not by_name["Madison Property Rent"].inflow
    assert all(s.merchant not in bank.SPENDING for s in streams)
    assert all(s.is_active for s in streams)
    later = recurring_streams(list(checking().values()), CREATED + timedelta(days=120))
    assert not any(s.is_active for s in later)


def test_cursor_round_trip_and_scope() -> None:
    cursor = Cursor("account:acct-1", 2, 3, 40)
    value = encode_cursor(cursor)
    assert decode_cursor(value, "account:acct-1", 3) == cursor
    assert decode_cursor("", "account:acct-1", 3) == Cursor("account:acct-1", -1, -1, 0)
    for scope, generation in (("account:acct-2", 3), ("item:acct-1", 3), ("account:acct-1", 2)):
        with pytest.raises(errors.InvalidField):
            decode_cursor(value, scope, generation)
    for bad in ("%%%", "djE", encode_cursor(Cursor("account:acct-1", 3, 2, 0))):
        with pytest.raises(errors.InvalidField):
            decode_cursor(bad, "account:acct-1", 3)


@pytest.mark.parametrize("value", ["2024-02-30", "2024-2-3", "20240203", "", "2024-02-03T00"])
def test_parse_date_refuses(value: str) -> None:
    with pytest.raises(errors.InvalidField) as info:
        parse_date(value, "start_date")
    assert "start_date" in info.value.error_message


def test_parse_date_accepts() -> None:
    assert parse_date("2024-02-29", "end_date") == date(2024, 2, 29)


def test_a_history_of_years_of_daily_updates_is_worked_out_without_deep_recursion() -> None:
    # A clock advanced day by day for three years makes a round a day; a cold cache must
    # not recurse once per round.
    rounds = tuple(CREATED + timedelta(days=n) for n in range(1, 3 * 366))
    bank._state.cache_clear()
    after = checking(refreshes=rounds)
    assert sum(1 for t in after.values() if t.date == rounds[-1] and t.pending) == 1
    assert checking(refreshes=rounds) == after
