"""The SQL shared by every backend.

Queries are written once, with `?` placeholders; a backend that uses another placeholder
style rewrites them (no query here has a literal question mark). Each public method is one
atomic operation of the `Store` interface.
"""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date
from importlib import resources
from typing import Any, Protocol

import msgspec

from tokenbridge.domain.audit import AuditEntry
from tokenbridge.domain.models import (
    Account,
    Balances,
    BankAccountToken,
    Client,
    CreatedTransaction,
    FaultRule,
    InboxDelivery,
    Item,
    LinkToken,
    LinkTokenMetadata,
    NewItem,
    ProcessorToken,
    SignalRecord,
    TransactionsState,
    Webhook,
    WebhookAttempt,
    WebhookKey,
)

Row = tuple[Any, ...]

# A processor token of a removed Item is gone: no update may reach it, even one that raced
# with the removal past the service's own check.
_ITEM_NOT_REMOVED = (
    " AND EXISTS (SELECT 1 FROM items WHERE items.item_id = processor_tokens.item_id"
    " AND items.removed_at IS NULL)"
)


class Transaction(Protocol):
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the number of rows it changed."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...


def migrations() -> list[tuple[int, str]]:
    """The migration series as (version, script), in order."""
    folder = resources.files("tokenbridge.storage") / "migrations"
    scripts = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(int(f.name.split("_", 1)[0]), f.read_text("utf-8")) for f in scripts]


