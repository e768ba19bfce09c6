"""Transactions rules: date ranges, paging, sync cursors, refreshes and recurring streams.

Both sides read the same transactions: the developer through an access token (every
account of the Item, or `account_ids`), a partner through a processor token (its one
account). The transactions come from `tokenbridge.sandbox.transactions`, a pure function of
the Item and its refresh history; the store keeps only that history (`TransactionsState`).

A sync cursor names the scope it was issued for (the Item, or one account), the refresh
generation the client has fully seen, and, while an update is being paged, the generation
being paged to and the offset reached. The changes between two generations are the same
on every server and after every restart, so a cursor stays valid anywhere.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tokenbridge.domain import errors
from tokenbridge.domain.models import Account, Client, Item
from tokenbridge.sandbox import transactions as bank

if TYPE_CHECKING:
    from tokenbridge.domain.service import TokenService

# https://plaid.com/docs/api/products/transactions/: count 1..500 (default 100), offset >= 0.
DEFAULT_COUNT = 100
MAX_COUNT = 500
CURSOR_VERSION = "v1"
# A webhook delivery: (url, payload). The app's sender posts it after the response.
Notify = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class TransactionsState:
    """What the store keeps per Item once Transactions is initialized."""

    item_id: str
    days_requested: int
    generation: int  # the number of refreshes so far
    refreshed_at: tuple[float, ...]  # when each refresh happened, oldest first
    sync_users: frozenset[str]  # "" = the Item's developer, else processor token hashes


@dataclass(frozen=True, slots=True)
class TransactionsPage:
    """A /transactions/get answer: one page, newest first, and the total in range."""

    item: Item
    accounts: list[Account]
    transactions: list[bank.SandboxTransaction]
    total_transactions: int


@dataclass(frozen=True, slots=True)
class RemovedTransaction:
    transaction_id: str
    account_id: str


@dataclass(frozen=True, slots=True)
class SyncPage:
    item: Item
    accounts: list[Account]
    added: list[bank.SandboxTransaction]
    modified: list[bank.SandboxTransaction]
    removed: list[RemovedTransaction]
    next_cursor: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class TransactionStream:
    """A recurring stream: one merchant at a regular interval, in one direction."""

    stream_id: str
    account_id: str
    merchant: bank.Merchant
    description: str
    frequency: str
    transactions: list[bank.SandboxTransaction]  # oldest first
    average_amount: float
    predicted_next_date: date
    is_active: bool
    inflow: bool


@dataclass(frozen=True, slots=True)
class RecurringStreams:
    inflow_streams: list[TransactionStream]
    outflow_streams: list[TransactionStream]
    updated_at: float


@dataclass(frozen=True, slots=True)
class _Cursor:
    scope: str  # "item:<item_id>" or "account:<account_id>"
    seen: int  # generation fully delivered; -1 for nothing yet
    target: int  # generation being paged to (== seen when not paging)
    offset: int  # changes of (seen -> target) already delivered


def parse_date(value: str, field: str) -> date:
    """A YYYY-MM-DD date; INVALID_FIELD for anything else."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise errors.InvalidField(f"{field} must be a valid date in YYYY-MM-DD format") from None


def _check_count(count: int, field: str) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise errors.InvalidField(f"{field} must be an integer between 1 and {MAX_COUNT}")


def _check_days(days: int | None) -> int:
    if days is None:
        return bank.DEFAULT_DAYS
    if not 1 <= days <= bank.MAX_DAYS:
        raise errors.InvalidField(f"days_requested must be between 1 and {bank.MAX_DAYS}")
    # Fewer days than the default still get 90: every sandbox Item keeps data worth
    # testing against (a documented difference).
    return max(days, bank.DEFAULT_DAYS)


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
        days = None if self.days_requested is None else _check_days(self.days_requested)
        today = bank.creation_date(created)
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
            span = _check_days(min(max((today - start).days, 1), bank.MAX_DAYS))
            days = max(days or 0, span)
        return days


def _get_range(start_date: str, end_date: str, count: int, offset: int) -> tuple[date, date]:
    """A /transactions/get request's dates, checked with its count and offset.

    Checked before the Item's transactions state is read, because reading it the first
    time initializes Transactions: a refused request must not fix the days of history.
    """
    start, end = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    if start > end:
        raise errors.InvalidField("start_date must be on or before end_date")
    _check_count(count, "options.count")
    if offset < 0:
        raise errors.InvalidField("options.offset must be a non-negative integer")
    return start, end


