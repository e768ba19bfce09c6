"""PostgreSQL: many stateless servers over one database.

Connections come from a psycopg pool in autocommit mode: a read is one round trip, a write
runs in an explicit transaction. A broken connection is replaced by the pool, so the server
recovers by itself when the database comes back.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from tokenbridge.storage.base import StoreUnavailable
from tokenbridge.storage.sql import Row, SqlStore, migrations, split_statements

# Any fixed number: every tokenbridge server takes this advisory lock to migrate.
_MIGRATION_LOCK = 7_242_001


# What a lost or unreachable database raises; answered as API_ERROR/INTERNAL_SERVER_ERROR.
_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


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


class PostgresStore(SqlStore):
    def __init__(self, url: str, min_size: int = 1, max_size: int = 10) -> None:
        self._pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True},
            check=AsyncConnectionPool.check_connection,
            timeout=5.0,
            open=False,
        )

    async def open(self) -> None:
        try:
            await self._pool.open(wait=True, timeout=10.0)
        except Exception as exc:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PostgresTransaction]:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                yield _PostgresTransaction(conn)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_pg(sql), params)
                return await cur.fetchone()
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_pg(sql), params)
                return await cur.fetchall()
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(str(exc)) from exc

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
