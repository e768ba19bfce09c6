"""The storage contract of the dashboard's reads (pages of clients, Items, webhooks and the
audit log, counts, an Item's Stripe tokens), on every backend, as
tests/storage/test_contract.py is. Pages are checked by walking them to the end: every row
once, in order, none between two pages."""

from __future__ import annotations

import dataclasses

import pytest

from tests.storage import factories as f
from tokenbridge.domain import audit
from tokenbridge.domain.models import Client
from tokenbridge.domain.outbox import outbound
from tokenbridge.domain.ports import Store

pytestmark = pytest.mark.anyio


async def test_count_clients_counts_developers_and_partners(store: Store) -> None:
    assert await store.count_clients() == (0, 0)
    for c in (f.client(), f.client(), f.client("dwolla")):
        assert await store.create_client(c)
    assert await store.count_clients() == (2, 1)


async def test_list_clients_filters_and_pages_oldest_first(store: Store) -> None:
    developers = [f.client() for _ in range(5)]
    partner = f.client("dwolla")
    isolated = dataclasses.replace(f.client("stripe"), world=developers[0].client_id)
    for c in (*developers, partner, isolated):
        assert await store.create_client(c)
    assert await store.list_clients(partners=False) == developers
    assert await store.list_clients(partners=True) == [partner, isolated]
    assert await store.list_clients(partners=True, world="") == [partner]
    assert await store.list_clients(world=developers[0].client_id) == [isolated]
    pages: list[list[Client]] = []
    after = None
    while True:
        page = await store.list_clients(partners=False, after=after, limit=2)
        if not page:
            break
        pages.append(page)
        after = (page[-1].created_at, page[-1].client_id)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [c for p in pages for c in p] == developers


async def test_list_items_pages_newest_first_with_ties(store: Store) -> None:
    client = f.client()
    assert await store.create_client(client)
    made = []
    for i in range(7):
        new = f.new_item(client.client_id)
        # Three Items share one instant: the keyset's item_id orders them.
        at = f.NOW + min(i, 4)
        item = dataclasses.replace(new.item, created_at=at)
        await store.create_item(dataclasses.replace(new, item=item))
        made.append(item)
    expected = sorted(made, key=lambda i: (i.created_at, i.item_id), reverse=True)
    seen = []
    before = None
    while True:
        page = await store.list_items(None, 3, before=before)
        if not page:
            break
        seen += page
        before = (page[-1].created_at, page[-1].item_id)
    assert [i.item_id for i in seen] == [i.item_id for i in expected]
    other = f.client()
    assert await store.create_client(other)
    assert await store.list_items(other.client_id, 10, before=before) == []


async def test_list_bank_account_tokens_of_an_item(store: Store) -> None:
    client = f.client()
    assert await store.create_client(client)
    new = f.new_item(client.client_id)
    await store.create_item(new)
    tokens = [f.bank_account_token_of(new.item, new.accounts[i], f.unique("btok"))
              for i in range(2)]  # fmt: skip
    for t in tokens:
        await store.create_bank_account_token(t)
    listed = await store.list_bank_account_tokens(new.item.item_id)
    by_hash = sorted(tokens, key=lambda t: t.token_hash)
    assert sorted(listed, key=lambda t: t.token_hash) == by_hash
    assert await store.list_bank_account_tokens("item_none") == []
    # Removed Items keep their record, for the operator to read.
    await store.remove_item(new.item.item_id, f.NOW + 1)
    assert len(await store.list_bank_account_tokens(new.item.item_id)) == 2


def _entry(at: float, actor: str, action: str, item_id: str | None = None) -> audit.AuditEntry:
    return audit.entry(at, actor, action, f"req{at}", item_id=item_id)


