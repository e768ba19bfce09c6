"""The embedded default: one SQLite file in WAL mode.

SQLite calls are made on the event loop's thread. A primary-key read costs about 17 us
(PERFORMANCE-NOTES.md), far less than handing it to a thread would, and no call ever
awaits in the middle of a transaction, so a transaction is never interleaved with another
request of the same process. Several processes share the file through SQLite's own locks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from tokenbridge.storage.base import StoreUnavailable
from tokenbridge.storage.sql import Row, SqlStore, migrations, split_statements


class _SqliteTransaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    async def copy(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Bulk-insert rows (used by `db seed`); one prepared statement for them all."""
        marks = ", ".join("?" * len(columns))
        self._conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )


class SqliteStore(SqlStore):
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 10000")
        self._conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL keeps every commit across a process crash (kill -9); only a
        # power loss can drop the last few.
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SqliteTransaction]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc
        try:
            yield _SqliteTransaction(self._conn)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._conn.execute("ROLLBACK")
            raise StoreUnavailable(str(exc)) from exc

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def bulk(self) -> AbstractAsyncContextManager[_SqliteTransaction]:
        """One transaction for a bulk load (`db seed`)."""
        return self.transaction()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    async def migrate(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
        )
        # BEGIN IMMEDIATE takes the write lock first, so of several servers starting at
        # once on one file, one applies each migration and the others then see it applied.
        async with self.transaction() as tx:
            applied = {r[0] for r in self._conn.execute("SELECT version FROM schema_migrations")}
            for version, script in migrations():
                if version in applied:
                    continue
                for statement in split_statements(script):
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at)"
                    " VALUES (?, strftime('%s', 'now'))",
                    [version],
                )

    async def close(self) -> None:
        self._conn.close()
