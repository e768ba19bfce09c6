"""open_store(create=False): for commands that only read, a missing SQLite file is an
error, and nothing is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.storage import factories as f
from tokenbridge.storage import DatabaseMissing, open_store

pytestmark = pytest.mark.anyio


async def test_a_missing_file_is_named_and_not_made(tmp_path: Path) -> None:
    db = tmp_path / "folder" / "tb.db"
    with pytest.raises(DatabaseMissing) as caught:
        await open_store(f"sqlite:///{db}", create=False)
    assert caught.value.path == str(db)
    assert str(caught.value) == f"no database at {db}"
    assert list(tmp_path.iterdir()) == []


async def test_an_existing_file_opens_and_reads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    client = f.client()
    store = await open_store(url)
    try:
        assert await store.create_client(client)
    finally:
        await store.close()
    store = await open_store(url, create=False)
    try:
        assert [c.client_id for c in await store.list_clients()] == [client.client_id]
    finally:
        await store.close()


async def test_a_file_name_with_uri_characters_opens(tmp_path: Path) -> None:
    # create=False opens through a file: URI; a '?' or '#' in the name must not cut it.
    path = tmp_path / "a?b#c %d.db"
    url = "sqlite:///" + str(path).replace("%", "%25")
    await (await open_store(url)).close()
    await (await open_store(url, create=False)).close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == [path.name]
