"""The SQLite files: who may read them, and how large the WAL may grow."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path

import pytest

from tests.storage import factories as f
from tokenbridge.storage import open_store
from tokenbridge.storage.sqlite import SqliteStore

pytestmark = pytest.mark.anyio


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _write_some(url: str) -> None:
    store = await open_store(url)
    try:
        assert await store.create_client(f.client())
    finally:
        await store.close()


async def test_a_new_database_and_its_folders_are_private(tmp_path: Path) -> None:
    existing = tmp_path / "existing"
    existing.mkdir()
    existing.chmod(0o755)
    db = existing / "made" / "here" / "tb.db"
    store = await open_store(f"sqlite:///{db}")
    try:
        assert await store.create_client(f.client())
        # Both -wal and -shm exist while the store is open, with the database's mode.
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert mode(path) == 0o600, path
    finally:
        await store.close()
    assert mode(existing / "made") == 0o700
    assert mode(existing / "made" / "here") == 0o700
    assert mode(existing) == 0o755  # a folder that existed is left as it was


async def test_an_existing_loose_database_is_left_and_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "loose.db"
    await _write_some(f"sqlite:///{db}")
    os.chmod(db, 0o644)
    with caplog.at_level(logging.WARNING, logger="tokenbridge.storage"):
        await _write_some(f"sqlite:///{db}")
        await _write_some(f"sqlite:///{db}")
    assert mode(db) == 0o644  # an operator's choice is not undone
    reports = [r.getMessage() for r in caplog.records if r.name == "tokenbridge.storage"]
    assert len(reports) == 1, reports
    assert str(db) in reports[0] and "0o644" in reports[0] and "chmod 600" in reports[0]


async def test_a_private_database_is_not_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "private.db"
    with caplog.at_level(logging.WARNING, logger="tokenbridge.storage"):
        await _write_some(f"sqlite:///{db}")
        await _write_some(f"sqlite:///{db}")
    assert not [r for r in caplog.records if r.name == "tokenbridge.storage"]


async def test_the_wal_stays_under_its_bound_under_steady_writes(tmp_path: Path) -> None:
    # Before the checkpoint thread restarted the WAL itself, these 9,600 tokens left a WAL
    # of about 45 MiB; the bound is 16 MiB. The writes are paced (32 every few milliseconds), so
    # that the bound is about the policy and not about a starved checkpoint thread.
    bound = 16 * 1024 * 1024
    db = tmp_path / "wal.db"
    store = SqliteStore(str(db), wal_bound=bound)
    await store.migrate()
    try:
        owner = f.client()
        assert await store.create_client(owner)
        new = f.new_item(owner.client_id)
        await store.create_item(new)
        wal, peak, made = Path(f"{db}-wal"), 0, []
        for _ in range(300):
            tokens = [
                f.processor_token_of(new.item, new.accounts[0], f.unique("processor"))
                for _ in range(32)
            ]
            await asyncio.gather(*(store.create_processor_token(t) for t in tokens))
            made += tokens
            peak = max(peak, wal.stat().st_size)
            await asyncio.sleep(0.005)
        assert 0 < peak <= bound, peak
        # Every write made while the WAL was restarted is there.
        assert len(await store.list_processor_tokens(new.item.item_id)) == len(made)
    finally:
        await store.close()
