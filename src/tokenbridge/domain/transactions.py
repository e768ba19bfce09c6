"""Transactions: date ranges, paging, sync and refreshes, for both sides.

Both sides read the same transactions: the developer through an access token (every
account of the Item, or `account_ids`), a partner through a processor token (its one
account). The transactions come from the `Bank` port, a pure function of the Item and its
refresh history; the store keeps only that history (`TransactionsState`). Sync cursors are
in domain/cursor.py, recurring streams in domain/recurring.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tokenbridge.domain import audit, errors
from tokenbridge.domain import transactions_events as events
from tokenbridge.domain.bank_records import BankTransaction
from tokenbridge.domain.clock import client_now
from tokenbridge.domain.cursor import Cursor, decode_cursor, encode_cursor
from tokenbridge.domain.dates import check_range, parse_date, utc_date
from tokenbridge.domain.items import ItemService
from tokenbridge.domain.link import check_days
from tokenbridge.domain.models import (
    Account,
    Client,
    CreatedTransaction,
    Item,
    SandboxTransaction,
    TransactionsState,
    Webhook,
)
from tokenbridge.domain.outbox import Outboxes
from tokenbridge.domain.ports import Bank, Clock, Store
from tokenbridge.domain.processor_tokens import ProcessorTokenService
from tokenbridge.domain.recurring import RecurringStreams, recurring_streams

# https://plaid.com/docs/api/products/transactions/: count 1..500 (default 100), offset >= 0.
DEFAULT_COUNT = 100
MAX_COUNT = 500

TRANSACTIONS = events.TRANSACTIONS
TRANSACTIONS_REFRESH = "transactions_refresh"
RECURRING_TRANSACTIONS = events.RECURRING_TRANSACTIONS


@dataclass(frozen=True, slots=True)
class TransactionsPage:
    """A /transactions/get answer: one page, newest first, and the total in range."""

    item: Item
    accounts: list[Account]
    transactions: list[BankTransaction]
    total_transactions: int


@dataclass(frozen=True, slots=True)
class RemovedTransaction:
    transaction_id: str
    account_id: str


@dataclass(frozen=True, slots=True)
class SyncPage:
    item: Item
    accounts: list[Account]
    added: list[BankTransaction]
    modified: list[BankTransaction]
    removed: list[RemovedTransaction]
    next_cursor: str
    has_more: bool


def _check_count(count: int, field: str) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise errors.InvalidField(f"{field} must be an integer between 1 and {MAX_COUNT}")


def _get_range(start_date: str, end_date: str, count: int, offset: int) -> tuple[date, date]:
    """A /transactions/get request's dates, checked with its count and offset.

    Checked before the Item's transactions state is read, because reading it the first
    time initializes Transactions: a refused request must not fix the days of history.
    """
    start, end = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    check_range(start, end)
    _check_count(count, "options.count")
    if offset < 0:
        raise errors.InvalidField("options.offset must be a non-negative integer")
    return start, end


class TransactionsService:
    """The transactions operations, on top of the token rules of `TokenService`."""

    def __init__(
        self,
        store: Store,
        bank: Bank,
        clock: Clock,
        outbox: Outboxes,
        items: ItemService,
        processor_tokens: ProcessorTokenService,
    ) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock
        self.outbox = outbox
        self.items = items
        self.processor_tokens = processor_tokens
        self.environment = processor_tokens.ids.environment

    # State ----------------------------------------------------------------------------

    async def _state(
        self, item: Item, days_requested: int | None = None, *, now: float,
        synced_by: str | None = None,
    ) -> TransactionsState:  # fmt: skip
        """The Item's transactions state, initializing Transactions on first use.

        Plaid initializes Transactions on an Item linked without it at the first call of
        /transactions/get or /sync; `days_requested` applies only then
        (https://plaid.com/docs/api/products/transactions/#transactions-get-request-options-days-requested),
        and the webhooks of its start go out with it (`synced_by`: the subject whose
        /transactions/sync call it is, if one is). `now` is the time on the caller's clock.
        """
        state = await self.store.get_transactions_state(item.item_id)
        if state is None:
            days = check_days(days_requested)
            fired = await self._started(item, days, now, synced_by)
            state = await self.store.init_transactions(item.item_id, days, now, webhooks=fired)
            if fired:
                self.outbox.written()
        elif days_requested is not None:
            check_days(days_requested)
        return await self._with_created(item, state)

    async def _started(
        self, item: Item, days: int, now: float, synced_by: str | None
    ) -> list[Webhook]:
        """The webhooks of Transactions starting on the Item now, with `days` of history."""
        tokens = await self.store.list_processor_tokens(item.item_id)
        if not item.webhook and not any(t.webhook for t in tokens):
            return []
        accounts = await self.store.get_accounts(item.item_id)
        hearing = events.listeners(item, accounts, tokens, TRANSACTIONS)
        counts = events.pulled(self.bank, item, accounts, days, now)
        return events.started(
            self.outbox, item, hearing, counts, self.environment, synced_by=synced_by
        )

    async def _with_created(self, item: Item, state: TransactionsState) -> TransactionsState:
        """The state with what /sandbox/transactions/create added, for an Item that takes
        such transactions (the others skip the read)."""
        if not self.bank.accepts_sandbox_transactions(item):
            return state
        created = await self.store.list_sandbox_transactions(item.item_id)
        return replace(state, created=tuple(c for c in created if c.generation <= state.generation))

    def _transactions(
        self, item: Item, account: Account, state: TransactionsState, generation: int
    ) -> dict[str, BankTransaction]:
        if generation < 0:
            return {}
        days = [utc_date(t) for t in state.refreshed_at[:generation]]
        created = [
            c for c in state.created
            if c.generation <= generation and c.account_id == account.account_id
        ]  # fmt: skip
        return self.bank.transactions(item, account, state.days_requested, days, created)

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
    ) -> tuple[list[BankTransaction], int]:
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
        *,
        request_id: str | None = None,
    ) -> TransactionsPage:
        """Transactions of the Item's accounts (or `account_ids`) dated in the range; the
        first call adds Transactions to an Item linked without it."""
        found = await self.items.accounts_get(client, access_token, account_ids, "transactions_get")
        start, end = _get_range(start_date, end_date, count, offset)
        state = await self._state(found.item, days_requested, now=client_now(self.clock, client))
        page, total = self._page(found.item, found.accounts, state, start, end, count, offset)
        await self.items.add_product(
            client, access_token, found.item, TRANSACTIONS, request_id=request_id
        )
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
        grant = await self.processor_tokens.processor_token_for_partner(
            client, processor_token, TRANSACTIONS
        )
        _check_account(grant.account)
        start, end = _get_range(start_date, end_date, count, offset)
        state = await self._state(grant.item, now=client_now(self.clock, client))
        page, total = self._page(grant.item, [grant.account], state, start, end, count, offset)
        return TransactionsPage(grant.item, [grant.account], page, total)

    # /transactions/sync ---------------------------------------------------------------

    def _changes(
        self, item: Item, accounts: Sequence[Account], state: TransactionsState, seen: int,
        target: int,
    ) -> list[tuple[str, BankTransaction]]:  # fmt: skip
        """Every change from generation `seen` to `target`, in a fixed order."""
        added: list[BankTransaction] = []
        modified: list[BankTransaction] = []
        removed: list[BankTransaction] = []
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
        now: float,
    ) -> SyncPage:
        _check_count(count, "count")
        state = await self._state(item, days_requested, now=now, synced_by=subject)
        cursor = decode_cursor(cursor_value, scope, state.generation)
        if cursor.offset == 0:
            # Not in the middle of paging: deliver everything up to the latest refresh.
            cursor = Cursor(scope, cursor.seen, state.generation, 0)
        changes = self._changes(item, accounts, state, cursor.seen, cursor.target)
        if cursor.offset > len(changes):
            raise errors.InvalidField("cursor is not a valid cursor for this access")
        page = changes[cursor.offset : cursor.offset + count]
        end = cursor.offset + len(page)
        has_more = end < len(changes)
        if has_more:
            next_cursor = Cursor(scope, cursor.seen, cursor.target, end)
        else:
            next_cursor = Cursor(scope, cursor.target, cursor.target, 0)
        if subject not in state.sync_users:
            await self.store.add_transactions_sync_user(item.item_id, subject, now)
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
        *,
        request_id: str | None = None,
    ) -> SyncPage:
        """Changes to the Item's transactions since `cursor` (all of them for a fresh one);
        the first call adds Transactions to an Item linked without it.

        With `account_id` (TransactionsSyncRequestOptions) the cursor follows that account
        alone, and a cursor of the whole Item is not valid for it, nor the reverse.
        """
        found = await self.items.accounts_get(
            client, access_token, [account_id] if account_id is not None else None,
            "transactions_sync",
        )  # fmt: skip
        scope = f"account:{account_id}" if account_id else f"item:{found.item.item_id}"
        page = await self._sync(
            found.item, found.accounts, scope, "", cursor, count, days_requested,
            client_now(self.clock, client),
        )  # fmt: skip
        await self.items.add_product(
            client, access_token, found.item, TRANSACTIONS, request_id=request_id
        )
        return page

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
        grant = await self.processor_tokens.processor_token_for_partner(
            client, processor_token, TRANSACTIONS
        )
        _check_account(grant.account)
        if account_id is not None and account_id != grant.account.account_id:
            raise errors.InvalidAccountId()
        scope = f"account:{grant.account.account_id}"
        return await self._sync(
            grant.item, [grant.account], scope, grant.token.token_hash, cursor, count,
            days_requested, client_now(self.clock, client),
        )  # fmt: skip

    # /processor/transactions/refresh --------------------------------------------------

    async def processor_transactions_refresh(self, client: Client, processor_token: str) -> None:
        """A new round of changes on the token's Item (product `transactions_refresh`)."""
        grant = await self.processor_tokens.processor_token_for_partner(
            client, processor_token, TRANSACTIONS_REFRESH
        )
        await self._refresh(
            grant.item, [grant.account], "/processor/transactions/refresh",
            client_now(self.clock, client),
        )  # fmt: skip

    async def transactions_refresh(
        self, client: Client, access_token: str, *, request_id: str | None = None
    ) -> None:
        """A new round of changes on the Item, as /processor/transactions/refresh makes."""
        found = await self.items.product_accounts(
            client, access_token, None, "transactions_refresh", TRANSACTIONS_REFRESH
        )
        await self._refresh(
            found.item, found.accounts, "/transactions/refresh", client_now(self.clock, client)
        )
        await self.items.add_product(
            client, access_token, found.item, TRANSACTIONS_REFRESH, request_id=request_id
        )

    async def _initialized(self, item: Item, endpoint: str, now: float) -> TransactionsState:
        """The Item's transactions state, if Transactions is initialized on it (linked with
        it, or one get or sync call made from either side); PRODUCTS_NOT_SUPPORTED otherwise.
        Plaid: /transactions/recurring/get "can only be called on an Item that has already
        been initialized with Transactions", /transactions/refresh needs Transactions
        "added as a product", and the processor forms say the same of the token; Plaid
        names no code for it."""
        if (
            TRANSACTIONS not in item.products
            and await self.store.get_transactions_state(item.item_id) is None
        ):
            raise errors.ProductsNotSupported(
                f"{endpoint} needs Transactions initialized on the Item: link it with"
                " transactions, or call /transactions/sync or /transactions/get (with a"
                " processor token, /processor/transactions/sync or /get) once first"
            )
        return await self._state(item, now=now)

    async def _refresh(
        self, item: Item, accounts: Sequence[Account], endpoint: str, now: float
    ) -> None:
        """A new round of changes on the Item, then webhooks to whoever listens.

        `accounts` are those the caller reads (the token's one, or the Item's): at least one
        must take transactions. The refresh is of the whole Item, as Plaid's extraction is,
        so every account (and every processor token on it) sees its changes. Webhooks follow
        https://plaid.com/docs/api/processor-partners/#processortransactionsrefresh:
        SYNC_UPDATES_AVAILABLE to those who have called sync, DEFAULT_UPDATE to the others.
        """
        _transaction_accounts(accounts)
        await self._round(item, now, await self._initialized(item, endpoint, now))

    async def new_day(self, item: Item, at: float) -> None:
        """The changes of a new day on the Item's clock, at `at` (its midnight), as one
        refresh round with its webhooks, as Plaid's daily update makes them; nothing for an
        Item whose Transactions has not started."""
        state = await self.store.get_transactions_state(item.item_id)
        if state is not None:
            await self._round(item, at, await self._with_created(item, state))

    async def _round(self, item: Item, now: float, before: TransactionsState) -> None:
        """One round of changes on the Item at `now` after `before` (its state as read),
        and its webhooks."""
        while True:
            after = _next_round(before, now)
            fired = await self._announce(item, before, after)
            # Only if no other round came first: the webhooks were worked out from this one.
            if await self.store.refresh_transactions(
                item.item_id, now, generation=before.generation, webhooks=fired
            ):
                break
            before = await self._state(item, now=now)
        if fired:
            self.outbox.written()

    async def _announce(
        self, item: Item, before: TransactionsState, after: TransactionsState
    ) -> list[Webhook]:
        """The webhooks of a new round of changes (from `before` to `after`), to the Item
        and to its processor tokens (transactions_events.refreshed)."""
        tokens = await self.store.list_processor_tokens(item.item_id)
        if not item.webhook and not any(t.webhook for t in tokens):
            return []
        accounts = await self.store.get_accounts(item.item_id)
        changes: dict[str, events.AccountChanges] = {}
        for account in accounts:
            found = changes[account.account_id] = events.AccountChanges()
            for kind, t in self._changes(
                item, [account], after, before.generation, after.generation
            ):
                if kind == "added":
                    found.added += 1
                elif kind == "modified":
                    found.modified += 1
                else:
                    found.removed.append(t.transaction_id)
        recurring = (
            events.listeners(item, accounts, tokens, RECURRING_TRANSACTIONS)
            if RECURRING_TRANSACTIONS in item.products else []
        )  # fmt: skip
        return events.refreshed(
            self.outbox, item, events.listeners(item, accounts, tokens, TRANSACTIONS), changes,
            after.sync_users, self.environment, recurring=recurring,
        )  # fmt: skip

    # /sandbox/transactions/create -------------------------------------------------------

    async def sandbox_transactions_create(
        self,
        client: Client,
        access_token: str,
        transactions: Sequence[SandboxTransaction],
        *,
        request_id: str | None = None,
    ) -> None:
        """Add up to ten transactions to the Item's depository account, as one refresh
        round: a sync cursor from before it sees them added, and the webhooks of a refresh
        fire (https://plaid.com/docs/api/sandbox/#sandboxtransactionscreate).

        Only an Item of the user_transactions_dynamic test user takes them.
        """
        item = await self.items.item_for(client, access_token)
        if not self.bank.accepts_sandbox_transactions(item):
            raise errors.InvalidField(
                "/sandbox/transactions/create can only be used with Items created with the"
                " user_transactions_dynamic test user"
            )
        now = client_now(self.clock, client)
        checked = _check_sandbox_transactions(transactions, utc_date(now))
        accounts = await self.store.get_accounts(item.item_id)
        # "Custom transactions are only applied to the depository account": the Item's
        # first, unless the transaction names one (plaid-python 46's account_id).
        depository = [a.account_id for a in accounts if a.type == "depository"]
        if not depository:
            raise errors.NoAccounts()
        targets = [t.account_id or depository[0] for t, _, _ in checked]
        if any(target not in depository for target in targets):
            raise errors.InvalidAccountId()
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.SANDBOX_TRANSACTIONS_CREATE, request_id,
            item_id=item.item_id, account_id=depository[0], detail=str(len(checked)),
        )  # fmt: skip
        rows = [
            CreatedTransaction(0, seq, target, transacted, posted, t.amount, t.description,
                               t.iso_currency_code or "USD")
            for seq, ((t, transacted, posted), target) in enumerate(
                zip(checked, targets, strict=True)
            )
        ]  # fmt: skip
        while True:
            before = await self._state(item, now=now)
            after = _next_round(before, now, rows)
            fired = await self._announce(item, before, after)
            if await self.store.create_sandbox_transactions(
                item.item_id, rows, now, [entry], generation=before.generation, webhooks=fired
            ):
                break
        if fired:
            self.outbox.written()

    # /processor/transactions/recurring/get --------------------------------------------

    async def processor_transactions_recurring_get(
        self, client: Client, processor_token: str
    ) -> RecurringStreams:
        """The recurring inflow and outflow streams of the token's account."""
        grant = await self.processor_tokens.processor_token_for_partner(
            client, processor_token, RECURRING_TRANSACTIONS
        )
        return await self._recurring(
            grant.item, [grant.account], "/processor/transactions/recurring/get",
            client_now(self.clock, client),
        )  # fmt: skip

    async def transactions_recurring_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None,
        *, request_id: str | None = None,
    ) -> RecurringStreams:  # fmt: skip
        """The recurring streams of the Item's accounts (or of `account_ids`)."""
        found = await self.items.product_accounts(
            client, access_token, account_ids, "transactions_recurring_get",
            RECURRING_TRANSACTIONS,
        )  # fmt: skip
        streams = await self._recurring(
            found.item, found.accounts, "/transactions/recurring/get",
            client_now(self.clock, client),
        )  # fmt: skip
        await self.items.add_product(
            client, access_token, found.item, RECURRING_TRANSACTIONS, request_id=request_id
        )
        return streams

    async def _recurring(
        self, item: Item, accounts: Sequence[Account], endpoint: str, now: float
    ) -> RecurringStreams:
        """The recurring streams of those of `accounts` that take transactions."""
        readable = _transaction_accounts(accounts)
        state = await self._initialized(item, endpoint, now)
        current = [
            t for account in readable
            for t in self._transactions(item, account, state, state.generation).values()
        ]  # fmt: skip
        # The streams are as of the latest refresh, or of the Item's creation before any.
        updated = state.refreshed_at[-1] if state.refreshed_at else item.created_at
        streams = recurring_streams(current, utc_date(updated))
        return RecurringStreams(
            [s for s in streams if s.inflow], [s for s in streams if not s.inflow], updated
        )