async def test_list_audit_page_filters_newest_first(store: Store) -> None:
    client = f.client()
    await store.create_client(client, [_entry(f.NOW, "operator", audit.CLIENT_CREATE)])
    new = f.new_item(client.client_id)
    item_id = new.item.item_id
    await store.create_item(new, [_entry(f.NOW + 1, client.client_id, audit.ITEM_CREATE, item_id)])
    await store.set_item_error(
        item_id, "ITEM_LOGIN_REQUIRED", [_entry(f.NOW + 2, "operator", audit.ITEM_RESET_LOGIN,
                                                item_id)],
    )  # fmt: skip
    everything = await store.list_audit_page()
    assert [e.action for e in everything] == [
        audit.ITEM_RESET_LOGIN,
        audit.ITEM_CREATE,
        audit.CLIENT_CREATE,
    ]
    assert [e.action for e in await store.list_audit_page(item_id=item_id)] == [
        audit.ITEM_RESET_LOGIN,
        audit.ITEM_CREATE,
    ]
    assert [e.action for e in await store.list_audit_page(actor="operator")] == [
        audit.ITEM_RESET_LOGIN,
        audit.CLIENT_CREATE,
    ]
    assert [e.at for e in await store.list_audit_page(action=audit.ITEM_CREATE)] == [f.NOW + 1]
    ranged = await store.list_audit_page(since=f.NOW + 1, until=f.NOW + 2)
    assert [e.action for e in ranged] == [audit.ITEM_CREATE]
    assert await store.list_audit_page(actor="operator", action=audit.ITEM_CREATE) == []


async def test_list_audit_pages_end_with_the_whole_of_their_last_instant(store: Store) -> None:
    # Five entries at one instant (as one request writes them), then three later ones.
    client = f.client()
    same = [_entry(f.NOW, "operator", f"a{i}") for i in range(5)]
    await store.create_client(client, same)
    for i in range(3):
        await store.enqueue_webhooks([], [_entry(f.NOW + 1 + i, "operator", f"b{i}")])
    pages = []
    until = None
    while True:
        page = await store.list_audit_page(until=until, limit=4)
        if not page:
            break
        pages.append(page)
        until = page[-1].at
    assert [len(p) for p in pages] == [3 + 5]  # the first page takes all of NOW
    assert sorted(e.action for p in pages for e in p) == sorted(
        [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(3)]
    )
    assert [len(p) for p in await _walk(store, 2)] == [2, 1 + 5]


async def _walk(store: Store, limit: int) -> list[list[audit.AuditEntry]]:
    pages, until = [], None
    while True:
        page = await store.list_audit_page(until=until, limit=limit)
        if not page:
            return pages
        pages.append(page)
        until = page[-1].at


async def test_enqueue_webhooks_writes_its_audit_entries(store: Store) -> None:
    hook = f.webhook()
    await store.enqueue_webhooks([hook], [_entry(f.NOW, "operator", audit.ITEM_WEBHOOK_FIRE)])
    assert await store.get_webhook(hook.webhook_id) == hook
    assert [e.action for e in await store.list_audit()] == [audit.ITEM_WEBHOOK_FIRE]


async def test_list_webhooks_pages_newest_first_of_a_client(store: Store) -> None:
    payload = {"webhook_type": "ITEM", "webhook_code": "TEST"}
    url = "https://example.com/h"
    hooks = [outbound(f.unique("wh"), f.NOW + min(i, 3), "client_a", url, payload)
             for i in range(6)]  # fmt: skip
    other = outbound(f.unique("wh"), f.NOW, "client_b", url, payload)
    await store.enqueue_webhooks([*hooks, other])
    expected = sorted(hooks, key=lambda w: (-w.created_at, w.webhook_id))
    seen, before = [], None
    while True:
        page = await store.list_webhooks(client_id="client_a", limit=4, before=before)
        if not page:
            break
        seen += page
        before = (page[-1].created_at, page[-1].webhook_id)
    assert [w.webhook_id for w in seen] == [w.webhook_id for w in expected]
    assert [w.webhook_id for w in await store.list_webhooks(client_id="client_b")] == [
        other.webhook_id
    ]
