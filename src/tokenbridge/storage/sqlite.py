"""The embedded default: one SQLite file in WAL mode.

SQLite calls are made on the event loop's thread. A primary-key read costs about 17 us
(PERFORMANCE-NOTES.md), far less than handing it to a thread would, and no call ever
awaits in the middle of a transaction. Several processes share the file through SQLite's
own locks.

Writes are committed in groups. Every write transaction begun during one turn of the event
loop runs in a savepoint of one SQLite transaction, committed at the start of the next
turn, and each caller returns only once that COMMIT is done: an answered write is as
durable as before. The COMMIT and its WAL pages are most of a write's cost (about 50 of
80 us for a processor token), and a group shares them. Reads outside a transaction use a
connection of their own, so they never see a group's writes before its COMMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import threading
import time
import urllib.parse
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from tokenbridge.domain.ports import StoreUnavailable
from tokenbridge.storage.sql import Row, SqlStore, migrations, split_statements


class _SqliteTransaction(AbstractAsyncContextManager["_SqliteTransaction"]):
    """One write transaction: a savepoint in the group of this turn of the event loop.

    A class rather than an @asynccontextmanager generator: every write passes here, and the
    generator's machinery (a StopAsyncIteration per block) cost more than the savepoint.
    """

    __slots__ = ("_conn", "_group", "_store")

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._conn = store._conn

    async def __aenter__(self) -> _SqliteTransaction:
        store = self._store
        group = store._group
        if group is not None and not self._conn.in_transaction:
            # SQLite ended the group's transaction by itself (see __aexit__).
            store._abandon(group, StoreUnavailable("the write transaction was rolled back"))
            group = None
        if group is None:
            group = await store._begin()
        elif group.running:
            # Only a block inside another block (or one that awaited mid-way) gets here:
            # its savepoint would interleave with the other's, and a nested one would wait
            # for the COMMIT of its own group. Loudly refused rather than hung.
            raise RuntimeError("a write transaction may not start inside another one")
        # One savepoint per transaction: a block that fails is undone alone.
        self._conn.execute("SAVEPOINT write")
        group.running += 1
        self._group = group
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        group, conn = self._group, self._conn
        failure: StoreUnavailable | None = None
        try:
            if kind is not None:
                conn.execute("ROLLBACK TO write")
            conn.execute("RELEASE write")
        except sqlite3.Error as error:
            failure = StoreUnavailable(str(error))
        finally:
            group.running -= 1
        if not conn.in_transaction:
            # SQLite rolled the whole transaction back by itself (a full disk, an I/O
            # error): this group's earlier writes are gone too, and their callers are told.
            failure = failure or StoreUnavailable("the write transaction was rolled back")
            self._store._abandon(group, failure)
        if kind is not None:
            return  # the block's own exception goes on
        if failure is not None:
            raise failure
        committed = asyncio.get_running_loop().create_future()
        group.waiters.append(committed)
        await committed

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    async def copy(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Bulk-insert rows (used by `db seed`); one prepared statement for them all."""
        marks = ", ".join("?" * len(columns))
        self._conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


# How long a statement waits for a lock that another connection holds.
BUSY_TIMEOUT = 10.0
# How often the checkpoint thread copies the WAL back into the database file.
CHECKPOINT_INTERVAL = 0.2
# The WAL file stays under this size under steady writes (docs/DEPLOYMENT.md): the
# checkpoint thread restarts the WAL before it would hold a quarter of this by the next
# round, at the pace of the last one; the rest is room for a round that comes late on a
# busy machine. Writing 8,000-20,000 processor tokens a second in process (more than a
# server answers), the WAL reached 30-41 MiB at most; before, 270-385 MiB. With half of
# this as the mark instead, it reached 41-69 MiB.
WAL_BOUND = 64 * 1024 * 1024
# How long new write groups wait for a restart of the WAL before going ahead regardless.
RESTART_WAIT = 0.25


