"""The storage contract of Link tokens (Store.create_link_token, Store.get_link_token), on
every backend, as tests/storage/test_contract.py is."""

from __future__ import annotations

import pytest

from tests.storage import factories as f
from tokenbridge.domain import audit
from tokenbridge.domain.models import LinkToken, LinkTokenMetadata
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import hash_token
from tokenbridge.storage.sql import SqlStore

pytestmark = pytest.mark.anyio


def link_token(client_id: str, token: str, item_id: str | None = None) -> LinkToken:
    return LinkToken(
        token_hash=hash_token(token),
        client_id=client_id,
        created_at=f.NOW,
        expires_at=f.NOW + 4 * 3600,
        metadata=LinkTokenMetadata(
            client_name="App\x00 ünïcode",
            language="en",
            country_codes=("US", "CA"),
            initial_products=("auth", "transactions"),
            webhook="https://example.com/hook",
            redirect_uri=None,
            institution_data={"routing_number": "011401533"},
            account_filters={"depository": {"account_subtypes": ["checking"]}},
        ),
        item_id=item_id,
    )


async def test_create_and_get_link_token(store: Store) -> None:
    owner = f.client()
    assert await store.create_client(owner)
    record = link_token(owner.client_id, "link-sandbox-1")
    await store.create_link_token(record)
    assert await store.get_link_token(record.token_hash, client_id=owner.client_id) == record


async def test_link_token_of_an_item_keeps_its_item(store: Store) -> None:
    owner = f.client()
    assert await store.create_client(owner)
    new = f.new_item(owner.client_id)
    await store.create_item(new)
    record = link_token(owner.client_id, "link-sandbox-2", item_id=new.item.item_id)
    await store.create_link_token(record)
    found = await store.get_link_token(record.token_hash, client_id=owner.client_id)
    assert found is not None and found.item_id == new.item.item_id


async def test_link_token_minimal_metadata_round_trips(store: Store) -> None:
    owner = f.client()
    assert await store.create_client(owner)
    record = link_token(owner.client_id, "link-sandbox-3")
    record.metadata = LinkTokenMetadata("App", "fr", ("FR",), ())
    await store.create_link_token(record)
    assert await store.get_link_token(record.token_hash, client_id=owner.client_id) == record


async def test_unknown_and_another_clients_link_token_are_none(store: Store) -> None:
    owner, other = f.client(), f.client()
    assert await store.create_client(owner)
    assert await store.create_client(other)
    record = link_token(owner.client_id, "link-sandbox-4")
    await store.create_link_token(record)
    assert await store.get_link_token(record.token_hash, client_id=other.client_id) is None
    assert await store.get_link_token(hash_token("nope"), client_id=owner.client_id) is None


async def test_link_token_is_written_with_its_audit_entry_and_stored_hashed(
    store: Store,
) -> None:
    owner = f.client()
    assert await store.create_client(owner)
    record = link_token(owner.client_id, "link-sandbox-secret-5")
    entry = audit.entry(f.NOW, owner.client_id, audit.LINK_TOKEN_CREATE, "req-1",
                        token_hash=record.token_hash, products=("auth",))  # fmt: skip
    await store.create_link_token(record, [entry])
    assert [(e.action, e.request_id, e.token_id) for e in await store.list_audit()] == [
        (audit.LINK_TOKEN_CREATE, "req-1", record.token_hash[:12])
    ]
    assert isinstance(store, SqlStore)
    rows = await store.fetchall("SELECT * FROM link_tokens")
    assert "link-sandbox-secret-5" not in repr(rows)