def encode_cursor(cursor: _Cursor) -> str:
    raw = f"{CURSOR_VERSION}|{cursor.scope}|{cursor.seen}|{cursor.target}|{cursor.offset}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str | None, scope: str, generation: int) -> _Cursor:
    """The cursor as issued for `scope`; INVALID_FIELD if malformed, forged or foreign."""
    if not value:
        return _Cursor(scope, -1, -1, 0)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        version, cursor_scope, seen, target, offset = raw.split("|")
        cursor = _Cursor(cursor_scope, int(seen), int(target), int(offset))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise errors.InvalidField("cursor is not a valid cursor") from None
    # A cursor of another Item or account (or a made-up generation) is refused outright,
    # so that no cursor can be turned into a view of someone else's transactions.
    if (
        version != CURSOR_VERSION
        or cursor.scope != scope
        or not -1 <= cursor.seen <= cursor.target <= generation
        or cursor.offset < 0
    ):
        raise errors.InvalidField("cursor is not a valid cursor for this access")
    return cursor


class TransactionsService:
    """The transactions operations, on top of the token rules of `TokenService`."""

    def __init__(self, tokens: TokenService, notify: Notify | None = None) -> None:
        self.tokens = tokens
        self.store = tokens.store
        self.notify = notify

    # State ----------------------------------------------------------------------------

    async def _state(self, item: Item, days_requested: int | None = None) -> TransactionsState:
        """The Item's transactions state, initializing Transactions on first use.

        Plaid initializes Transactions on an Item linked without it at the first call of
        /transactions/get or /sync; `days_requested` applies only then
        (https://plaid.com/docs/api/products/transactions/#transactions-get-request-options-days-requested).
        """
        state = await self.store.get_transactions_state(item.item_id)
        if state is None:
            state = await self.store.init_transactions(
                item.item_id, _check_days(days_requested), self.tokens.clock()
            )
        elif days_requested is not None:
            _check_days(days_requested)
        return state

    def _transactions(
        self, item: Item, account: Account, state: TransactionsState, generation: int
    ) -> dict[str, bank.SandboxTransaction]:
        if generation < 0:
            return {}
        days = [bank.creation_date(t) for t in state.refreshed_at[:generation]]
        return bank.state(
            item.item_id, account.account_id, account.type, account.subtype,
            bank.creation_date(item.created_at), state.days_requested, days,
        )  # fmt: skip

    # /transactions/get ----------------------------------------------------------------

    def _page(
        self,
        item: Item,
        accounts: Sequence[Account],
        state: TransactionsState,
        start: date,
        end: date,
        count: int,
        offset: int,
    ) -> tuple[list[bank.SandboxTransaction], int]:
        found = [
            t
            for account in accounts
            for t in self._transactions(item, account, state, state.generation).values()
            if start <= t.date <= end
        ]
        # Newest first, as Plaid orders /transactions/get; the id breaks ties so pages
        # never overlap.
        found.sort(key=lambda t: (t.date, t.transaction_id), reverse=True)
        return found[offset : offset + count], len(found)

    async def transactions_get(
        self,
        client: Client,
        access_token: str,
        start_date: str,
        end_date: str,
        account_ids: Sequence[str] | None = None,
        count: int = DEFAULT_COUNT,
        offset: int = 0,
        days_requested: int | None = None,
    ) -> TransactionsPage:
        """Transactions of the Item's accounts (or `account_ids`) dated in the range."""
        found = await self.tokens.accounts_get(
            client, access_token, account_ids, operation="transactions_get"
        )
        start, end = _get_range(start_date, end_date, count, offset)
        state = await self._state(found.item, days_requested)
        page, total = self._page(found.item, found.accounts, state, start, end, count, offset)
        return TransactionsPage(found.item, found.accounts, page, total)

    async def processor_transactions_get(
        self,
        client: Client,
        processor_token: str,
        start_date: str,
        end_date: str,
        count: int = DEFAULT_COUNT,
        offset: int = 0,
    ) -> TransactionsPage:
        """The token's account's transactions dated in the range (product `transactions`)."""
        grant = await self.tokens.processor_token_for_partner(
            client, processor_token, "transactions"
        )
        _check_account(grant.account)
        start, end = _get_range(start_date, end_date, count, offset)
        state = await self._state(grant.item)
        page, total = self._page(grant.item, [grant.account], state, start, end, count, offset)
        return TransactionsPage(grant.item, [grant.account], page, total)

    # /transactions/sync ---------------------------------------------------------------

    def _changes(
        self, item: Item, accounts: Sequence[Account], state: TransactionsState, seen: int,
        target: int,
    ) -> list[tuple[str, bank.SandboxTransaction]]:  # fmt: skip
        """Every change from generation `seen` to `target`, in a fixed order."""
        added: list[bank.SandboxTransaction] = []
        modified: list[bank.SandboxTransaction] = []
        removed: list[bank.SandboxTransaction] = []
        for account in accounts:
            before = self._transactions(item, account, state, seen)
            after = self._transactions(item, account, state, target)
            for tid, t in after.items():
                old = before.get(tid)
                if old is None:
                    added.append(t)
                elif old != t:
                    modified.append(t)
            removed.extend(t for tid, t in before.items() if tid not in after)
        order = lambda t: (t.date, t.transaction_id)  # noqa: E731
        return (
            [("added", t) for t in sorted(added, key=order)]
            + [("modified", t) for t in sorted(modified, key=order)]
            + [("removed", t) for t in sorted(removed, key=order)]
        )

    async def _sync(
        self,
        item: Item,
        accounts: Sequence[Account],
        scope: str,
        subject: str,
        cursor_value: str | None,
        count: int,
        days_requested: int | None,
    ) -> SyncPage:
        _check_count(count, "count")
        state = await self._state(item, days_requested)
        cursor = decode_cursor(cursor_value, scope, state.generation)
        if cursor.offset == 0:
            # Not in the middle of paging: deliver everything up to the latest refresh.
            cursor = _Cursor(scope, cursor.seen, state.generation, 0)
        changes = self._changes(item, accounts, state, cursor.seen, cursor.target)
        if cursor.offset > len(changes):
            raise errors.InvalidField("cursor is not a valid cursor for this access")
        page = changes[cursor.offset : cursor.offset + count]
        end = cursor.offset + len(page)
        has_more = end < len(changes)
        if has_more:
            next_cursor = _Cursor(scope, cursor.seen, cursor.target, end)
        else:
            next_cursor = _Cursor(scope, cursor.target, cursor.target, 0)
        if subject not in state.sync_users:
            await self.store.add_transactions_sync_user(item.item_id, subject, self.tokens.clock())
        return SyncPage(
            item=item,
            accounts=list(accounts),
            added=[t for kind, t in page if kind == "added"],
            modified=[t for kind, t in page if kind == "modified"],
            removed=[
                RemovedTransaction(t.transaction_id, t.account_id)
                for kind, t in page
                if kind == "removed"
            ],
            next_cursor=encode_cursor(next_cursor),
            has_more=has_more,
        )

    async def transactions_sync(
        self,
        client: Client,
        access_token: str,
        cursor: str | None = None,
        count: int = DEFAULT_COUNT,
        account_id: str | None = None,
        days_requested: int | None = None,
    ) -> SyncPage:
        """Changes to the Item's transactions since `cursor` (all of them for a fresh one).

        With `account_id` (TransactionsSyncRequestOptions) the cursor follows that account
        alone, and a cursor of the whole Item is not valid for it, nor the reverse.
        """
        found = await self.tokens.accounts_get(
            client,
            access_token,
            [account_id] if account_id is not None else None,
            operation="transactions_sync",
        )
        scope = f"account:{account_id}" if account_id else f"item:{found.item.item_id}"
        return await self._sync(
            found.item, found.accounts, scope, "", cursor, count, days_requested
        )

    async def processor_transactions_sync(
        self,
        client: Client,
        processor_token: str,
        cursor: str | None = None,
        count: int = DEFAULT_COUNT,
        account_id: str | None = None,
        days_requested: int | None = None,
    ) -> SyncPage:
        """Changes to the token's account's transactions since `cursor`."""
        grant = await self.tokens.processor_token_for_partner(
            client, processor_token, "transactions"
        )
        _check_account(grant.account)
        if account_id is not None and account_id != grant.account.account_id:
            raise errors.InvalidAccountId()
        scope = f"account:{grant.account.account_id}"
        return await self._sync(
            grant.item, [grant.account], scope, grant.token.token_hash, cursor, count,
            days_requested,
        )  # fmt: skip

    # /processor/transactions/refresh --------------------------------------------------

    async def processor_transactions_refresh(self, client: Client, processor_token: str) -> None:
        """A new round of changes on the Item, then webhooks to whoever listens.

        The refresh is of the whole Item, as Plaid's extraction is, so every account (and
        every processor token on it) sees its changes. Webhooks follow
        https://plaid.com/docs/api/processor-partners/#processortransactionsrefresh:
        SYNC_UPDATES_AVAILABLE to those who have called sync, DEFAULT_UPDATE to the others.
        """
        grant = await self.tokens.processor_token_for_partner(
            client, processor_token, "transactions_refresh"
        )
        _check_account(grant.account)
        item = grant.item
        before = await self._state(item)
        after = await self.store.refresh_transactions(item.item_id, self.tokens.clock())
        if self.notify is None:
            return
        accounts = await self.store.get_accounts(item.item_id)
        new_by_account: dict[str, int] = {}
        for account in accounts:
            changes = self._changes(item, [account], after, before.generation, after.generation)
            new_by_account[account.account_id] = sum(1 for k, _ in changes if k == "added")
        for token in await self.store.list_processor_tokens(item.item_id):
            if token.webhook and new_by_account.get(token.account_id):
                self.notify(token.webhook, _webhook(
                    token.token_hash in after.sync_users, "account_id", token.account_id,
                    new_by_account[token.account_id], self.tokens.environment,
                ))  # fmt: skip
        total = sum(new_by_account.values())
        if item.webhook and total:
            self.notify(item.webhook, _webhook(
                "" in after.sync_users, "item_id", item.item_id, total, self.tokens.environment
            ))  # fmt: skip

    # /processor/transactions/recurring/get --------------------------------------------

    async def processor_transactions_recurring_get(
        self, client: Client, processor_token: str
    ) -> RecurringStreams:
        """The recurring inflow and outflow streams of the token's account."""
        grant = await self.tokens.processor_token_for_partner(
            client, processor_token, "recurring_transactions"
        )
        _check_account(grant.account)
        state = await self._state(grant.item)
        current = self._transactions(grant.item, grant.account, state, state.generation)
        # The streams are as of the latest refresh, or of the Item's creation before any.
        updated = state.refreshed_at[-1] if state.refreshed_at else grant.item.created_at
        streams = recurring_streams(list(current.values()), bank.creation_date(updated))
        return RecurringStreams(
            [s for s in streams if s.inflow], [s for s in streams if not s.inflow], updated
        )