class _Checkpointer(threading.Thread):
    """WAL checkpoints on a connection and thread of their own, off the request path.

    SQLite's automatic checkpoint runs (with its fsync) inside the COMMIT that crosses
    1000 WAL pages, so 1 write in a few hundred took 1-11 ms and that was the whole p99
    (PERFORMANCE-NOTES.md). sqlite3 releases the GIL while SQLite works, so the loop runs
    on meanwhile. A PASSIVE checkpoint never blocks readers or the writer.

    A PASSIVE checkpoint never catches up with a writer that never pauses, though, and
    SQLite writes the WAL from its start again only when a write begins with the whole WAL
    copied: under steady writes the WAL grew until a RESTART checkpoint, which needs the
    write lock, happened to get it between two groups (it was tried past 256 MB; up to
    385 MB in process). So near a quarter of `wal_bound` the thread asks for the lock:
    `restarting` is set, the store begins no new write group until it is cleared (awaiting,
    so reads go on and the loop never blocks), and the RESTART checkpoint gets the lock as
    soon as the group in flight commits. Writes wait while it copies what the last PASSIVE
    checkpoint left and syncs the files: 5-50 ms on the test machine, mostly two fsyncs, a
    few times a second under the heaviest load. The writes of other processes on the file
    do not wait; the RESTART then gets the lock as before, between their transactions.
    """

    def __init__(self, path: str, wal_bound: int) -> None:
        super().__init__(name="tokenbridge-sqlite-checkpoint", daemon=True)
        self._path = path
        self._wal_bound = wal_bound
        self._stopping = threading.Event()
        # Set by this thread, read on the event loop's: a plain attribute is enough.
        self.restarting = False

    def run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 1000")
        # A WAL frame is a page and its 24-byte header.
        frame_bytes = conn.execute("PRAGMA page_size").fetchone()[0] + 24
        restart_frames = self._wal_bound // 4 // frame_bytes
        last = 0  # the WAL's frames at the last round
        try:
            while not self._stopping.wait(CHECKPOINT_INTERVAL):
                try:
                    _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    # Fewer frames than last round: SQLite restarted the WAL meanwhile.
                    grown = frames - last if frames >= last else frames
                    last = frames
                    if frames + grown > restart_frames:
                        # One more PASSIVE copies, with writers running, most of what came
                        # in during the last; the RESTART then has little left to copy.
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                        last = 0
                        self.restarting = True
                        try:
                            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                        finally:
                            self.restarting = False
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


def _connect(path: str, *, create: bool = True) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE.
    if create:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    else:
        # mode=rw: SQLite opens the file only if it exists (it makes -wal and -shm still),
        # so a file removed since open_store looked is not made again.
        uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=rw"
        try:
            conn = sqlite3.connect(uri, isolation_level=None, check_same_thread=False, uri=True)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"cannot open {path}: {exc}") from None
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    _enable_wal(conn)
    # In WAL mode NORMAL keeps every commit across a process crash (kill -9); only a
    # power loss can drop the last few.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class _Group:
    """The write transactions of one turn of the event loop, and who awaits their COMMIT."""

    __slots__ = ("abandoned", "running", "waiters")

    def __init__(self) -> None:
        self.abandoned = False
        # Transaction blocks still running. A block never suspends on SQLite, so the
        # COMMIT finds none; if one ever did, the COMMIT would wait for it.
        self.running = 0
        self.waiters: list[asyncio.Future[None]] = []


log = logging.getLogger("tokenbridge.storage")

# The files whose loose permissions were reported already: each is reported once a process.
_reported: set[str] = set()


def _create_private(path: str) -> None:
    """Create the database file readable and writable by its owner only (0600), with any
    missing folder as 0700; a file that exists is left as it is, and reported if others
    may read it.

    SQLite would create the file 0644. It gives its -wal and -shm files the database
    file's own mode, so those are 0600 too. The file is made here with os.open, which
    takes the mode for this one file: the process's umask, shared with every thread, is
    never changed.
    """
    folder = Path(path).parent
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another server made it meanwhile
            each.mkdir(mode=0o700)
    if not os.path.exists(path):
        # No O_EXCL: a server starting at the same moment may create it first, and a
        # symlink with no file behind it yet gets its file made 0600 too.
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            found = os.stat(name)
        except OSError:
            continue
        mode, real = stat.S_IMODE(found.st_mode), os.path.realpath(name)
        if stat.S_ISREG(found.st_mode) and mode & 0o077 and real not in _reported:
            _reported.add(real)
            log.warning(
                "tokenbridge: the database file %s has mode %s: other users may read it"
                " (tokens' hashes and every Item); `chmod 600` it. New database files are"
                " made 0600.",
                name,
                oct(mode),
            )