def split_statements(script: str) -> list[str]:
    """A migration script's statements (they hold no semicolons inside literals)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


_CLIENT = (
    "SELECT client_id, name, secret_hash, created_at, processor, world, clock_offset, faulted"
    " FROM clients"
)
_ITEM = (
    "SELECT item_id, client_id, institution_id, products, created_at, webhook, removed_at,"
    " error_code, profile FROM items"
)
# An Item with when its user last logged in (its creation, or its last repair).
_ITEM_WITH_LOGIN = (
    "SELECT item_id, client_id, institution_id, products, created_at, webhook, removed_at,"
    " error_code, profile, COALESCE(logged_in_at, created_at) FROM items"
)
_ACCOUNT = (
    "SELECT account_id, item_id, position, name, official_name, mask, type, subtype,"
    " available, current_balance, credit_limit, iso_currency_code, unofficial_currency_code,"
    " holder_category, verification_status FROM accounts"
)
_PROCESSOR_TOKEN_SELECT = (
    "SELECT p.token_hash, p.item_id, p.account_id, p.client_id, p.processor, p.created_at,"
    " p.products, p.webhook, p.world FROM processor_tokens p"
    " JOIN items i ON i.item_id = p.item_id"
    " WHERE p.token_hash = ? AND i.removed_at IS NULL"
)

# An access token's live Item, with one of its accounts if it has that account.
_ITEM_AND_ACCOUNT_SELECT = (
    "SELECT i.item_id, i.client_id, i.institution_id, i.products, i.created_at, i.webhook,"
    " i.removed_at, i.error_code, i.profile,"
    " a.account_id, a.item_id, a.position, a.name, a.official_name, a.mask, a.type, a.subtype,"
    " a.available, a.current_balance, a.credit_limit, a.iso_currency_code,"
    " a.unofficial_currency_code, a.holder_category, a.verification_status"
    " FROM access_tokens t JOIN items i ON i.item_id = t.item_id"
    " LEFT JOIN accounts a ON a.account_id = ? AND a.item_id = i.item_id"
    " WHERE t.token_hash = ? AND i.removed_at IS NULL"
)

# A partner's read: the token with its live Item and its account, in one round trip.
_GRANT_SELECT = (
    "SELECT p.client_id, p.processor, p.created_at, p.products, p.webhook,"
    " i.item_id, i.client_id, i.institution_id, i.products, i.created_at, i.webhook,"
    " i.removed_at, i.error_code, i.profile,"
    " a.account_id, a.position, a.name, a.official_name, a.mask, a.type, a.subtype,"
    " a.available, a.current_balance, a.credit_limit, a.iso_currency_code,"
    " a.unofficial_currency_code, a.holder_category, a.verification_status, p.world"
    " FROM processor_tokens p JOIN items i ON i.item_id = p.item_id"
    " JOIN accounts a ON a.account_id = p.account_id"
    " WHERE p.token_hash = ? AND i.removed_at IS NULL"
)

_ITEM_BY_ACCESS_TOKEN = (
    "SELECT i.item_id, i.client_id, i.institution_id, i.products, i.created_at,"
    " i.webhook, i.removed_at, i.error_code, i.profile FROM access_tokens t JOIN items i"
    " ON i.item_id = t.item_id WHERE t.token_hash = ? AND i.removed_at IS NULL"
)

# Each token lookup that names a client has the owner's condition in its WHERE: another
# client's token finds no row, exactly as a token that never existed
# (Store.get_item_by_access_token). Whole constants, so that no request builds a string.
_ITEM_BY_ACCESS_TOKEN_OF = _ITEM_BY_ACCESS_TOKEN + " AND t.client_id = ?"
_ITEM_AND_ACCOUNT_OF = _ITEM_AND_ACCOUNT_SELECT + " AND t.client_id = ?"
_PROCESSOR_TOKEN_OF = _PROCESSOR_TOKEN_SELECT + " AND p.client_id = ?"
# Store.get_processor_token_grant's `usable_by`: the processor's partners of the token's
# world for a token made for a processor, the client that made it for one that names none.
_GRANT_USABLE_BY = (
    _GRANT_SELECT
    + " AND ((p.processor = ? AND p.world = ?) OR (p.processor IS NULL AND p.client_id = ?))"
)

_decode_strings = msgspec.json.Decoder(tuple[str, ...]).decode
_decode_link_metadata = msgspec.json.Decoder(LinkTokenMetadata).decode
_encode = msgspec.json.Encoder().encode


def _names(names: Sequence[str]) -> str:
    """A list of names (products) as the JSON text it is stored as."""
    return _encode(names).decode()


def _strings(text: str) -> tuple[str, ...]:
    """A stored JSON list of names (products), decoded on every token read."""
    return _decode_strings(text)


def _item(row: Row) -> Item:
    return Item(row[0], row[1], row[2], _strings(row[3]), row[4], row[5], row[6], row[7],
                row[8])  # fmt: skip


def _account(row: Row) -> Account:
    balances = Balances(row[8], row[9], row[10], row[11], row[12])
    return Account(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], balances,
                   row[13], row[14])  # fmt: skip


def _processor_token(row: Row) -> ProcessorToken:
    return ProcessorToken(
        row[0], row[1], row[2], row[3], row[4], row[5], _strings(row[6]), row[7], row[8]
    )


_WEBHOOK_KEY = "SELECT kid, private_key, x, y, created_at, expired_at, is_current FROM webhook_keys"
_INSERT_CURRENT_KEY = (
    "INSERT INTO webhook_keys (kid, private_key, x, y, created_at, expired_at, is_current)"
    " VALUES (?, ?, ?, ?, ?, NULL, 1) ON CONFLICT (is_current) DO NOTHING"
)


def _webhook_key(row: Row) -> WebhookKey:
    return WebhookKey(row[0], row[1], row[2], row[3], row[4], row[5], row[6] == 1)


def _key_values(key: WebhookKey) -> list[Any]:
    return [key.kid, key.private_key, key.x, key.y, key.created_at]


_AUDIT = (
    "SELECT at, actor, action, request_id, item_id, account_id, token_id, processor, products,"
    " detail FROM audit_log"
)


async def _insert_audit(tx: Transaction, audit: Sequence[AuditEntry]) -> None:
    """Write audit entries inside the transaction of the change they record."""
    for seq, e in enumerate(audit):
        await tx.execute(
            "INSERT INTO audit_log (at, seq, actor, action, request_id, item_id, account_id,"
            " token_id, processor, products, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [e.at, seq, e.actor, e.action, e.request_id, e.item_id, e.account_id, e.token_id,
             e.processor, _names(e.products), e.detail],
        )  # fmt: skip


def _audit_entry(row: Row) -> AuditEntry:
    return AuditEntry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                      _strings(row[8]), row[9])  # fmt: skip


_WEBHOOK = (
    "SELECT webhook_id, client_id, url, webhook_type, webhook_code, body, created_at,"
    " item_id, account_id, status, attempts, round_started_at, next_attempt_at FROM webhooks"
)
_WEBHOOK_COLUMNS = (
    "webhook_id, client_id, url, webhook_type, webhook_code, body, created_at, item_id,"
    " account_id, status, attempts, round_started_at, next_attempt_at"
)


async def _insert_webhooks(tx: Transaction, webhooks: Sequence[Webhook]) -> None:
    """Write webhooks to the outbox inside the transaction of the change that fires them."""
    for w in webhooks:
        await tx.execute(
            f"INSERT INTO webhooks ({_WEBHOOK_COLUMNS}) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [w.webhook_id, w.client_id, w.url, w.webhook_type, w.webhook_code, w.body,
             w.created_at, w.item_id, w.account_id, w.status, w.attempts, w.round_started_at,
             w.next_attempt_at],
        )  # fmt: skip


def _webhook(row: Row) -> Webhook:
    return Webhook(*row)


def _webhook_attempt(row: Row) -> WebhookAttempt:
    return WebhookAttempt(row[0], row[1], row[2], row[3], row[4], row[5])


class SqlStore(ABC):
    """The `Store` operations over a backend's connection handling."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A write transaction, committed when the block ends and rolled back on error."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """One row of a read outside any explicit transaction."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of a read outside any explicit transaction."""

    async def _write_returning(self, sql: str, params: Sequence[Any]) -> list[Row]:
        """Run one statement that writes and returns rows. It is atomic by itself, so this
        runs it outside any explicit transaction (one round trip on PostgreSQL)."""
        return await self.fetchall(sql, params)

    async def _update_audited(
        self,
        sql: str,
        params: Sequence[Any],
        audit: Sequence[AuditEntry],
        webhooks: Sequence[Webhook] = (),
    ) -> bool:
        """Run one UPDATE and, only if it changed a row, record `audit` in the same
        transaction; True if a row changed (an audit entry never records a change that
        did not happen)."""
        async with self.transaction() as tx:
            changed = await tx.execute(sql, params)
            if changed:
                await _insert_audit(tx, audit)
                await _insert_webhooks(tx, webhooks)
        return changed > 0

    async def create_client(self, client: Client, audit: Sequence[AuditEntry] = ()) -> bool:
        async with self.transaction() as tx:
            # One statement, so that two servers creating the same client_id cannot both
            # pass a check and then collide on the primary key.
            if not await tx.execute(
                "INSERT INTO clients (client_id, name, secret_hash, processor, created_at,"
                " world, clock_offset) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (client_id) DO NOTHING",
                [client.client_id, client.name, client.secret_hash, client.processor,
                 client.created_at, client.world, client.clock_offset],
            ):  # fmt: skip
                return False
            if client.world:
                # A partner made in a world with fault rules is faulted as its world is.
                await tx.execute(
                    "UPDATE clients SET faulted = 1 WHERE client_id = ?"
                    " AND EXISTS (SELECT 1 FROM fault_rules WHERE world = ?)",
                    [client.client_id, client.world],
                )
            await _insert_audit(tx, audit)
        return True

    async def put_client(self, client: Client, audit: Sequence[AuditEntry] = ()) -> None:
        async with self.transaction() as tx:
            # An upsert, not UPDATE-then-INSERT: servers that start at once all pin the
            # same client, and on PostgreSQL two of them could otherwise both insert.
            await tx.execute(
                "INSERT INTO clients (client_id, name, secret_hash, processor, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET"
                " name = excluded.name, secret_hash = excluded.secret_hash,"
                " processor = excluded.processor",
                [client.client_id, client.name, client.secret_hash, client.processor,
                 client.created_at],
            )  # fmt: skip
            await _insert_audit(tx, audit)

    async def get_client(self, client_id: str) -> Client | None:
        row = await self.fetchone(_CLIENT + " WHERE client_id = ?", [client_id])
        return Client(*row) if row else None

    async def list_clients(
        self, *, partners: bool | None = None, world: str | None = None,
        after: tuple[float, str] | None = None, limit: int | None = None,
    ) -> list[Client]:  # fmt: skip
        where: list[str] = []
        params: list[Any] = []
        if partners is not None:
            where.append("processor IS NOT NULL" if partners else "processor IS NULL")
        if world is not None:
            where.append("world = ?")
            params.append(world)
        if after is not None:
            where.append("(created_at > ? OR (created_at = ? AND client_id > ?))")
            params += [after[0], after[0], after[1]]
        sql = _CLIENT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at, client_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [Client(*row) for row in await self.fetchall(sql, params)]

    async def count_clients(self) -> tuple[int, int]:
        row = await self.fetchone(
            "SELECT COUNT(*) - COUNT(processor), COUNT(processor) FROM clients"
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def create_item(
        self, new: NewItem, audit: Sequence[AuditEntry] = (), webhooks: Sequence[Webhook] = ()
    ) -> None:
        item = new.item
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO items (item_id, client_id, institution_id, products, webhook,"
                " created_at, removed_at, profile) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                [item.item_id, item.client_id, item.institution_id, _names(item.products),
                 item.webhook, item.created_at, item.profile],
            )  # fmt: skip
            for a in new.accounts:
                b = a.balances
                await tx.execute(
                    "INSERT INTO accounts (account_id, item_id, position, name, official_name,"
                    " mask, type, subtype, available, current_balance, credit_limit,"
                    " iso_currency_code, unofficial_currency_code, holder_category,"
                    " verification_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [a.account_id, a.item_id, a.position, a.name, a.official_name, a.mask,
                     a.type, a.subtype, b.available, b.current, b.limit, b.iso_currency_code,
                     b.unofficial_currency_code, a.holder_category, a.verification_status],
                )  # fmt: skip
            if new.public_token:
                p = new.public_token
                await tx.execute(
                    "INSERT INTO public_tokens (token_hash, item_id, client_id, expires_at)"
                    " VALUES (?, ?, ?, ?)",
                    [p.token_hash, p.item_id, p.client_id, p.expires_at],
                )
            if new.access_token:
                t = new.access_token
                await tx.execute(
                    "INSERT INTO access_tokens (token_hash, item_id, client_id, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    [t.token_hash, t.item_id, t.client_id, t.created_at],
                )
            if new.processor_token:
                await self._insert_processor_token(tx, new.processor_token)
            if new.transactions_days is not None:
                await tx.execute(
                    "INSERT INTO transactions_items (item_id, days_requested, generation,"
                    " initialized_at) VALUES (?, ?, 0, ?)",
                    [item.item_id, new.transactions_days, item.created_at],
                )
            await _insert_audit(tx, audit)
            await _insert_webhooks(tx, webhooks)

    async def count_items(self) -> int:
        row = await self.fetchone("SELECT COUNT(*) FROM items")
        return int(row[0]) if row else 0

    async def list_items(
        self, client_id: str | None = None, limit: int = 100, *,
        before: tuple[float, str] | None = None,
    ) -> list[Item]:  # fmt: skip
        where: list[str] = []
        params: list[Any] = []
        if client_id is not None:
            where.append("client_id = ?")
            params.append(client_id)
        if before is not None:
            # A row value, so that the index's range starts at the cursor.
            where.append("(created_at, item_id) < (?, ?)")
            params += [before[0], before[1]]
        sql = _ITEM + (" WHERE " + " AND ".join(where) if where else "")
        # Both columns descending: one index (items_created, or items_client_created for a
        # client's Items) read backwards gives the page, with no sort.
        rows = await self.fetchall(
            sql + " ORDER BY created_at DESC, item_id DESC LIMIT ?", [*params, limit]
        )
        return [_item(row) for row in rows]

    async def claim_seeded_start(self) -> int:
        # One statement, atomic by itself: of servers starting at once, each gets a number.
        rows = await self._write_returning(
            "UPDATE seeded_starts SET starts = starts + 1 WHERE singleton = 1 RETURNING starts",
            [],
        )
        return int(rows[0][0]) - 1  # the migration wrote the one row

    async def get_item(self, item_id: str) -> Item | None:
        row = await self.fetchone(_ITEM + " WHERE item_id = ?", [item_id])
        return _item(row) if row else None

    async def get_accounts(self, item_id: str) -> list[Account]:
        rows = await self.fetchall(_ACCOUNT + " WHERE item_id = ? ORDER BY position", [item_id])
        return [_account(r) for r in rows]

    async def get_account(self, account_id: str) -> Account | None:
        row = await self.fetchone(_ACCOUNT + " WHERE account_id = ?", [account_id])
        return _account(row) if row else None

    async def remove_item(
        self, item_id: str, removed_at: float, audit: Sequence[AuditEntry] = ()
    ) -> bool:
        return await self._update_audited(
            "UPDATE items SET removed_at = ? WHERE item_id = ? AND removed_at IS NULL",
            [removed_at, item_id],
            audit,
        )

    async def set_item_error(
        self,
        item_id: str,
        error_code: str | None,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
        *,
        logged_in_at: float | None = None,
    ) -> bool:
        if logged_in_at is not None:
            return await self._update_audited(
                "UPDATE items SET error_code = ?, logged_in_at = ?"
                " WHERE item_id = ? AND removed_at IS NULL",
                [error_code, logged_in_at, item_id],
                audit,
                webhooks,
            )
        return await self._update_audited(
            "UPDATE items SET error_code = ? WHERE item_id = ? AND removed_at IS NULL",
            [error_code, item_id],
            audit,
            webhooks,
        )

    async def set_item_webhook(
        self,
        item_id: str,
        webhook: str | None,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
    ) -> bool:
        return await self._update_audited(
            "UPDATE items SET webhook = ? WHERE item_id = ? AND removed_at IS NULL",
            [webhook, item_id],
            audit,
            webhooks,
        )

    async def add_item_products(
        self, item_id: str, products: Sequence[str], audit: Sequence[AuditEntry] = ()
    ) -> tuple[str, ...] | None:
        # Compare-and-set on the stored list, so that two concurrent additions to one Item
        # (two servers over PostgreSQL) both land: the loser reads again and retries.
        while True:
            row = await self.fetchone(
                "SELECT products FROM items WHERE item_id = ? AND removed_at IS NULL", [item_id]
            )
            if row is None:
                return None
            current = _strings(row[0])
            merged = tuple(dict.fromkeys((*current, *products)))
            if merged == current:
                return current
            async with self.transaction() as tx:
                changed = await tx.execute(
                    "UPDATE items SET products = ? WHERE item_id = ? AND products = ?"
                    " AND removed_at IS NULL",
                    [_names(merged), item_id, row[0]],
                )
                if changed:
                    await _insert_audit(tx, audit)
            if changed:
                return merged

    async def exchange_public_token(
        self,
        token_hash: str,
        client_id: str,
        now: float,
        access_token_hash: str,
        audit: Sequence[AuditEntry] = (),
    ) -> str | None:
        async with self.transaction() as tx:
            # The conditional UPDATE is the single-use guarantee: of two racing exchanges,
            # the database lets exactly one of them change the row.
            row = await tx.fetchone(
                "UPDATE public_tokens SET exchanged_at = ? WHERE token_hash = ?"
                " AND client_id = ? AND exchanged_at IS NULL AND expires_at > ?"
                " AND item_id IN (SELECT item_id FROM items WHERE removed_at IS NULL)"
                " RETURNING item_id",
                [now, token_hash, client_id, now],
            )
            if row is None:
                return None
            item_id: str = row[0]
            await tx.execute(
                "INSERT INTO access_tokens (token_hash, item_id, client_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                [access_token_hash, item_id, client_id, now],
            )
            await _insert_audit(
                tx, [e if e.item_id else dataclasses.replace(e, item_id=item_id) for e in audit]
            )
        return item_id

    async def get_item_by_access_token(
        self, token_hash: str, *, client_id: str | None = None
    ) -> Item | None:
        if client_id is None:
            row = await self.fetchone(_ITEM_BY_ACCESS_TOKEN, [token_hash])
        else:
            row = await self.fetchone(_ITEM_BY_ACCESS_TOKEN_OF, [token_hash, client_id])
        return _item(row) if row else None

    async def get_item_and_account(
        self, token_hash: str, account_id: str, *, client_id: str | None = None
    ) -> tuple[Item, Account | None] | None:
        if client_id is None:
            row = await self.fetchone(_ITEM_AND_ACCOUNT_SELECT, [account_id, token_hash])
        else:
            row = await self.fetchone(_ITEM_AND_ACCOUNT_OF, [account_id, token_hash, client_id])
        if row is None:
            return None
        return _item(row[:9]), (_account(row[9:]) if row[9] is not None else None)

    async def create_processor_token(
        self, token: ProcessorToken, audit: Sequence[AuditEntry] = ()
    ) -> None:
        async with self.transaction() as tx:
            await self._insert_processor_token(tx, token)
            await _insert_audit(tx, audit)

    async def _insert_processor_token(self, tx: Transaction, token: ProcessorToken) -> None:
        await tx.execute(
            "INSERT INTO processor_tokens (token_hash, item_id, account_id, client_id,"
            " processor, products, webhook, created_at, world)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [token.token_hash, token.item_id, token.account_id, token.client_id,
             token.processor, _names(token.products), token.webhook, token.created_at,
             token.world],
        )  # fmt: skip

    async def get_processor_token(
        self, token_hash: str, *, client_id: str | None = None
    ) -> ProcessorToken | None:
        if client_id is None:
            row = await self.fetchone(_PROCESSOR_TOKEN_SELECT, [token_hash])
        else:
            row = await self.fetchone(_PROCESSOR_TOKEN_OF, [token_hash, client_id])
        return _processor_token(row) if row else None

    async def get_processor_token_grant(
        self, token_hash: str, *, usable_by: Client | None = None
    ) -> tuple[ProcessorToken, Item, Account] | None:
        if usable_by is None:
            row = await self.fetchone(_GRANT_SELECT, [token_hash])
        else:
            row = await self.fetchone(
                _GRANT_USABLE_BY,
                [token_hash, usable_by.processor, usable_by.world, usable_by.client_id],
            )
        if row is None:
            return None
        # Every column once: the ids that the three rows share are read from one of them.
        item = _item(row[5:14])
        account = Account(row[14], item.item_id, row[15], row[16], row[17], row[18], row[19],
                          row[20], Balances(row[21], row[22], row[23], row[24], row[25]),
                          row[26], row[27])  # fmt: skip
        token = ProcessorToken(token_hash, item.item_id, account.account_id, row[0], row[1],
                               row[2], _strings(row[3]), row[4], row[28])  # fmt: skip
        return token, item, account

    async def set_account_verification_status(
        self,
        account_id: str,
        status: str,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
    ) -> bool:
        return await self._update_audited(
            "UPDATE accounts SET verification_status = ? WHERE account_id = ?"
            " AND verification_status = 'pending_automatic_verification'"
            " AND EXISTS (SELECT 1 FROM items WHERE items.item_id = accounts.item_id"
            " AND items.removed_at IS NULL)",
            [status, account_id],
            audit,
            webhooks,
        )

    async def set_processor_token_products(
        self, token_hash: str, products: Sequence[str], audit: Sequence[AuditEntry] = ()
    ) -> bool:
        return await self._update_audited(
            "UPDATE processor_tokens SET products = ? WHERE token_hash = ?" + _ITEM_NOT_REMOVED,
            [_names(products), token_hash],
            audit,
        )

    async def create_bank_account_token(
        self, token: BankAccountToken, audit: Sequence[AuditEntry] = ()
    ) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO bank_account_tokens (token_hash, item_id, account_id, client_id,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                [token.token_hash, token.item_id, token.account_id, token.client_id,
                 token.created_at],
            )  # fmt: skip
            await _insert_audit(tx, audit)

    async def get_bank_account_token(self, token_hash: str) -> BankAccountToken | None:
        row = await self.fetchone(
            "SELECT b.token_hash, b.item_id, b.account_id, b.client_id, b.created_at"
            " FROM bank_account_tokens b JOIN items i ON i.item_id = b.item_id"
            " WHERE b.token_hash = ? AND i.removed_at IS NULL",
            [token_hash],
        )
        return BankAccountToken(*row) if row else None

    async def list_bank_account_tokens(self, item_id: str) -> list[BankAccountToken]:
        rows = await self.fetchall(
            "SELECT token_hash, item_id, account_id, client_id, created_at"
            " FROM bank_account_tokens WHERE item_id = ? ORDER BY created_at, token_hash",
            [item_id],
        )
        return [BankAccountToken(*row) for row in rows]

    async def create_link_token(self, token: LinkToken, audit: Sequence[AuditEntry] = ()) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO link_tokens (token_hash, client_id, item_id, created_at,"
                " expires_at, metadata) VALUES (?, ?, ?, ?, ?, ?)",
                [token.token_hash, token.client_id, token.item_id, token.created_at,
                 token.expires_at, _encode(token.metadata).decode()],
            )  # fmt: skip
            await _insert_audit(tx, audit)

    async def get_link_token(self, token_hash: str, *, client_id: str) -> LinkToken | None:
        row = await self.fetchone(
            "SELECT token_hash, client_id, created_at, expires_at, metadata, item_id"
            " FROM link_tokens WHERE token_hash = ? AND client_id = ?",
            [token_hash, client_id],
        )
        if row is None:
            return None
        return LinkToken(row[0], row[1], row[2], row[3], _decode_link_metadata(row[4]), row[5])

    async def list_audit(self, item_id: str | None = None) -> list[AuditEntry]:
        # Entries of one request share `at`; `seq` keeps their order within it.
        order = " ORDER BY at, request_id, seq"
        if item_id is None:
            rows = await self.fetchall(_AUDIT + order)
        else:
            rows = await self.fetchall(_AUDIT + " WHERE item_id = ?" + order, [item_id])
        return [_audit_entry(r) for r in rows]

    async def list_audit_page(
        self, *, item_id: str | None = None, actor: str | None = None,
        action: str | None = None, since: float | None = None, until: float | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:  # fmt: skip
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("item_id", item_id), ("actor", actor), ("action", action)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        if until is not None:
            where.append("at < ?")
            params.append(until)
        sql = _AUDIT + (" WHERE " + " AND ".join(where) if where else "")
        order = " ORDER BY at DESC, request_id DESC, seq DESC"
        rows = await self.fetchall(sql + order + " LIMIT ?", [*params, limit])
        if len(rows) == limit:
            # A page ends with the whole of its last instant: the entries of one request
            # share `at`, and the next page starts before it (`until` = that instant).
            last = rows[-1][0]
            rest = sql + (" AND " if where else " WHERE ") + "at = ?"
            tied = await self.fetchall(rest + order, [*params, last])
            rows = [r for r in rows if r[0] != last] + tied
        return [_audit_entry(r) for r in rows]

    async def increment_rate_counters(
        self, scopes: Sequence[str], window_start: int, prune_before: int | None = None
    ) -> list[int]:
        if prune_before is not None:
            async with self.transaction() as tx:
                await tx.execute(
                    "DELETE FROM rate_limit_counters WHERE window_start < ?", [prune_before]
                )
        # One statement increments every counter and reads the counts: atomic by itself, so
        # two servers racing on one counter each see a different count, and one round trip
        # on PostgreSQL (SQLite >= 3.35 has UPSERT ... RETURNING too). The scopes are
        # distinct: PostgreSQL refuses to update one row twice in a statement.
        rows = await self._write_returning(
            "INSERT INTO rate_limit_counters (scope, window_start, hits) VALUES "
            + ", ".join(["(?, ?, 1)"] * len(scopes))
            + " ON CONFLICT (scope, window_start)"
            " DO UPDATE SET hits = rate_limit_counters.hits + 1 RETURNING scope, hits",
            [value for scope in scopes for value in (scope, window_start)],
        )
        hits = {scope: int(count) for scope, count in rows}
        return [hits[scope] for scope in scopes]

    async def set_processor_token_webhook(
        self,
        token_hash: str,
        webhook: str | None,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
    ) -> bool:
        return await self._update_audited(
            "UPDATE processor_tokens SET webhook = ? WHERE token_hash = ?" + _ITEM_NOT_REMOVED,
            [webhook, token_hash],
            audit,
            webhooks,
        )

    async def add_signal_record(
        self,
        item_id: str,
        account_id: str,
        kind: str,
        client_transaction_id: str | None,
        data: dict[str, Any],
        created_at: float,
        client_id: str | None = None,
    ) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO signal_records (item_id, account_id, kind, client_transaction_id,"
                " data, created_at, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [item_id, account_id, kind, client_transaction_id, json.dumps(data),
                 created_at, client_id],
            )  # fmt: skip

    async def list_signal_records(
        self, item_id: str, kind: str | None = None
    ) -> list[SignalRecord]:
        sql = (
            "SELECT account_id, kind, client_transaction_id, data, created_at"
            " FROM signal_records WHERE item_id = ?"
        )
        params: list[Any] = [item_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        rows = await self.fetchall(sql + " ORDER BY created_at", params)
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    async def find_signal_evaluation(
        self, client_id: str, client_transaction_id: str, account_id: str | None = None
    ) -> tuple[str, str] | None:
        sql = (
            "SELECT s.item_id, s.account_id FROM signal_records s"
            " JOIN items i ON i.item_id = s.item_id"
            " WHERE s.client_transaction_id = ? AND s.kind = 'evaluate'"
            " AND i.removed_at IS NULL"
        )
        params: list[Any] = [client_transaction_id]
        if account_id is None:
            sql += " AND s.client_id = ?"
            params.append(client_id)
        else:
            # Records from before client_id was kept were all a partner's, by its token.
            sql += " AND s.account_id = ? AND (s.client_id = ? OR s.client_id IS NULL)"
            params += [account_id, client_id]
        row = await self.fetchone(sql + " ORDER BY s.created_at DESC LIMIT 1", params)
        return None if row is None else (row[0], row[1])

    # Transactions ------------------------------------------------------------------------

    async def get_transactions_state(self, item_id: str) -> TransactionsState | None:
        row = await self.fetchone(
            "SELECT days_requested, generation FROM transactions_items WHERE item_id = ?",
            [item_id],
        )
        if row is None:
            return None
        refreshes = await self.fetchall(
            "SELECT refreshed_at FROM transactions_refreshes WHERE item_id = ?"
            " AND generation <= ? ORDER BY generation",
            [item_id, row[1]],
        )
        users = await self.fetchall(
            "SELECT subject FROM transactions_sync_users WHERE item_id = ?", [item_id]
        )
        return TransactionsState(
            item_id, row[0], row[1], tuple(r[0] for r in refreshes),
            frozenset(r[0] for r in users),
        )  # fmt: skip

    async def init_transactions(
        self, item_id: str, days_requested: int, now: float, *, webhooks: Sequence[Webhook] = ()
    ) -> TransactionsState:
        async with self.transaction() as tx:
            won = await tx.fetchone(
                "INSERT INTO transactions_items (item_id, days_requested, generation,"
                " initialized_at) VALUES (?, ?, 0, ?) ON CONFLICT (item_id) DO NOTHING"
                " RETURNING item_id",
                [item_id, days_requested, now],
            )
            if won is not None:
                await _insert_webhooks(tx, webhooks)
        state = await self.get_transactions_state(item_id)
        assert state is not None
        return state

    async def _next_round(
        self, tx: Transaction, item_id: str, now: float, generation: int | None
    ) -> int | None:
        """Move the Item to its next refresh round at `now`; the round's generation, or None
        if `generation` is given and no longer the Item's."""
        # The UPDATE locks the row, so concurrent rounds get consecutive generations.
        if generation is None:
            row = await tx.fetchone(
                "UPDATE transactions_items SET generation = generation + 1 WHERE item_id = ?"
                " RETURNING generation",
                [item_id],
            )
        else:
            row = await tx.fetchone(
                "UPDATE transactions_items SET generation = generation + 1 WHERE item_id = ?"
                " AND generation = ? RETURNING generation",
                [item_id, generation],
            )
        if row is None:
            if generation is not None and await tx.fetchone(
                "SELECT 1 FROM transactions_items WHERE item_id = ?", [item_id]
            ):
                return None
            raise LookupError(f"transactions are not initialized for {item_id}")
        await tx.execute(
            "INSERT INTO transactions_refreshes (item_id, generation, refreshed_at)"
            " VALUES (?, ?, ?)",
            [item_id, row[0], now],
        )
        return int(row[0])

    async def refresh_transactions(
        self,
        item_id: str,
        now: float,
        *,
        generation: int | None = None,
        webhooks: Sequence[Webhook] = (),
    ) -> TransactionsState | None:
        async with self.transaction() as tx:
            reached = await self._next_round(tx, item_id, now, generation)
            if reached is not None:
                await _insert_webhooks(tx, webhooks)
        if reached is None:
            return None
        state = await self.get_transactions_state(item_id)
        assert state is not None
        # As of this refresh: a concurrent one may have committed after it.
        return dataclasses.replace(
            state, generation=reached, refreshed_at=state.refreshed_at[:reached]
        )

    async def create_sandbox_transactions(
        self,
        item_id: str,
        transactions: Sequence[CreatedTransaction],
        now: float,
        audit: Sequence[AuditEntry] = (),
        *,
        generation: int | None = None,
        webhooks: Sequence[Webhook] = (),
    ) -> TransactionsState | None:
        async with self.transaction() as tx:
            reached = await self._next_round(tx, item_id, now, generation)
            if reached is not None:
                for seq, t in enumerate(transactions):
                    await tx.execute(
                        "INSERT INTO sandbox_transactions (item_id, generation, seq, account_id,"
                        " date_transacted, date_posted, amount, description, iso_currency_code)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [item_id, reached, seq, t.account_id, t.date_transacted.isoformat(),
                         t.date_posted.isoformat(), t.amount, t.description,
                         t.iso_currency_code],
                    )  # fmt: skip
                await _insert_audit(tx, audit)
                await _insert_webhooks(tx, webhooks)
        if reached is None:
            return None
        state = await self.get_transactions_state(item_id)
        assert state is not None
        created = [t for t in await self.list_sandbox_transactions(item_id)
                   if t.generation <= reached]  # fmt: skip
        return dataclasses.replace(
            state, generation=reached, refreshed_at=state.refreshed_at[:reached],
            created=tuple(created),
        )  # fmt: skip

    async def list_sandbox_transactions(self, item_id: str) -> list[CreatedTransaction]:
        rows = await self.fetchall(
            "SELECT generation, seq, account_id, date_transacted, date_posted, amount,"
            " description, iso_currency_code FROM sandbox_transactions WHERE item_id = ?"
            " ORDER BY generation, seq",
            [item_id],
        )
        return [
            CreatedTransaction(
                r[0],
                r[1],
                r[2],
                date.fromisoformat(r[3]),
                date.fromisoformat(r[4]),
                r[5],
                r[6],
                r[7],
            )
            for r in rows
        ]

    async def add_transactions_sync_user(self, item_id: str, subject: str, now: float) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO transactions_sync_users (item_id, subject, first_synced_at)"
                " VALUES (?, ?, ?) ON CONFLICT (item_id, subject) DO NOTHING",
                [item_id, subject, now],
            )

    async def list_processor_tokens(self, item_id: str) -> list[ProcessorToken]:
        rows = await self.fetchall(
            "SELECT token_hash, item_id, account_id, client_id, processor, created_at,"
            " products, webhook, world FROM processor_tokens WHERE item_id = ? ORDER BY created_at",
            [item_id],
        )
        return [_processor_token(r) for r in rows]

    # Webhook signing keys ----------------------------------------------------------------

    async def ensure_webhook_key(
        self, candidate: WebhookKey, audit: Sequence[AuditEntry] = ()
    ) -> WebhookKey:
        async with self.transaction() as tx:
            # The unique `is_current` column decides between servers starting at once: on
            # PostgreSQL the second insert waits for the first to commit, then does nothing.
            if await tx.execute(_INSERT_CURRENT_KEY, _key_values(candidate)):
                await _insert_audit(tx, audit)
            row = await tx.fetchone(_WEBHOOK_KEY + " WHERE is_current = 1")
        assert row is not None
        return _webhook_key(row)

    async def rotate_webhook_key(
        self, new: WebhookKey, old_expires_at: float, audit: Sequence[AuditEntry] = ()
    ) -> WebhookKey | None:
        while True:
            async with self.transaction() as tx:
                # The UPDATE locks the current row; a rotation racing with this one finds
                # it no longer current once this commits, and its insert then conflicts with
                # this one's new key: it changes nothing and goes round again.
                old = await tx.fetchone(
                    "UPDATE webhook_keys SET is_current = NULL, expired_at = ? WHERE is_current = 1"
                    " RETURNING kid, private_key, x, y, created_at, expired_at, is_current",
                    [old_expires_at],
                )
                inserted = await tx.execute(_INSERT_CURRENT_KEY, _key_values(new))
                if inserted:
                    await _insert_audit(tx, audit)
                elif old is not None:
                    raise AssertionError("a current key survived its own UPDATE")
            if inserted:
                return _webhook_key(old) if old is not None else None

    async def get_webhook_key(self, kid: str) -> WebhookKey | None:
        row = await self.fetchone(_WEBHOOK_KEY + " WHERE kid = ?", [kid])
        return _webhook_key(row) if row else None

    async def current_webhook_key(self) -> WebhookKey | None:
        row = await self.fetchone(_WEBHOOK_KEY + " WHERE is_current = 1")
        return _webhook_key(row) if row else None

    async def list_webhook_keys(self) -> list[WebhookKey]:
        rows = await self.fetchall(_WEBHOOK_KEY + " ORDER BY created_at, kid")
        return [_webhook_key(r) for r in rows]

    # The webhook outbox ------------------------------------------------------------------

    # What a backend adds to the claim's inner SELECT so that concurrent claims skip each
    # other's rows rather than wait (PostgreSQL: FOR UPDATE SKIP LOCKED). SQLite has one
    # writer at a time, so its claims cannot overlap.
    _SKIP_LOCKED = ""

    async def enqueue_webhooks(
        self, webhooks: Sequence[Webhook], audit: Sequence[AuditEntry] = ()
    ) -> None:
        async with self.transaction() as tx:
            await _insert_webhooks(tx, webhooks)
            await _insert_audit(tx, audit)

    async def claim_webhooks(self, now: float, claim_until: float, limit: int) -> list[Webhook]:
        rows = await self._write_returning(
            "UPDATE webhooks SET claimed_until = ? WHERE webhook_id IN (SELECT webhook_id FROM"
            " webhooks WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?"
            " AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY next_attempt_at"
            " LIMIT ?" + self._SKIP_LOCKED + ") RETURNING " + _WEBHOOK_COLUMNS,
            [claim_until, now, now, limit],
        )
        return sorted((_webhook(r) for r in rows), key=lambda w: w.next_attempt_at or 0.0)

    async def next_webhook_due(self) -> float | None:
        row = await self.fetchone(
            "SELECT MIN(next_attempt_at) FROM webhooks WHERE next_attempt_at IS NOT NULL"
            " AND claimed_until IS NULL"
        )
        return None if row is None or row[0] is None else float(row[0])

    async def record_webhook_attempt(
        self,
        webhook_id: str,
        at: float,
        latency_ms: float,
        status_code: int | None,
        error: str | None,
        status: str,
        next_attempt_at: float | None,
    ) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO webhook_attempts (webhook_id, attempt, at, latency_ms, status_code,"
                " error) SELECT ?, COALESCE(MAX(attempt), 0) + 1, ?, ?, ?, ? FROM"
                " webhook_attempts WHERE webhook_id = ?",
                [webhook_id, at, latency_ms, status_code, error, webhook_id],
            )
            await tx.execute(
                "UPDATE webhooks SET status = ?, attempts = attempts + 1, next_attempt_at = ?,"
                " claimed_until = NULL WHERE webhook_id = ?",
                [status, next_attempt_at, webhook_id],
            )

    async def list_webhooks(
        self, *, item_id: str | None = None, status: str | None = None, limit: int = 50,
        client_id: str | None = None, before: tuple[float, str] | None = None,
    ) -> list[Webhook]:  # fmt: skip
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("item_id", item_id), ("status", status), ("client_id", client_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if before is not None:
            where.append("(created_at < ? OR (created_at = ? AND webhook_id > ?))")
            params += [before[0], before[0], before[1]]
        sql = _WEBHOOK + (" WHERE " + " AND ".join(where) if where else "")
        rows = await self.fetchall(
            sql + " ORDER BY created_at DESC, webhook_id LIMIT ?", [*params, limit]
        )
        return [_webhook(r) for r in rows]

    async def get_webhook(self, webhook_id: str) -> Webhook | None:
        row = await self.fetchone(_WEBHOOK + " WHERE webhook_id = ?", [webhook_id])
        return _webhook(row) if row else None

    async def list_webhook_attempts(self, webhook_id: str) -> list[WebhookAttempt]:
        rows = await self.fetchall(
            "SELECT webhook_id, attempt, at, latency_ms, status_code, error FROM"
            " webhook_attempts WHERE webhook_id = ? ORDER BY attempt",
            [webhook_id],
        )
        return [_webhook_attempt(r) for r in rows]

    async def redeliver_webhook(
        self, webhook_id: str, now: float, audit: Sequence[AuditEntry] = ()
    ) -> bool:
        return await self._update_audited(
            "UPDATE webhooks SET status = 'pending', attempts = 0, round_started_at = ?,"
            " next_attempt_at = ?, claimed_until = NULL WHERE webhook_id = ?",
            [now, now, webhook_id],
            audit,
        )

    # Worlds and inboxes (the control API) ---------------------------------------------

    async def reset_client(self, client_id: str, audit: Sequence[AuditEntry] = ()) -> None:
        async with self.transaction() as tx:
            for table, condition in _CLIENT_DATA:
                await tx.execute(f"DELETE FROM {table} WHERE {condition}", [client_id])
            # The client's own rate-limit counters (`<operation>:client:<client_id>`); an
            # Item's end with its Item, whose id never comes back.
            escaped = client_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            await tx.execute(
                "DELETE FROM rate_limit_counters WHERE scope LIKE ? ESCAPE '\\'",
                ["%:client:" + escaped],
            )
            # The rules of its world: an isolated client's world, and a shared-world
            # client's own rules, are both stored under its client_id (faults.world_of).
            await tx.execute("DELETE FROM fault_rules WHERE world = ?", [client_id])
            await tx.execute(_CLEAR_FAULTED, [client_id, client_id])
            await _insert_audit(tx, audit)

    async def reset_everything(self, audit: Sequence[AuditEntry] = ()) -> None:
        async with self.transaction() as tx:
            for table, _ in _CLIENT_DATA:
                await tx.execute(f"DELETE FROM {table}")
            for table in ("rate_limit_counters", "inbox_deliveries", "inboxes", "fault_rules"):
                await tx.execute(f"DELETE FROM {table}")
            await tx.execute("UPDATE clients SET faulted = 0 WHERE faulted = 1")
            await tx.execute("DELETE FROM clients WHERE world <> ''")
            await _insert_audit(tx, audit)

    # The virtual clock ---------------------------------------------------------------

    async def advance_clock(
        self, world: str, seconds: float, audit: Sequence[AuditEntry] = ()
    ) -> float | None:
        async with self.transaction() as tx:
            # An increment, not a write of the new value: two advances at once both count.
            if not await tx.execute(
                "UPDATE clients SET clock_offset = clock_offset + ? WHERE world = ?",
                [seconds, world],
            ):
                return None
            # A world is named after the client it was made for.
            row = await tx.fetchone("SELECT clock_offset FROM clients WHERE client_id = ?", [world])
            await _insert_audit(tx, audit)
        return None if row is None else float(row[0])

    async def list_clock_items(self, client_id: str) -> list[tuple[Item, float]]:
        rows = await self.fetchall(
            _ITEM_WITH_LOGIN + " WHERE client_id = ? AND removed_at IS NULL"
            " ORDER BY created_at, item_id",
            [client_id],
        )
        return [(_item(row), row[9]) for row in rows]

    # Fault rules ----------------------------------------------------------------------

    async def add_fault_rule(self, rule: FaultRule, audit: Sequence[AuditEntry] = ()) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO fault_rules (rule_id, world, path, error_code, status, latency_ms,"
                " drop_connection, remaining, probability, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [rule.rule_id, rule.world, rule.path, rule.error_code, rule.status,
                 rule.latency_ms, int(rule.drop), rule.remaining, rule.probability,
                 rule.created_at],
            )  # fmt: skip
            await tx.execute(
                "UPDATE clients SET faulted = 1 WHERE client_id = ? OR world = ?",
                [rule.world, rule.world],
            )
            await _insert_audit(tx, audit)

    async def list_fault_rules(self, world: str) -> list[FaultRule]:
        rows = await self.fetchall(
            "SELECT rule_id, world, path, error_code, status, latency_ms, drop_connection,"
            " remaining, probability, created_at FROM fault_rules"
            " WHERE world = ? AND (remaining IS NULL OR remaining > 0)"
            " ORDER BY created_at, rule_id",
            [world],
        )
        return [
            FaultRule(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8], r[9])
            for r in rows
        ]

    async def take_fault_rule(self, rule_id: str) -> bool:
        async with self.transaction() as tx:
            # One statement decides: two servers taking the last use at once both run it,
            # and the row lock (PostgreSQL) or the write lock (SQLite) lets one see > 0.
            row = await tx.fetchone(
                "UPDATE fault_rules SET remaining = remaining - 1"
                " WHERE rule_id = ? AND remaining > 0 RETURNING remaining, world",
                [rule_id],
            )
            if row is None:
                return False
            if row[0] == 0:
                await tx.execute("DELETE FROM fault_rules WHERE rule_id = ?", [rule_id])
                await _clear_faulted_if_none(tx, row[1])
        return True

    async def remove_fault_rules(
        self, world: str, rule_id: str | None = None, audit: Sequence[AuditEntry] = ()
    ) -> int:
        async with self.transaction() as tx:
            if rule_id is None:
                removed = await tx.execute("DELETE FROM fault_rules WHERE world = ?", [world])
            else:
                removed = await tx.execute(
                    "DELETE FROM fault_rules WHERE world = ? AND rule_id = ?", [world, rule_id]
                )
            await _clear_faulted_if_none(tx, world)
            await _insert_audit(tx, audit)
        return removed

    async def create_inbox(self, inbox_id: str, world: str, now: float) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO inboxes (inbox_id, world, created_at) VALUES (?, ?, ?)",
                [inbox_id, world, now],
            )

    async def add_inbox_delivery(
        self, inbox_id: str, now: float, headers: str, body: str, most: int
    ) -> bool | None:
        async with self.transaction() as tx:
            # The inbox's row is locked (PostgreSQL) by the UPDATE, so that deliveries to one
            # inbox get consecutive numbers.
            found = await tx.fetchone(
                "UPDATE inboxes SET created_at = created_at WHERE inbox_id = ? RETURNING inbox_id",
                [inbox_id],
            )
            if found is None:
                return None
            row = await tx.fetchone(
                "SELECT COUNT(*) FROM inbox_deliveries WHERE inbox_id = ?", [inbox_id]
            )
            count = int(row[0]) if row else 0
            if count >= most:
                return False
            await tx.execute(
                "INSERT INTO inbox_deliveries (inbox_id, seq, received_at, headers, body)"
                " VALUES (?, ?, ?, ?, ?)",
                [inbox_id, count + 1, now, headers, body],
            )
        return True

    async def list_inbox_deliveries(
        self, inbox_id: str, after: int = 0, limit: int = 100
    ) -> list[InboxDelivery] | None:
        if await self.fetchone("SELECT 1 FROM inboxes WHERE inbox_id = ?", [inbox_id]) is None:
            return None
        rows = await self.fetchall(
            "SELECT seq, received_at, headers, body FROM inbox_deliveries"
            " WHERE inbox_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [inbox_id, after, limit],
        )
        return [InboxDelivery(r[0], r[1], r[2], r[3]) for r in rows]


