"""PostgreSQL: many stateless servers over one database.

Connections come from a psycopg pool in autocommit mode: a read is one statement and one
round trip, a write runs in an explicit transaction.

The pool does not test a connection when it is handed out (that would be one more round
trip per request). A connection the database has dropped (restart, failover,
`pg_terminate_backend`) is noticed by the first statement sent on it instead: the pool
then replaces it, every idle connection is tested once, and the operation is retried once
where that is safe: a read always, a write only if its BEGIN failed, so nothing of it ran.
Anything else becomes `StoreUnavailable` (answered as API_ERROR/INTERNAL_SERVER_ERROR),
and the pool keeps reconnecting in the background, so the server recovers by itself when
the database comes back.

The URL is handed to libpq as it is, so every libpq parameter works, e.g.
`postgresql://app@db:5432/tokenbridge?options=-csearch_path%3Dtb&connect_timeout=5`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from tokenbridge.domain.ports import StoreUnavailable
from tokenbridge.domain.redaction import redact_password
from tokenbridge.storage.sql import Row, SqlStore, migrations, split_statements

# Any fixed number: every tokenbridge server takes this advisory lock to migrate.
_MIGRATION_LOCK = 7_242_001

# A connection that broke under us: the database restarted, or dropped it.
_LOST = (psycopg.OperationalError, psycopg.InterfaceError)
# What a lost or unreachable database raises; answered as API_ERROR/INTERNAL_SERVER_ERROR.
_UNAVAILABLE = (*_LOST, PoolTimeout)

# How long a request waits for a connection before it fails (the database is down, or
# every connection is busy).
POOL_TIMEOUT = 5.0
# The pool retries a failed connection with a doubling delay, and gives up on it after
# this long; a later request then starts a fresh attempt at once. Keeping it short bounds
# the time from the database's return to the first successful request.
RECONNECT_TIMEOUT = 10.0


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class _PostgresTransaction:
    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(_pg(sql), params)
        return cur.rowcount

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = await self._conn.execute(_pg(sql), params)
        return await cur.fetchone()

    async def copy(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Bulk-load rows with COPY, far faster than INSERTs (used by `db seed`)."""
        async with self._conn.cursor() as cur:
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            async with cur.copy(statement) as copy:
                for row in rows:
                    await copy.write_row(row)


class PostgresStore(SqlStore):
    # Servers claiming webhooks at once skip each other's rows instead of waiting for them.
    _SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, min_size: int = 2, max_size: int = 10) -> None:
        self._url = url
        self._pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True},
            timeout=POOL_TIMEOUT,
            reconnect_timeout=RECONNECT_TIMEOUT,
            open=False,
        )
        self._checking: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Connect; StoreUnavailable, with libpq's reason, if the database cannot be reached."""
        try:
            # One direct connection first: it fails at once with the real reason (refused,
            # no such role), where the pool would retry quietly until its timeout.
            probe = await psycopg.AsyncConnection.connect(self._url, connect_timeout=10)
            await probe.close()
            await self._pool.open(wait=True, timeout=10.0)
        except Exception as exc:
            # libpq quotes the piece of the URL it could not parse, which may be the password;
            # `from None`, so that no traceback prints the original message either.
            reason = redact_password(str(exc), self._url)
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {reason}") from None

    async def _recover(self) -> None:
        """Test every idle connection and replace the dead ones; one check at a time."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.ensure_future(self._pool.check())
        # shield: a request that gives up must not cancel the check others wait on.
        await asyncio.shield(self._checking)

    async def _begin(self) -> tuple[AsyncExitStack, psycopg.AsyncConnection[Any]]:
        """A connection inside BEGIN; the stack, closed, commits (or rolls back) and returns it."""
        for attempt in range(2):
            stack = AsyncExitStack()
            conn = await stack.enter_async_context(self._pool.connection())
            try:
                await stack.enter_async_context(conn.transaction())
            except _LOST:
                # The pool sees the broken connection come back and replaces it.
                await stack.aclose()
                if attempt:
                    raise
                await self._recover()
                continue
            return stack, conn
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PostgresTransaction]:
        try:
            stack, conn = await self._begin()
            async with stack:
                yield _PostgresTransaction(conn)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def _read(self, sql: str, params: Sequence[Any], many: bool) -> Any:
        for attempt in range(2):
            try:
                async with self._pool.connection() as conn:
                    cur = await conn.execute(_pg(sql), params)
                    return await (cur.fetchall() if many else cur.fetchone())
            except _LOST as exc:
                # A read changes nothing, so it is safe to send again on a new connection.
                if attempt:
                    raise StoreUnavailable(str(exc)) from exc
                try:
                    await self._recover()
                except Exception as check_exc:
                    raise StoreUnavailable(str(check_exc)) from exc
            except PoolTimeout as exc:
                raise StoreUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._read(sql, params, many=False)
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = await self._read(sql, params, many=True)
        return rows

    def bulk(self) -> AbstractAsyncContextManager[_PostgresTransaction]:
        """One transaction for a bulk load (`db seed`); rows go in with COPY."""
        return self.transaction()

    async def migrate(self) -> None:
        async with self.transaction() as tx:
            # Serialises servers that start at once; released when the transaction ends.
            await tx.execute("SELECT pg_advisory_xact_lock(?)", [_MIGRATION_LOCK])
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
            for version, script in migrations():
                if await tx.fetchone(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", [version]
                ):
                    continue
                for statement in split_statements(script):
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [version, time.time()],
                )

    async def close(self) -> None:
        await self._pool.close()
