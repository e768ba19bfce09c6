"""The embedded default: one SQLite file in WAL mode.

SQLite calls are made on the event loop's thread. A primary-key read costs about 17 us
(PERFORMANCE-NOTES.md), far less than handing it to a thread would, and no call ever
awaits in the middle of a transaction, so a transaction is never interleaved with another
request of the same process. Several processes share the file through SQLite's own locks.
"""

from __future__ import annotations

import sqlite3
import threading
import time
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


# How often the checkpoint thread copies the WAL back into the database file.
CHECKPOINT_INTERVAL = 0.2
# A passive checkpoint never catches up with a writer that never pauses, and the WAL is
# reused from its start only once it has been copied whole: past this many pages (256 MB)
# a RESTART checkpoint holds writers back for the few frames left, so the WAL stays
# bounded. It blocks the event loop while it runs, so it should be rare: at 16 MB it ran
# several times a second under a steady /processor/token/create load, p99 up by half.
WAL_RESTART_PAGES = 65536
# After a restart the WAL file is cut back to this size.
WAL_SIZE_LIMIT = 64 * 1024 * 1024


class _Checkpointer(threading.Thread):
    """WAL checkpoints on a connection and thread of their own, off the request path.

    SQLite's automatic checkpoint runs (with its fsync) inside the COMMIT that crosses
    1000 WAL pages, so 1 write in a few hundred took 1-11 ms and that was the whole p99
    (PERFORMANCE-NOTES.md). sqlite3 releases the GIL while SQLite works, so the loop runs
    on meanwhile. A PASSIVE checkpoint never blocks readers or the writer.
    """

    def __init__(self, path: str) -> None:
        super().__init__(name="tokenbridge-sqlite-checkpoint", daemon=True)
        self._path = path
        self._stopping = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 1000")
        try:
            while not self._stopping.wait(CHECKPOINT_INTERVAL):
                try:
                    _, wal_pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if wal_pages > WAL_RESTART_PAGES:
                        conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                except sqlite3.Error:
                    continue  # busy or locked: the next round catches up
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join()


def _enable_wal(conn: sqlite3.Connection, deadline_seconds: float = 10.0) -> None:
    """Switch the file to WAL mode, waiting for other connections that do the same.

    The switch needs an exclusive lock, and SQLite answers "database is locked" at once,
    without its busy handler, when several servers open a new file together; so wait here.
    """
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SqliteStore(SqlStore):
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 10000")
        _enable_wal(self._conn)
        # In WAL mode NORMAL keeps every commit across a process crash (kill -9); only a
        # power loss can drop the last few.
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._checkpointer: _Checkpointer | None = None
        if path != ":memory:":
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            self._checkpointer = _Checkpointer(path)
            self._checkpointer.start()

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
        # Random token hashes land all over the primary-key indexes: with the default 2 MB
        # page cache nearly every insert reads and writes pages through the OS; 512 MB
        # keeps a million-token index in memory (the seed process is short-lived).
        self._conn.execute("PRAGMA cache_size = -524288")
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
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._conn.close()
