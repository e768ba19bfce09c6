"""The storage contract of the virtual clock (Store.advance_clock, Store.list_clock_items and
the `logged_in_at` of Store.set_item_error), on every backend, as tests/storage/test_contract.py
is."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tests.storage import factories as f
from tests.storage.test_contract_control import isolated
from tokenbridge.domain import audit
from tokenbridge.domain.ports import Store
from tokenbridge.storage import open_store

pytestmark = pytest.mark.anyio


async def test_a_client_starts_with_its_clock_at_real_time(store: Store) -> None:
    client = isolated()
    assert await store.create_client(client)
    found = await store.get_client(client.client_id)
    assert found is not None and found.clock_offset == 0.0


async def test_advance_moves_every_client_of_the_world_and_no_other(store: Store) -> None:
    developer, other = isolated(), isolated()
    partner = isolated("dwolla", world=developer.client_id)
    shared = f.client()
    for client in (developer, partner, other, shared):
        assert await store.create_client(client)
    entry = audit.entry(f.NOW, "operator", audit.CLOCK_ADVANCE, None, detail="+90 s")
    assert await store.advance_clock(developer.client_id, 90.0, [entry]) == 90.0
    assert await store.advance_clock(developer.client_id, 10.5) == 100.5
    offsets = {c.client_id: c.clock_offset for c in await store.list_clients()}
    assert offsets[developer.client_id] == offsets[partner.client_id] == 100.5
    assert offsets[other.client_id] == offsets[shared.client_id] == 0.0
    assert (await store.list_audit())[-1] == entry


async def test_advancing_an_unknown_world_writes_nothing(store: Store) -> None:
    entry = audit.entry(f.NOW, "operator", audit.CLOCK_ADVANCE, None)
    assert await store.advance_clock("no-such-world", 60.0, [entry]) is None
    assert entry not in await store.list_audit()


async def test_concurrent_advances_all_count(store_url: str) -> None:
    # Separate connections (as separate servers): each advance is an increment.
    stores = [await open_store(store_url) for _ in range(4)]
    try:
        client = isolated()
        assert await stores[0].create_client(client)
        await asyncio.gather(
            *(s.advance_clock(client.client_id, 1.0) for s in stores for _ in range(5))
        )
        found = await stores[0].get_client(client.client_id)
        assert found is not None and found.clock_offset == 20.0
    finally:
        for s in stores:
            await s.close()


async def test_clock_items_are_the_live_items_with_their_last_login(store: Store) -> None:
    client = isolated()
    assert await store.create_client(client)
    first, second, gone = (f.new_item(client.client_id) for _ in range(3))
    second = dataclasses.replace(
        second, item=dataclasses.replace(second.item, created_at=f.NOW + 5)
    )
    for new in (first, second, gone):
        await store.create_item(new)
    await store.remove_item(gone.item.item_id, f.NOW + 1)
    other = isolated()
    assert await store.create_client(other)
    await store.create_item(f.new_item(other.client_id))

    found = await store.list_clock_items(client.client_id)
    assert [(i.item_id, at) for i, at in found] == [
        (first.item.item_id, f.NOW), (second.item.item_id, f.NOW + 5),
    ]  # fmt: skip
    # A repair records the new login; an error set without one keeps it.
    assert await store.set_item_error(first.item.item_id, "ITEM_LOGIN_REQUIRED")
    assert await store.set_item_error(first.item.item_id, None, logged_in_at=f.NOW + 100)
    assert await store.set_item_error(first.item.item_id, "ITEM_LOGIN_REQUIRED")
    found = await store.list_clock_items(client.client_id)
    assert found[0][0].error_code == "ITEM_LOGIN_REQUIRED"
    assert found[0][1] == f.NOW + 100
    assert not await store.set_item_error(gone.item.item_id, None, logged_in_at=f.NOW)