def _check_account(account: Account) -> None:
    # https://plaid.com/docs/api/processor-partners/#processortransactionssync: for
    # investment accounts "use /investments/transactions/get instead".
    if account.type == "investment":
        raise errors.ProductsNotSupported(
            "the transactions product is not supported for investment accounts"
        )


def _webhook(
    sync_user: bool, key: str, value: str, new_transactions: int, environment: str
) -> dict[str, Any]:
    """SYNC_UPDATES_AVAILABLE or DEFAULT_UPDATE, for an Item or a processor token's account
    (https://plaid.com/docs/api/products/transactions/#webhooks)."""
    if sync_user:
        return {
            "webhook_type": "TRANSACTIONS",
            "webhook_code": "SYNC_UPDATES_AVAILABLE",
            key: value,
            "initial_update_complete": True,
            "historical_update_complete": True,
            "environment": environment,
        }
    return {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "DEFAULT_UPDATE",
        key: value,
        "error": None,
        "new_transactions": new_transactions,
        "environment": environment,
    }


# Recurring streams ---------------------------------------------------------------------

_FREQUENCIES = (
    ("WEEKLY", 7, 1),
    ("BIWEEKLY", 14, 2),
    ("SEMI_MONTHLY", 15, 2),
    ("MONTHLY", 30, 3),
    ("ANNUALLY", 365, 10),
)
MIN_OCCURRENCES = 3


def recurring_streams(
    transactions: Sequence[bank.SandboxTransaction], today: date
) -> list[TransactionStream]:
    """Streams found in posted transactions: one merchant, one direction, at least three
    times, at intervals that all fall within a few days of one of Plaid's frequencies."""
    groups: dict[tuple[str, str, bool], list[bank.SandboxTransaction]] = {}
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
                stream_id=bank.stream_id(account_id, key, inflow),
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


def iso_datetime(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
