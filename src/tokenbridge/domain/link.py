"""What linking a sandbox Item asks for: the test user's login and the days of history.

These are the options of /sandbox/public_token/create and /sandbox/processor_token/create
(SandboxPublicTokenCreateRequestOptions), checked here before anything is linked.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenbridge.domain import errors
from tokenbridge.domain.dates import parse_date, utc_date

# The credentials a sandbox Item is linked with when the request names none (Plaid's
# SandboxOverrideUsername / SandboxOverridePassword defaults).
DEFAULT_USERNAME = "user_good"
DEFAULT_PASSWORD = "pass_good"

# https://plaid.com/docs/api/products/transactions/ (days_requested: 1..730, default 90).
DEFAULT_DAYS = 90
MAX_DAYS = 730


def check_days(days: int | None) -> int:
    """The days of history an Item gets for a `days_requested`; INVALID_FIELD if out of range."""
    if days is None:
        return DEFAULT_DAYS
    if not 1 <= days <= MAX_DAYS:
        raise errors.InvalidField(f"days_requested must be between 1 and {MAX_DAYS}")
    # Fewer days than the default still get 90: every sandbox Item keeps data worth
    # testing against (a documented difference).
    return max(days, DEFAULT_DAYS)


@dataclass(frozen=True, slots=True)
class LinkOptions:
    """/sandbox/public_token/create's `options.transactions`: how much history the new
    Item starts with (SandboxPublicTokenCreateRequestOptionsTransactions)."""

    days_requested: int | None = None
    start_date: str | None = None
    end_date: str | None = None

    def days(self, created: float) -> int | None:
        """The days of history for an Item created at `created`; None when the options
        name none. INVALID_FIELD for a bad value.

        A `start_date` asks for history back to that day, so it counts as the days from it
        to the Item's creation; the sandbox's history always ends on that day, so
        `end_date` is checked and otherwise ignored (a documented difference).
        """
        days = None if self.days_requested is None else check_days(self.days_requested)
        today = utc_date(created)
        if self.end_date is not None:
            parse_date(self.end_date, "options.transactions.end_date")
        if self.start_date is not None:
            start = parse_date(self.start_date, "options.transactions.start_date")
            if start > today:
                raise errors.InvalidField(
                    "options.transactions.start_date must not be in the future"
                )
            # Further back than the sandbox keeps history gets all of it, as Plaid gives
            # what the institution has.
            span = check_days(min(max((today - start).days, 1), MAX_DAYS))
            days = max(days or 0, span)
        return days
