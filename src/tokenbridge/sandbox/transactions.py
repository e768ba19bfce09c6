"""The fake bank's transactions: a deterministic history for every depository and credit account.

Everything here is a pure function of the Item id, the account id, the Item's creation date,
the number of days of history and the dates of the refreshes so far, so every server over
one database (and every restart) computes the same transactions for the same Item without
storing them. Loan and investment accounts get none (Plaid serves investment transactions
from /investments/transactions/get; the sandbox loans have no activity).

A refresh (round r) changes each account the way Plaid's transaction updates do
(https://plaid.com/docs/transactions/transactions-data/#pending-and-posted-transactions):
the oldest pending transaction posts (the pending one is removed and a posted one with
`pending_transaction_id` pointing at it is added), a new pending transaction appears, and one
posted transaction gets a corrected amount and name.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from tokenbridge.domain.bank_records import NO_PLACE, BankTransaction, Merchant, Place
from tokenbridge.domain.ids import derived_id
from tokenbridge.domain.models import CreatedTransaction

if TYPE_CHECKING:
    from tokenbridge.sandbox.overrides import TransactionOverride

# Transactions this many days old or newer at the Item's creation are still pending.
PENDING_DAYS = 2

TRANSACTION_TYPES = ("depository", "credit")

SF = Place("1 Market St", "San Francisco", "CA", "94105", 37.7941, -122.3951, None)

NYC = Place("350 5th Ave", "New York", "NY", "10118", 40.7484, -73.9857, "1457")

MALAKOFF = Place("2992 Cameron Rd", "Malakoff", "NY", "14236", 40.7484, -73.9967, "204")

_CC = ("Payment", "Credit Card")


def _m(key: str, name: str, merchant_name: str | None, category: tuple[str, ...],
       category_id: str, primary: str, detailed: str, channel: str, code: str | None,
       kind: str, low: float, high: float, *, website: str | None = None,
       counterparty: str | None = "merchant", place: Place = NO_PLACE,
       confidence: str = "VERY_HIGH") -> Merchant:  # fmt: skip
    return Merchant(key, name, merchant_name, category, category_id, primary,
                    f"{primary}_{detailed}", confidence, channel, code, kind, website,
                    counterparty if merchant_name else None, place, low, high)  # fmt: skip


# Everyday spending: picked at random, a few times a week.
SPENDING: tuple[Merchant, ...] = (
    _m("starbucks", "Starbucks", "Starbucks", ("Food and Drink", "Restaurants", "Coffee Shop"),
       "13005043", "FOOD_AND_DRINK", "COFFEE", "in store", "purchase", "place", 3.5, 9.0,
       website="starbucks.com", place=NYC),
    _m("mcdonalds", "McDonald's", "McDonald's", ("Food and Drink", "Restaurants", "Fast Food"),
       "13005032", "FOOD_AND_DRINK", "FAST_FOOD", "in store", "purchase", "place", 6.0, 18.0,
       website="mcdonalds.com", place=SF),
    _m("sparkfun", "SparkFun", "SparkFun", ("Food and Drink", "Restaurants"), "13005000",
       "FOOD_AND_DRINK", "RESTAURANT", "in store", "purchase", "place", 20.0, 90.0,
       confidence="HIGH", place=MALAKOFF),
    _m("wholefoods", "Whole Foods Market", "Whole Foods",
       ("Shops", "Supermarkets and Groceries"), "19047000", "FOOD_AND_DRINK", "GROCERIES",
       "in store", "purchase", "place", 25.0, 160.0, website="wholefoodsmarket.com",
       place=NYC),
    _m("uber", "Uber 063015 SF**POOL**", "Uber", ("Travel", "Taxi"), "22016000",
       "TRANSPORTATION", "TAXIS_AND_RIDE_SHARES", "online", "purchase", "special", 5.0, 40.0,
       website="uber.com"),
    _m("shell", "Shell Oil 5743", "Shell", ("Travel", "Gas Stations"), "22009000",
       "TRANSPORTATION", "GAS", "in store", "purchase", "place", 30.0, 75.0,
       website="shell.com", place=SF),
    _m("amazon", "AMZN Mktp US", "Amazon", ("Shops", "Digital Purchase"), "19019000",
       "GENERAL_MERCHANDISE", "ONLINE_MARKETPLACES", "online", "purchase", "digital",
       8.0, 120.0, website="amazon.com", counterparty="marketplace"),
    _m("target", "Target T-1375", "Target", ("Shops", "Department Stores"), "19012000",
       "GENERAL_MERCHANDISE", "SUPERSTORES", "in store", "purchase", "place", 10.0, 140.0,
       website="target.com", place=MALAKOFF),
    _m("united", "United Airlines", "United Airlines", ("Travel", "Airlines and Aviation Services"),
       "22001000", "TRAVEL", "FLIGHTS", "online", "purchase", "special", 120.0, 600.0,
       website="united.com"),
    _m("cvs", "CVS Pharmacy 2210", "CVS", ("Shops", "Pharmacies"), "19043000", "MEDICAL",
       "PHARMACIES_AND_SUPPLEMENTS", "in store", "purchase", "place", 6.0, 60.0,
       website="cvs.com", place=NYC),
)  # fmt: skip

PAYROLL = _m("gusto", "GUSTO PAY 123456", "Gusto", ("Transfer", "Payroll"), "21009000",
             "INCOME", "WAGES", "other", "transfer", "special", 2000.0, 2000.0,
             website="gusto.com", counterparty="income_source")  # fmt: skip

RENT = _m("rent", "Madison Property Rent", None, ("Payment", "Rent"), "16002000",
          "RENT_AND_UTILITIES", "RENT", "other", "bill payment", "special",
          1450.0, 1450.0)  # fmt: skip

ELECTRIC = _m("coned", "CON ED Electric Bill", "Con Edison", ("Service", "Utilities"),
              "18068000", "RENT_AND_UTILITIES", "GAS_AND_ELECTRICITY", "online",
              "bill payment", "special", 60.0, 110.0, website="coned.com")  # fmt: skip

GYM = _m("touchstone", "Touchstone Climbing", "Touchstone Climbing",
         ("Recreation", "Gyms and Fitness Centers"), "17018000", "PERSONAL_CARE",
         "GYMS_AND_FITNESS_CENTERS", "in store", "purchase", "place", 78.5, 78.5,
         website="touchstoneclimbing.com", place=SF)  # fmt: skip

NETFLIX = _m("netflix", "Netflix.com", "Netflix", ("Service", "Subscription"), "18061000",
             "ENTERTAINMENT", "TV_AND_MOVIES", "online", "purchase", "digital", 15.49, 15.49,
             website="netflix.com")  # fmt: skip

SPOTIFY = _m("spotify", "Spotify USA", "Spotify", ("Service", "Subscription"), "18061000",
             "ENTERTAINMENT", "MUSIC_AND_AUDIO", "online", "purchase", "digital", 10.99, 10.99,
             website="spotify.com")  # fmt: skip

CARD_PAYMENT = _m("cc_payment", "CREDIT CARD 3333 PAYMENT *//", None, _CC, "16001000",
                  "LOAN_PAYMENTS", "CREDIT_CARD_PAYMENT", "other", "payment", "special",
                  150.0, 600.0)  # fmt: skip

CARD_PAYMENT_OUT = replace(CARD_PAYMENT, key="cc_payment_out", name="Credit Card Payment",
                           category=("Transfer", "Debit"), category_id="21006000")  # fmt: skip

INTEREST = _m("interest", "INTRST PYMNT", None, ("Interest", "Interest Earned"), "15001000",
              "INCOME", "INTEREST_EARNED", "other", "interest", "special", 0.5, 12.0)  # fmt: skip

DEPOSIT = _m("deposit", "Online Transfer Deposit", None, ("Transfer", "Deposit"), "21007000",
             "TRANSFER_IN", "DEPOSIT", "other", "transfer", "special", 100.0, 1000.0)  # fmt: skip

TRANSFER_OUT = _m("transfer_out", "Automatic Savings Transfer", None, ("Transfer", "Debit"),
                  "21006000", "TRANSFER_OUT", "ACCOUNT_TRANSFER", "other", "transfer",
                  "special", 25.0, 200.0)  # fmt: skip

ATM = _m("atm", "ATM Withdrawal 4352", None, ("Transfer", "Withdrawal", "ATM"), "21012002",
         "TRANSFER_OUT", "WITHDRAWAL", "in store", "atm", "place", 20.0, 200.0,
         place=MALAKOFF)  # fmt: skip

CHECK = _m("check", "Check Paid", None, ("Transfer", "Debit"), "21006000", "TRANSFER_OUT",
           "ACCOUNT_TRANSFER", "other", "cheque", "special", 40.0, 400.0)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Recurring:
    merchant: Merchant
    every_days: int  # 0: monthly on `day` of the month
    day: int  # day of month (monthly) or offset in days from the first date (periodic)
    sign: int  # +1 money out, -1 money in


def _plan(type_: str, subtype: str | None) -> tuple[tuple[Recurring, ...], float]:
    """The recurring streams of an account and how many spending entries a day it gets."""
    if type_ == "credit":
        return (
            Recurring(NETFLIX, 0, 7, 1),
            Recurring(SPOTIFY, 0, 19, 1),
            Recurring(CARD_PAYMENT, 0, 25, -1),
        ), 1.2
    if subtype == "checking":
        return (
            Recurring(PAYROLL, 14, 3, -1),
            Recurring(RENT, 0, 1, 1),
            Recurring(ELECTRIC, 0, 12, 1),
            Recurring(GYM, 0, 15, 1),
            Recurring(CARD_PAYMENT_OUT, 0, 26, 1),
        ), 0.9
    # Savings, CD, money market, HSA, cash management: interest and the odd transfer.
    return (Recurring(INTEREST, 0, 28, -1),), 0.05


def _derived_id(*parts: str) -> str:
    return derived_id(*parts, separator="\x1f")


def _rng(*parts: str) -> random.Random:
    # Sandbox data is deterministic on purpose; nothing secret comes from this generator.
    return random.Random("\x1f".join(parts))  # noqa: S311


def _amount(rng: random.Random, merchant: Merchant) -> float:
    if merchant.low == merchant.high:
        return merchant.low
    return round(rng.uniform(merchant.low, merchant.high), 2)


def history(
    item_id: str, account_id: str, type_: str, subtype: str | None, created: date, days: int,
    seed: str | None = None,
) -> tuple[BankTransaction, ...]:  # fmt: skip
    """The account's transactions as linked: `days` days back from `created` (inclusive).

    With `seed` (a user_custom seed), the amounts and merchants come from it instead of the
    ids: Items with one seed see the same history, dated relative to their creation.
    """
    if type_ not in TRANSACTION_TYPES:
        return ()
    return _history(item_id, account_id, type_, subtype, created, days, seed)


@lru_cache(maxsize=512)
def _history(
    item_id: str, account_id: str, type_: str, subtype: str | None, created: date, days: int,
    seed: str | None = None,
) -> tuple[BankTransaction, ...]:  # fmt: skip
    rng = (
        _rng("history", "seed", seed) if seed is not None else _rng("history", item_id, account_id)
    )
    first = created - timedelta(days=days)
    streams, per_day = _plan(type_, subtype)
    found: list[tuple[date, Merchant, float]] = []
    for stream in streams:
        for day in _stream_dates(stream, first, created):
            found.append((day, stream.merchant, stream.sign * _amount(rng, stream.merchant)))
    # Savings-like accounts see only the odd transfer in or out.
    quiet = (DEPOSIT, TRANSFER_OUT)
    day = first
    while day <= created:
        count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
        for _ in range(count):
            merchant = rng.choice(SPENDING if per_day >= 0.5 else quiet)
            sign = -1 if merchant is DEPOSIT else 1
            found.append((day, merchant, sign * _amount(rng, merchant)))
        day += timedelta(days=1)
    if type_ == "depository" and subtype == "checking":
        # A paper check now and then, so that check_number shows up.
        for when in sorted(rng.sample(range(days + 1), min(3, days + 1))):
            found.append((first + timedelta(days=when), CHECK, _amount(rng, CHECK)))
    found.sort(key=lambda f: (f[0], f[1].key, f[2]))
    out: list[BankTransaction] = []
    pending_from = created - timedelta(days=PENDING_DAYS)
    for seq, (day, merchant, amount) in enumerate(found):
        pending = day > pending_from and merchant.payment_channel != "other"
        lag = 0 if pending else rng.choice((0, 1, 1, 2))
        out.append(
            BankTransaction(
                transaction_id=_derived_id("txn", item_id, account_id, str(seq)),
                account_id=account_id,
                merchant=merchant,
                name=merchant.name,
                amount=amount,
                date=day,
                authorized_date=day - timedelta(days=lag),
                pending=pending,
                check_number=str(1000 + seq) if merchant is CHECK else None,
            )
        )
    everyday = type_ == "credit" or subtype == "checking"
    if out and everyday and not any(t.pending for t in out):
        # The everyday accounts always have a pending transaction for a refresh to post.
        last = len(out) - 1
        out[last] = replace(out[last], pending=True, authorized_date=out[last].date)
    return tuple(out)


def _stream_dates(stream: Recurring, first: date, last: date) -> list[date]:
    if stream.every_days:
        start = first + timedelta(days=stream.day)
        return [
            start + timedelta(days=n) for n in range(0, (last - start).days + 1, stream.every_days)
        ]
    out: list[date] = []
    year, month = first.year, first.month
    while True:
        day = date(year, month, min(stream.day, 28))
        if day > last:
            return out
        if day >= first:
            out.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def state(
    item_id: str,
    account_id: str,
    type_: str,
    subtype: str | None,
    created: date,
    days: int,
    refreshes: Sequence[date],
    *,
    seed: str | None = None,
) -> dict[str, BankTransaction]:
    """The account's transactions after the refreshes so far (by transaction_id).

    `refreshes[r]` is the date of refresh round r + 1; its changes are dated that day.
    """
    rounds = tuple(refreshes)
    # Each round is worked out from the one before, which is cached: warming the cache
    # from the oldest rounds up keeps a long history (a clock moved a year on makes a
    # round a day) from recursing deeper than _WARM_STEP.
    for n in range(_WARM_STEP, len(rounds), _WARM_STEP):
        _state(item_id, account_id, type_, subtype, created, days, rounds[:n], seed)
    return dict(_state(item_id, account_id, type_, subtype, created, days, rounds, seed))


_WARM_STEP = 64


@lru_cache(maxsize=512)
def _state(
    item_id: str,
    account_id: str,
    type_: str,
    subtype: str | None,
    created: date,
    days: int,
    refreshes: tuple[date, ...],
    seed: str | None = None,
) -> tuple[tuple[str, BankTransaction], ...]:
    base = history(item_id, account_id, type_, subtype, created, days, seed)
    current = {t.transaction_id: t for t in base}
    if not current:
        return ()
    if refreshes:
        previous = dict(
            _state(item_id, account_id, type_, subtype, created, days, refreshes[:-1], seed)
        )
        current = _refresh(previous, item_id, account_id, len(refreshes), refreshes[-1])
    return tuple(current.items())


def _refresh(
    before: dict[str, BankTransaction],
    item_id: str,
    account_id: str,
    round_: int,
    day: date,
) -> dict[str, BankTransaction]:
    rng = _rng("refresh", item_id, account_id, str(round_))
    after = dict(before)
    r = str(round_)
    # 1. The oldest pending transaction posts: Plaid removes the pending transaction and
    #    adds a posted one whose pending_transaction_id names it.
    pending = sorted(
        (t for t in before.values() if t.pending), key=lambda t: (t.date, t.transaction_id)
    )
    if pending:
        old = pending[0]
        del after[old.transaction_id]
        posted = replace(
            old,
            transaction_id=_derived_id("posted", item_id, account_id, r),
            pending=False,
            pending_transaction_id=old.transaction_id,
            authorized_date=old.date,
            date=max(day, old.date),
        )
        after[posted.transaction_id] = posted
    # 2. A new pending transaction.
    merchant = rng.choice(SPENDING)
    new = BankTransaction(
        transaction_id=_derived_id("new", item_id, account_id, r),
        account_id=account_id,
        merchant=merchant,
        name=merchant.name,
        amount=_amount(rng, merchant),
        date=day,
        authorized_date=day,
        pending=True,
    )
    after[new.transaction_id] = new
    # 3. A correction to one posted transaction (amount and descriptor), as when a bank
    #    settles a tip or renames a merchant.
    posted_ids = sorted(
        t.transaction_id for t in before.values() if not t.pending and t.merchant in SPENDING
    )
    if posted_ids:
        target = after[rng.choice(posted_ids)]
        after[target.transaction_id] = replace(
            target,
            amount=round(target.amount + rng.choice((1.0, 2.5, -0.5)), 2),
            name=f"{target.merchant.name} (adjusted)",
        )
    return after


# A configured transaction names no merchant: it shows its description, uncategorized.
CONFIGURED = _m("configured", "", None, ("Transfer",), "21000000", "GENERAL_MERCHANDISE",
                "OTHER_GENERAL_MERCHANDISE", "other", None, "special", 0.0, 0.0,
                confidence="LOW")  # fmt: skip


@lru_cache(maxsize=1024)
def _described(description: str) -> Merchant:
    """The merchant of configured transactions with this description: one per description,
    so that recurring streams group them by what they say."""
    return replace(CONFIGURED, key="configured:" + description, name=description)


def configured(
    item_id: str,
    account_id: str,
    overrides: Sequence[TransactionOverride],
    currency: str | None,
    created: date,
    refreshes: Sequence[date],
) -> dict[str, BankTransaction]:
    """The transactions a user_custom configuration gives an account, by transaction_id.

    A transaction whose `date_posted` is after the day the data is as of (the last refresh,
    or the Item's creation) is pending, dated `date_transacted`; once that day is reached it
    posts, as Plaid posts one: the pending transaction is replaced by a posted one whose
    `pending_transaction_id` names it (https://plaid.com/docs/sandbox/user-custom/).
    """
    as_of = refreshes[-1] if refreshes else created
    out: dict[str, BankTransaction] = {}
    for seq, t in enumerate(overrides):
        transacted, posted = (
            date.fromisoformat(t.date_transacted),
            date.fromisoformat(t.date_posted),
        )
        pending_id = _derived_id("configured", item_id, account_id, str(seq))
        was_pending = posted > created
        if posted > as_of:
            tid, pending, day, pending_of = pending_id, True, transacted, None
        else:
            tid = (
                _derived_id("configured-posted", item_id, account_id, str(seq))
                if was_pending
                else pending_id
            )
            pending, day, pending_of = False, posted, (pending_id if was_pending else None)
        out[tid] = BankTransaction(
            transaction_id=tid,
            account_id=account_id,
            merchant=_described(t.description),
            name=t.description,
            amount=round(t.amount, 2),
            date=day,
            authorized_date=transacted,
            pending=pending,
            pending_transaction_id=pending_of,
            iso_currency_code=t.currency or currency or "USD",
        )
    return out


def created(item_id: str, added: Sequence[CreatedTransaction]) -> dict[str, BankTransaction]:
    """The transactions /sandbox/transactions/create added, by transaction_id: posted on
    their `date_posted` (never after the day they were added, so never pending)."""
    out: dict[str, BankTransaction] = {}
    for c in added:
        tid = _derived_id("created", item_id, str(c.generation), str(c.seq))
        out[tid] = BankTransaction(
            transaction_id=tid,
            account_id=c.account_id,
            merchant=_described(c.description),
            name=c.description,
            amount=round(c.amount, 2),
            date=c.date_posted,
            authorized_date=c.date_transacted,
            pending=False,
            iso_currency_code=c.iso_currency_code,
        )
    return out