# https://plaid.com/docs/api/sandbox/#sandboxtransactionscreate: up to 10 transactions,
# dated today or up to 14 days back.
MAX_SANDBOX_TRANSACTIONS = 10
SANDBOX_TRANSACTION_DAYS = 14
_DATES_MESSAGE = (
    "Transaction and posted dates must be within the last 14 days, and the posted date must"
    " not be before the transaction date."
)


def _check_sandbox_transactions(
    transactions: Sequence[SandboxTransaction], today: date
) -> list[tuple[SandboxTransaction, date, date]]:
    """The transactions with their dates; INVALID_FIELD with Plaid's message otherwise."""
    if len(transactions) > MAX_SANDBOX_TRANSACTIONS:
        raise errors.InvalidField("The request contains too many transactions.")
    if not transactions:
        raise errors.InvalidField("transactions must contain at least one transaction")
    earliest = today - timedelta(days=SANDBOX_TRANSACTION_DAYS)
    out = []
    for i, t in enumerate(transactions):
        transacted = parse_date(t.date_transacted, f"transactions[{i}].date_transacted")
        posted = parse_date(t.date_posted, f"transactions[{i}].date_posted")
        if not (earliest <= transacted <= posted <= today):
            raise errors.InvalidField(_DATES_MESSAGE)
        if not (math.isfinite(t.amount) and abs(t.amount) <= 1e13):
            raise errors.InvalidField(f"transactions[{i}].amount must be a finite number")
        if not t.description.strip():
            raise errors.InvalidField(f"transactions[{i}].description must not be empty")
        if "\x00" in t.description:
            raise errors.InvalidField(
                f"transactions[{i}].description must not contain NUL characters"
            )
        code = t.iso_currency_code
        if code is not None and not (len(code) == 3 and code.isascii() and code.isupper()):
            raise errors.InvalidField(
                f"transactions[{i}].iso_currency_code must be an ISO-4217 currency code"
            )
        out.append((t, transacted, posted))
    return out


def _check_account(account: Account) -> None:
    _transaction_accounts([account])


def _transaction_accounts(accounts: Sequence[Account]) -> list[Account]:
    """Those of `accounts` that take the transactions product; PRODUCTS_NOT_SUPPORTED if
    none does. https://plaid.com/docs/api/processor-partners/#processortransactionssync: for
    investment accounts "use /investments/transactions/get instead"."""
    found = [a for a in accounts if a.type != "investment"]
    if not found:
        raise errors.ProductsNotSupported(
            "the transactions product is not supported for investment accounts"
        )
    return found


def _next_round(
    before: TransactionsState, now: float, created: Sequence[CreatedTransaction] = ()
) -> TransactionsState:
    """The state after one more refresh round at `now` that adds `created`, as the store
    will write it if no other round comes first (its webhooks are worked out from it)."""
    generation = before.generation + 1
    return replace(
        before, generation=generation, refreshed_at=(*before.refreshed_at, now),
        created=(*before.created, *(replace(c, generation=generation) for c in created)),
    )  # fmt: skip
