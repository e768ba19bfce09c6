"""The storage interface. Every backend implements `Store`; nothing else runs SQL.

Each method is one atomic operation: it either happens whole or not at all, so a crash or
a concurrent request never sees an Item without its accounts or a token without its
permissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from tokenbridge.domain.audit import AuditEntry
from tokenbridge.domain.models import (
    Account,
    BankAccountToken,
    Client,
    Item,
    NewItem,
    ProcessorToken,
)
from tokenbridge.domain.transactions import TransactionsState


class StoreUnavailable(Exception):
    """The database cannot be reached or failed; the request may succeed if retried."""


class Store(Protocol):
    async def migrate(self) -> None:
        """Apply every migration not yet applied. Safe when several servers start at once."""

    async def close(self) -> None:
        """Release connections. The store is unusable afterwards."""

    async def create_client(self, client: Client, audit: Sequence[AuditEntry] = ()) -> bool:
        """Insert a client. Returns False (and changes nothing) if the client_id exists.

        Every write method takes `audit`: entries written in the same transaction as the
        change, and only if the change is made.
        """

    async def put_client(self, client: Client, audit: Sequence[AuditEntry] = ()) -> None:
        """Insert a client, or replace the secret and name of the existing one."""

    async def get_client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""

    async def list_clients(self) -> list[Client]:
        """Every client, oldest first."""

    async def create_item(self, new: NewItem, audit: Sequence[AuditEntry] = ()) -> None:
        """Write an Item with its accounts, any first tokens and, with
        `new.transactions_days`, its transactions state, all in one transaction."""

    async def count_items(self) -> int:
        """How many Items were ever created, removed ones included."""

    async def get_item(self, item_id: str) -> Item | None:
        """The Item, removed or not, or None if it never existed."""

    async def get_accounts(self, item_id: str) -> list[Account]:
        """The Item's accounts in Plaid's order (by position)."""

    async def get_account(self, account_id: str) -> Account | None:
        """The account with this id, whatever its Item's state, or None."""

    async def remove_item(
        self, item_id: str, removed_at: float, audit: Sequence[AuditEntry] = ()
    ) -> bool:
        """Mark the Item removed. From then on no token of it is returned by any lookup.

        Returns False if it was already removed or never existed.
        """

    async def exchange_public_token(
        self,
        token_hash: str,
        client_id: str,
        now: float,
        access_token_hash: str,
        audit: Sequence[AuditEntry] = (),
    ) -> str | None:
        """Consume a public token and store an access token for its Item, atomically, once.

        The public token must belong to `client_id`, be unexpired at `now`, unused, and its
        Item not removed. Returns the item_id, or None (writing nothing) otherwise: of any
        number of concurrent exchanges of one token, exactly one gets the item_id. The
        audit entries get the item_id filled in, as it is known only here.
        """

    async def get_item_by_access_token(self, token_hash: str) -> Item | None:
        """The Item of this access token, or None if the token is unknown or the Item removed."""

    async def get_item_and_account(
        self, token_hash: str, account_id: str
    ) -> tuple[Item, Account | None] | None:
        """The Item of this access token with its account `account_id` (None if the Item has
        no such account), or None as for get_item_by_access_token (one round trip: the
        token-making writes start here)."""

    async def create_processor_token(
        self, token: ProcessorToken, audit: Sequence[AuditEntry] = ()
    ) -> None:
        """Insert a processor token with its permissions."""

    async def get_processor_token(self, token_hash: str) -> ProcessorToken | None:
        """The processor token, or None if unknown or its Item is removed."""

    async def get_processor_token_grant(
        self, token_hash: str
    ) -> tuple[ProcessorToken, Item, Account] | None:
        """The processor token with its Item and account, or None if the token is unknown
        or its Item removed (one round trip: every partner read starts here)."""

    async def set_processor_token_products(
        self, token_hash: str, products: Sequence[str], audit: Sequence[AuditEntry] = ()
    ) -> bool:
        """Replace the token's permission list in one write. False if the token is gone."""

    async def create_bank_account_token(
        self, token: BankAccountToken, audit: Sequence[AuditEntry] = ()
    ) -> None:
        """Insert a Stripe bank account token."""

    async def get_bank_account_token(self, token_hash: str) -> BankAccountToken | None:
        """The bank account token, or None if unknown or its Item is removed."""

    # Audit log and rate-limit counters ---------------------------------------------------

    async def list_audit(self, item_id: str | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first; only those about one Item if `item_id` is given."""

    async def increment_rate_counters(
        self, scopes: Sequence[str], window_start: int, prune_before: int | None = None
    ) -> list[int]:
        """Add one to the counter of each scope in the window, atomically; the new counts.

        Every server over the database counts in the same rows. With `prune_before`, the
        counters of older windows are deleted in the same transaction.
        """

    # Partner side ------------------------------------------------------------------------

    async def set_processor_token_webhook(
        self, token_hash: str, webhook: str | None, audit: Sequence[AuditEntry] = ()
    ) -> bool:
        """Set (or with None, remove) the token's webhook URL. False if the token is gone."""

    async def add_signal_record(
        self,
        item_id: str,
        account_id: str,
        kind: str,
        client_transaction_id: str | None,
        data: dict[str, Any],
        created_at: float,
    ) -> None:
        """Record a Signal call of `kind` (evaluate, decision, return, prepare) for an account."""

    async def list_signal_records(
        self, item_id: str, kind: str | None = None
    ) -> list[tuple[str, str, str | None, dict[str, Any], float]]:
        """The Item's Signal records, oldest first, as (account_id, kind,
        client_transaction_id, data, created_at); only those of `kind` if it is given."""

    # Transactions ------------------------------------------------------------------------

    async def get_transactions_state(self, item_id: str) -> TransactionsState | None:
        """The Item's transactions state, or None while Transactions is not initialized."""

    async def init_transactions(
        self, item_id: str, days_requested: int, now: float
    ) -> TransactionsState:
        """Initialize Transactions on the Item (generation 0) unless it already is; the state.

        Of several servers initializing one Item at once, the first write wins and every
        one of them gets the state it wrote.
        """

    async def refresh_transactions(self, item_id: str, now: float) -> TransactionsState:
        """Add one refresh round at `now`, atomically; the state after it.

        The Item's Transactions must be initialized.
        """

    async def add_transactions_sync_user(self, item_id: str, subject: str, now: float) -> None:
        """Record that `subject` ('' for the developer, else a processor token hash) syncs."""

    async def list_processor_tokens(self, item_id: str) -> list[ProcessorToken]:
        """Every processor token of the Item, oldest first."""