class SqliteStore(SqlStore):
    def __init__(self, path: str, *, wal_bound: int = WAL_BOUND, create: bool = True) -> None:
        """The store over the SQLite file at `path` (or `:memory:`), created if missing
        unless `create` is False (StoreUnavailable then). Under steady writes its WAL
        stays under `wal_bound` bytes (see _Checkpointer)."""
        if path != ":memory:" and create:
            _create_private(path)
        self._conn = _connect(path, create=create)
        # The writer never waits inside SQLite: _begin waits without blocking the loop.
        self._conn.execute("PRAGMA busy_timeout = 0")
        # A database in memory exists on one connection only, which then reads as well
        # (and so may see a group's writes before its COMMIT).
        self._reader = self._conn
        if path != ":memory:":
            self._reader = _connect(path)
            # Every write belongs in a group; one made here would wait for the group's lock
            # inside SQLite, blocking the loop that is to commit the group.
            self._reader.execute("PRAGMA query_only = 1")
        self._group: _Group | None = None
        self._checkpointer: _Checkpointer | None = None
        if path != ":memory:":
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            # The first COMMIT after a restart of the WAL cuts the file back to this size
            # (the writer does it, so it is set on the writer's connection): a burst of
            # writes leaves no large file behind.
            self._conn.execute(f"PRAGMA journal_size_limit = {wal_bound // 4}")
            self._checkpointer = _Checkpointer(path, wal_bound)
            self._checkpointer.start()

    def transaction(self) -> _SqliteTransaction:
        return _SqliteTransaction(self)

    async def _begin(self) -> _Group:
        """Open a group: BEGIN IMMEDIATE, waiting while another connection (another server
        or worker on the file) holds the write lock. The wait is asynchronous, so that this
        loop commits its own group meanwhile; SQLite's busy handler would block it."""
        loop = asyncio.get_running_loop()
        checkpointer = self._checkpointer
        if checkpointer is not None and checkpointer.restarting:
            # The checkpoint thread is restarting the WAL and needs the write lock.
            until = loop.time() + RESTART_WAIT
            while checkpointer.restarting and loop.time() < until:
                await asyncio.sleep(0.001)
        deadline = loop.time() + BUSY_TIMEOUT
        delay = 0.001
        while self._group is None:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # SQLITE_BUSY_*, too
                if not busy or loop.time() > deadline:
                    raise StoreUnavailable(str(exc)) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.005)
                continue
            except sqlite3.Error as exc:
                raise StoreUnavailable(str(exc)) from exc
            self._group = _Group()
            loop.call_soon(self._commit, self._group)
        # Another transaction of this process may have opened it while this one waited.
        return self._group

    def _abandon(self, group: _Group, failure: StoreUnavailable) -> None:
        """Give up a group whose transaction SQLite has already rolled back."""
        group.abandoned = True
        if self._group is group:
            self._group = None
        for waiter in group.waiters:
            if not waiter.done():
                waiter.set_exception(failure)

    def _commit(self, group: _Group) -> None:
        """COMMIT a group; its first transaction schedules this for the next turn."""
        if group.abandoned:
            return
        if group.running:
            asyncio.get_running_loop().call_soon(self._commit, group)
            return
        self._group = None
        failure: StoreUnavailable | None = None
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                self._conn.execute("ROLLBACK")
            failure = StoreUnavailable(str(exc))
        for waiter in group.waiters:
            if waiter.done():  # its caller was cancelled; the write stands all the same
                continue
            if failure is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(failure)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._reader.execute(sql, params).fetchone()
        return row

    def bulk(self) -> AbstractAsyncContextManager[_SqliteTransaction]:
        """One transaction for a bulk load (`db seed`)."""
        # Random token hashes land all over the primary-key indexes: with the default 2 MB
        # page cache nearly every insert reads and writes pages through the OS; 512 MB
        # keeps a million-token index in memory (the seed process is short-lived).
        self._conn.execute("PRAGMA cache_size = -524288")
        return self.transaction()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._reader.execute(sql, params).fetchall()

    async def _write_returning(self, sql: str, params: Sequence[Any]) -> list[Row]:
        async with self.transaction() as tx:
            rows = await tx.fetchall(sql, params)
        return rows

    async def migrate(self) -> None:
        # BEGIN IMMEDIATE takes the write lock first, so of several servers starting at
        # once on one file, one applies each migration and the others then see it applied.
        async with self.transaction() as tx:
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
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
        if self._group is not None:
            self._commit(self._group)
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._reader is not self._conn:
            self._reader.close()
        self._conn.close()
