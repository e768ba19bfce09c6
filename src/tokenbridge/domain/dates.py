"""Dates and times on the wire: Plaid writes UTC timestamps and YYYY-MM-DD dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tokenbridge.domain import errors


def utc_date(timestamp: float) -> date:
    """The UTC calendar day of a Unix timestamp (an Item's creation day, a refresh's day)."""
    return datetime.fromtimestamp(timestamp, UTC).date()


def iso_datetime(timestamp: float) -> str:
    """An ISO 8601 UTC timestamp as Plaid writes one: `2026-12-01T20:44:18Z`."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: str, field: str) -> date:
    """A YYYY-MM-DD date; INVALID_FIELD for anything else."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise errors.InvalidField(f"{field} must be a valid date in YYYY-MM-DD format") from None


def check_range(start: date, end: date) -> None:
    """INVALID_FIELD unless `start` is on or before `end` (every date-ranged read)."""
    if start > end:
        raise errors.InvalidField("start_date must be on or before end_date")
