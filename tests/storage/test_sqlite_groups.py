"""SQLite's group commit: the write transactions of one turn of the event loop share a
COMMIT, and each caller returns only after it (see tokenbridge.storage.sqlite)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.storage import factories as f
from tokenbridge.domain.ports import Store, StoreUnavailable
from tokenbridge.domain.randomness import hash_token
from tokenbridge.storage import open_store
from tokenbridge.storage.sqlite import SqliteStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "groups.db"


@pytest.fixture
async def store(path: Path) -> AsyncIterator[Store]:
    opened = await open_store(f"sqlite:///{path}")
    yield opened
    await opened.close()


def _committed_clients(path: Path) -> set[str]:
    """The client_ids another connection sees: only what is committed."""
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT client_id FROM clients")}


async def test_a_write_is_committed_when_its_caller_returns(store: Store, path: Path) -> None:
    clients = [f.client() for _ in range(20)]
    created = await asyncio.gather(*(store.create_client(c) for c in clients))
    assert created == [True] * 20
    assert {c.client_id for c in clients} <= _committed_clients(path)


async def test_a_failing_write_is_undone_alone(store: Store, path: Path) -> None:
    owner = f.client()
    assert await store.create_client(owner)
    new = f.new_item(owner.client_id)
    await store.create_item(new)
    good = f.processor_token_of(new.item, new.accounts[0], "processor-good")
    # An Item that does not exist: the foreign key refuses this one, in the same turn.
    orphan = f.processor_token_of(
        f.new_item(owner.client_id).item, new.accounts[0], "processor-orphan"
    )
    results = await asyncio.gather(
        store.create_processor_token(good),
        store.create_processor_token(orphan),
        store.create_client(f.client()),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is True
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert await store.get_processor_token(hash_token("processor-good")) is not None
    assert await store.get_processor_token(hash_token("processor-orphan")) is None


async def test_reads_never_see_a_group_before_its_commit(store: Store) -> None:
    client = f.client()
    seen_before_commit: list[object] = []

    async def read_in_the_same_turn() -> None:
        # Runs after create_client's block has written, before the group's COMMIT.
        seen_before_commit.append(await store.get_client(client.client_id))

    created, _ = await asyncio.gather(store.create_client(client), read_in_the_same_turn())
    assert created is True
    assert seen_before_commit == [None]
    assert await store.get_client(client.client_id) is not None


async def test_close_commits_a_pending_group(path: Path) -> None:
    store = await open_store(f"sqlite:///{path}")
    client = f.client()
    task = asyncio.ensure_future(store.create_client(client))
    await asyncio.sleep(0)  # the block has run; its group's COMMIT is still to come
    await store.close()
    assert client.client_id in _committed_clients(path)
    assert await task is True


async def test_a_counted_request_writes_in_the_group_of_its_turn(store: Store) -> None:
    # The rate-limit counters are written by a statement that also reads; it must run in
    # the open group (on the writer), not wait for the group's lock and stall the loop.
    created, counts = await asyncio.gather(
        store.create_client(f.client()), store.increment_rate_counters(["scope-a"], 60)
    )
    assert created is True
    assert counts == [1]
    assert await store.increment_rate_counters(["scope-a", "scope-b"], 60) == [2, 1]


async def test_a_group_that_sqlite_rolls_back_loses_no_answered_write(
    store: Store, path: Path
) -> None:
    writer: sqlite3.Connection = store._conn  # type: ignore[attr-defined]
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute(f"PRAGMA max_page_count = {pages}")  # the file cannot grow: SQLITE_FULL
    small, big = f.client(), f.client(name="x" * 2_000_000)
    both = asyncio.gather(
        store.create_client(small), store.create_client(big), return_exceptions=True
    )
    results = await asyncio.wait_for(both, 60)  # a guard: a lost group once hung its callers
    assert isinstance(results[1], sqlite3.Error | StoreUnavailable)
    # The small one may have been rolled back with the group; if it was answered, it is kept.
    if results[0] is True:
        assert small.client_id in _committed_clients(path)
    else:
        assert isinstance(results[0], StoreUnavailable)
        assert small.client_id not in _committed_clients(path)
    writer.execute("PRAGMA max_page_count = 1073741823")
    later = f.client()
    assert await store.create_client(later) is True
    assert later.client_id in _committed_clients(path)


async def test_a_transaction_inside_another_is_refused(store: Store, path: Path) -> None:
    sqlite_store: SqliteStore = store  # type: ignore[assignment]
    client = f.client()
    with pytest.raises(RuntimeError, match="inside another"):
        async with sqlite_store.transaction() as outer:
            await outer.execute(
                "INSERT INTO clients (client_id, name, secret_hash, created_at)"
                " VALUES (?, ?, ?, ?)",
                [client.client_id, client.name, client.secret_hash, client.created_at],
            )
            async with sqlite_store.transaction():
                pass
    # The outer block was undone with it, and writing goes on.
    assert client.client_id not in _committed_clients(path)
    assert await store.create_client(f.client()) is True
