"""Recurring transactions: streams found in an account's posted transactions
(/processor/transactions/recurring/get)."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tokenbridge.domain.bank_records import BankTransaction, Merchant
from tokenbridge.domain.ids import derived_id


@dataclass(frozen=True, slots=True)
class TransactionStream:
    """A recurring stream: one merchant at a regular interval, in one direction."""

    stream_id: str
    account_id: str
    merchant: Merchant
    description: str
    frequency: str
    transactions: list[BankTransaction]  # oldest first
    average_amount: float
    predicted_next_date: date
    is_active: bool
    inflow: bool


@dataclass(frozen=True, slots=True)
class RecurringStreams:
    inflow_streams: list[TransactionStream]
    outflow_streams: list[TransactionStream]
    updated_at: float


_FREQUENCIES = (
    ("WEEKLY", 7, 1),
    ("BIWEEKLY", 14, 2),
    ("SEMI_MONTHLY", 15, 2),
    ("MONTHLY", 30, 3),
    ("ANNUALLY", 365, 10),
)


MIN_OCCURRENCES = 3


def stream_id(account_id: str, merchant_key: str, inflow: bool) -> str:
    """The stable id of a recurring stream of one merchant in one direction."""
    return derived_id(
        "stream", account_id, merchant_key, "in" if inflow else "out", separator="\x1f"
    )


def recurring_streams(
    transactions: Sequence[BankTransaction], today: date
) -> list[TransactionStream]:
    """Streams found in posted transactions: one merchant, one direction, at least three
    times, at intervals that all fall within a few days of one of Plaid's frequencies."""
    groups: dict[tuple[str, str, bool], list[BankTransaction]] = {}
    for t in transactions:
        if not t.pending:
            groups.setdefault((t.account_id, t.merchant.key, t.amount < 0), []).append(t)
    streams = []
    for (account_id, key, inflow), group in sorted(groups.items()):
        group.sort(key=lambda t: (t.date, t.transaction_id))
        dates = sorted({t.date for t in group})
        if len(dates) < MIN_OCCURRENCES or len(dates) != len(group):
            continue
        gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
        frequency = _frequency(gaps)
        if frequency is None:
            continue
        name, period = frequency
        average = round(statistics.fmean(t.amount for t in group), 2)
        next_date = dates[-1] + timedelta(days=period)
        merchant = group[-1].merchant
        streams.append(
            TransactionStream(
                stream_id=stream_id(account_id, key, inflow),
                account_id=account_id,
                merchant=merchant,
                description=merchant.name,
                frequency=name,
                transactions=group,
                average_amount=average,
                predicted_next_date=next_date,
                # A stream is active while its next occurrence is not long overdue.
                is_active=(today - next_date).days <= period // 2,
                inflow=inflow,
            )
        )
    return streams


def _frequency(gaps: Sequence[int]) -> tuple[str, int] | None:
    for name, period, slack in _FREQUENCIES:
        if all(abs(g - period) <= slack for g in gaps):
            return name, period
    return None