# Clears the flag of a world's clients (the world's key twice: faults.world_of).
_CLEAR_FAULTED = "UPDATE clients SET faulted = 0 WHERE client_id = ? OR world = ?"


async def _clear_faulted_if_none(tx: Transaction, world: str) -> None:
    """Clear the flag of the world's clients unless a rule with a use left remains."""
    if await tx.fetchone(
        "SELECT 1 FROM fault_rules WHERE world = ? AND (remaining IS NULL OR remaining > 0)"
        " LIMIT 1",
        [world],
    ):
        return
    await tx.execute(_CLEAR_FAULTED, [world, world])


# What a client's reset deletes, in an order the foreign keys allow: (table, the condition
# that picks the client's rows, with the client_id as its one parameter).
_OF_CLIENTS_ITEMS = "item_id IN (SELECT item_id FROM items WHERE client_id = ?)"
_CLIENT_DATA: tuple[tuple[str, str], ...] = (
    ("webhook_attempts",
     "webhook_id IN (SELECT webhook_id FROM webhooks WHERE client_id = ?)"),
    ("webhooks", "client_id = ?"),
    ("signal_records", _OF_CLIENTS_ITEMS),
    ("sandbox_transactions", _OF_CLIENTS_ITEMS),
    ("transactions_sync_users", _OF_CLIENTS_ITEMS),
    ("transactions_refreshes", _OF_CLIENTS_ITEMS),
    ("transactions_items", _OF_CLIENTS_ITEMS),
    ("bank_account_tokens", _OF_CLIENTS_ITEMS),
    ("processor_tokens", _OF_CLIENTS_ITEMS),
    ("access_tokens", _OF_CLIENTS_ITEMS),
    ("public_tokens", _OF_CLIENTS_ITEMS),
    ("link_tokens", "client_id = ?"),
    ("accounts", _OF_CLIENTS_ITEMS),
    ("items", "client_id = ?"),
)  # fmt: skip
