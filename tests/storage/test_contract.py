"""The storage contract: every `Store` method, the same on every backend.

A new Store method gets its tests here, written once against the protocol; the `store`
fixture runs each of them on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3

import psycopg
import pytest

from tests.storage import factories as f
from tokenbridge.domain import audit
from tokenbridge.domain.models import NewItem, Webhook, WebhookAttempt
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import hash_token, stretch_secret
from tokenbridge.storage import open_store
from tokenbridge.storage.sql import migrations

pytestmark = pytest.mark.anyio

# What a backend raises when a write breaks a constraint; the protocol leaves it open.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)


async def _linked(store: Store, **tokens: str) -> NewItem:
    """A stored client and an Item of it with the tokens given."""
    owner = f.client()
    assert await store.create_client(owner)
    new = f.new_item(owner.client_id, **tokens)  # type: ignore[arg-type]
    await store.create_item(new)
    return new


# Clients ------------------------------------------------------------------------------


async def test_create_client_then_get(store: Store) -> None:
    client = f.client(processor="dwolla")
    assert await store.create_client(client) is True
    assert await store.get_client(client.client_id) == client


async def test_create_client_twice_returns_false_and_keeps_the_first(store: Store) -> None:
    client = f.client()
    assert await store.create_client(client)
    other = dataclasses.replace(client, name="other", secret_hash=hash_token("other"))
    assert await store.create_client(other) is False
    assert await store.get_client(client.client_id) == client


async def test_get_client_unknown_is_none(store: Store) -> None:
    assert await store.get_client("no-such-client") is None


async def test_put_client_inserts_then_replaces(store: Store) -> None:
    client = f.client()
    await store.put_client(client)
    assert await store.get_client(client.client_id) == client
    changed = dataclasses.replace(client, name="renamed", secret_hash=hash_token("new"))
    await store.put_client(changed)
    got = await store.get_client(client.client_id)
    assert got is not None
    assert (got.name, got.secret_hash) == ("renamed", hash_token("new"))
    assert got.created_at == client.created_at


async def test_put_client_keeps_a_stretched_secret_as_it_is(store: Store) -> None:
    # A pinned secret's stored form (scheme, parameters, salt, hash) comes back unchanged.
    client = dataclasses.replace(f.client(), secret_hash=stretch_secret("operator-chosen"))
    await store.put_client(client)
    assert await store.get_client(client.client_id) == client


async def test_concurrent_put_client_of_one_id_all_succeed(store: Store) -> None:
    # Servers starting at once all pin the sandbox client.
    client = f.client()
    await asyncio.gather(*(store.put_client(client) for _ in range(10)))
    assert [c.client_id for c in await store.list_clients()] == [client.client_id]


async def test_list_clients_oldest_first(store: Store) -> None:
    assert await store.list_clients() == []
    first, second = f.client(), f.client()
    await store.create_client(second)
    await store.create_client(first)
    assert await store.list_clients() == [first, second]


# Items and accounts ---------------------------------------------------------------------


async def test_create_item_then_get_item_and_accounts(store: Store) -> None:
    new = await _linked(store)
    assert await store.get_item(new.item.item_id) == new.item
    assert await store.get_accounts(new.item.item_id) == list(new.accounts)
    assert await store.get_account(new.accounts[1].account_id) == new.accounts[1]


async def test_an_items_profile_and_verification_status_are_read_by_every_lookup(
    store: Store,
) -> None:
    owner = f.client()
    await store.create_client(owner)
    new = f.new_item(owner.client_id, access_token="access-1", processor_token="proc-1")
    profile = '{"user":"user_custom","accounts":[{"numbers":{"account":"1234"}}]}'
    item = dataclasses.replace(new.item, profile=profile)
    first = dataclasses.replace(
        new.accounts[0], verification_status="pending_automatic_verification"
    )
    await store.create_item(
        dataclasses.replace(new, item=item, accounts=(first, *new.accounts[1:]))
    )
    assert await store.get_item(item.item_id) == item
    assert (await store.list_items(owner.client_id))[0].profile == profile
    assert await store.get_item_by_access_token(hash_token("access-1")) == item
    assert await store.get_item_and_account(hash_token("access-1"), first.account_id) == (
        item, first,
    )  # fmt: skip
    assert (await store.get_accounts(item.item_id))[0] == first
    assert await store.get_account(first.account_id) == first
    grant = await store.get_processor_token_grant(hash_token("proc-1"))
    assert grant is not None and grant[1:] == (item, first)
    # The other account stays out of any micro-deposit flow.
    assert (await store.get_accounts(item.item_id))[1].verification_status is None


async def test_create_item_can_start_transactions(store: Store) -> None:
    owner = f.client()
    await store.create_client(owner)
    plain = f.new_item(owner.client_id)
    await store.create_item(plain)
    assert await store.get_transactions_state(plain.item.item_id) is None
    new = dataclasses.replace(f.new_item(owner.client_id), transactions_days=400)
    await store.create_item(new)
    state = await store.get_transactions_state(new.item.item_id)
    assert state is not None
    assert (state.days_requested, state.generation, state.refreshed_at) == (400, 0, ())


async def test_accounts_come_back_in_position_order(store: Store) -> None:
    owner = f.client()
    await store.create_client(owner)
    new = f.new_item(owner.client_id, accounts=4)
    await store.create_item(dataclasses.replace(new, accounts=tuple(reversed(new.accounts))))
    assert [a.position for a in await store.get_accounts(new.item.item_id)] == [0, 1, 2, 3]


async def test_unknown_item_and_account_are_none(store: Store) -> None:
    assert await store.get_item("no-such-item") is None
    assert await store.get_accounts("no-such-item") == []
    assert await store.get_account("no-such-account") is None


async def test_create_item_is_atomic(store: Store) -> None:
    owner = f.client()
    await store.create_client(owner)
    new = f.new_item(owner.client_id, access_token="access-1", processor_token="processor-1")
    # The second account repeats the first's id: the insert fails half-way through.
    clash = dataclasses.replace(new.accounts[1], account_id=new.accounts[0].account_id)
    with pytest.raises(INTEGRITY_ERRORS):
        await store.create_item(dataclasses.replace(new, accounts=(new.accounts[0], clash)))
    assert await store.get_item(new.item.item_id) is None
    assert await store.get_account(new.accounts[0].account_id) is None
    assert await store.get_item_by_access_token(hash_token("access-1")) is None
    assert await store.get_processor_token(hash_token("processor-1")) is None
    # Nothing was left behind that would stop the same Item from being written whole.
    await store.create_item(new)
    assert len(await store.get_accounts(new.item.item_id)) == 2


async def test_create_item_with_every_first_token(store: Store) -> None:
    new = await _linked(
        store, public_token="public-1", access_token="access-1", processor_token="processor-1"
    )
    assert await store.get_item_by_access_token(hash_token("access-1")) == new.item
    assert await store.get_processor_token(hash_token("processor-1")) == new.processor_token


async def test_get_item_and_account_reads_both_or_says_which_is_missing(store: Store) -> None:
    new = await _linked(store, access_token="access-1")
    other = await _linked(store, access_token="access-2")
    token = hash_token("access-1")
    assert await store.get_item_and_account(token, new.accounts[1].account_id) == (
        new.item,
        new.accounts[1],
    )
    # Another Item's account, or no account at all: the Item, without an account.
    assert await store.get_item_and_account(token, other.accounts[0].account_id) == (new.item, None)
    assert await store.get_item_and_account(token, "no-such-account") == (new.item, None)
    assert await store.get_item_and_account(hash_token("access-unknown"), "x") is None
    assert await store.remove_item(new.item.item_id, f.NOW)
    assert await store.get_item_and_account(token, new.accounts[1].account_id) is None


async def test_count_items_counts_removed_ones_too(store: Store) -> None:
    assert await store.count_items() == 0
    first = await _linked(store)
    await _linked(store)
    assert await store.remove_item(first.item.item_id, f.NOW + 1)
    assert await store.count_items() == 2


async def test_list_items_newest_first_of_one_client_or_all(store: Store) -> None:
    assert await store.list_items() == []
    owners = [f.client(), f.client()]
    for owner in owners:
        assert await store.create_client(owner)
    made = []
    for i, owner in enumerate([owners[0], owners[1], owners[0]]):
        new = f.new_item(owner.client_id)
        new = dataclasses.replace(new, item=dataclasses.replace(new.item, created_at=f.NOW + i))
        await store.create_item(new)
        made.append(new.item)
    assert await store.remove_item(made[0].item_id, f.NOW + 10)
    listed = await store.list_items()
    assert [i.item_id for i in listed] == [m.item_id for m in reversed(made)]
    assert listed[-1].removed_at == f.NOW + 10  # removed ones are listed, as removed
    mine = await store.list_items(owners[0].client_id)
    assert [i.item_id for i in mine] == [made[2].item_id, made[0].item_id]
    assert [i.item_id for i in await store.list_items(limit=1)] == [made[2].item_id]
    assert await store.list_items("no-such-client") == []


async def test_claim_seeded_start_counts_from_zero_on_a_fresh_database(store: Store) -> None:
    assert [await store.claim_seeded_start() for _ in range(3)] == [0, 1, 2]
    # Items do not move it: only starts do.
    await _linked(store)
    assert await store.claim_seeded_start() == 3


async def test_claim_seeded_start_gives_servers_starting_together_a_number_each(
    store: Store, store_url: str
) -> None:
    # Two stores (two servers) over one database, claiming at the same time.
    other = await open_store(store_url)
    try:
        claims = await asyncio.gather(
            *(s.claim_seeded_start() for _ in range(10) for s in (store, other))
        )
    finally:
        await other.close()
    assert sorted(claims) == list(range(20))
    # And what was claimed is kept: a store opened afterwards goes on from there.
    again = await open_store(store_url)
    try:
        assert await again.claim_seeded_start() == 20
    finally:
        await again.close()


async def test_a_database_with_items_from_before_seeded_starts_begins_at_one(
    store: Store,
) -> None:
    # Servers before the migration drew the seed's own sequence (start 0) on a database
    # without Items; a database they wrote to must not be given start 0 again.
    from tokenbridge.storage.sql import SqlStore

    assert isinstance(store, SqlStore)
    (version,) = [v for v, script in migrations() if "CREATE TABLE seeded_starts" in script]
    await _linked(store)
    async with store.transaction() as tx:  # the database as it was before the migration
        await tx.execute("DROP TABLE seeded_starts")
        await tx.execute("DELETE FROM schema_migrations WHERE version = ?", [version])
    await store.migrate()
    assert await store.claim_seeded_start() == 1


async def test_remove_item(store: Store) -> None:
    new = await _linked(store)
    assert await store.remove_item(new.item.item_id, f.NOW + 5) is True
    removed = await store.get_item(new.item.item_id)
    assert removed is not None
    assert removed.removed_at == f.NOW + 5
    # Accounts stay readable by id, whatever the Item's state (the protocol says so).
    assert await store.get_account(new.accounts[0].account_id) == new.accounts[0]


async def test_remove_item_twice_or_unknown_returns_false(store: Store) -> None:
    new = await _linked(store)
    assert await store.remove_item(new.item.item_id, f.NOW)
    assert await store.remove_item(new.item.item_id, f.NOW + 1) is False
    assert await store.remove_item("no-such-item", f.NOW) is False


async def test_remove_item_hides_every_token(store: Store) -> None:
    new = await _linked(
        store, public_token="public-1", access_token="access-1", processor_token="processor-1"
    )
    second = f.processor_token_of(new.item, new.accounts[1], "processor-2")
    await store.create_processor_token(second)
    btok = f.bank_account_token_of(new.item, new.accounts[0], "btok_1")
    await store.create_bank_account_token(btok)

    assert await store.remove_item(new.item.item_id, f.NOW)
    assert await store.get_item_by_access_token(hash_token("access-1")) is None
    assert await store.get_processor_token(hash_token("processor-1")) is None
    assert await store.get_processor_token(hash_token("processor-2")) is None
    assert await store.get_bank_account_token(hash_token("btok_1")) is None
    assert await store.set_processor_token_products(hash_token("processor-1"), ["auth"]) in (
        True,
        False,
    )  # may write or not; either way the token stays hidden:
    assert await store.get_processor_token(hash_token("processor-1")) is None
    assert (
        await store.exchange_public_token(hash_token("public-1"), new.item.client_id, f.NOW, "h")
        is None
    )


# Item error state and webhook ---------------------------------------------------------


async def test_set_item_error_reaches_every_read_of_the_item(store: Store) -> None:
    new = await _linked(store, access_token="access-1", processor_token="processor-1")
    assert await store.set_item_error(new.item.item_id, "ITEM_LOGIN_REQUIRED")
    by_id = await store.get_item(new.item.item_id)
    by_token = await store.get_item_by_access_token(hash_token("access-1"))
    pair = await store.get_item_and_account(hash_token("access-1"), new.accounts[0].account_id)
    grant = await store.get_processor_token_grant(hash_token("processor-1"))
    assert by_id is not None and by_token is not None and pair is not None and grant is not None
    for item in (by_id, by_token, pair[0], grant[1]):
        assert item.error_code == "ITEM_LOGIN_REQUIRED"
    assert pair[1] == new.accounts[0] and grant[2] == new.accounts[0]
    assert (await store.list_items())[0].error_code == "ITEM_LOGIN_REQUIRED"
    assert await store.set_item_error(new.item.item_id, None)
    healthy = await store.get_item(new.item.item_id)
    assert healthy is not None and healthy.error_code is None


async def test_set_item_error_and_webhook_of_a_removed_or_unknown_item(store: Store) -> None:
    new = await _linked(store)
    assert await store.remove_item(new.item.item_id, f.NOW)
    entry = audit.entry(f.NOW, new.item.client_id, audit.ITEM_RESET_LOGIN, None,
                        item_id=new.item.item_id)  # fmt: skip
    assert await store.set_item_error(new.item.item_id, "ITEM_LOGIN_REQUIRED", [entry]) is False
    assert await store.set_item_webhook(new.item.item_id, "http://x/hook", [entry]) is False
    assert await store.set_item_error("no-such-item", "ITEM_LOGIN_REQUIRED") is False
    assert await store.set_item_webhook("no-such-item", None) is False
    # Nothing changed, so nothing is audited.
    assert await store.list_audit(new.item.item_id) == []
    removed = await store.get_item(new.item.item_id)
    assert removed is not None and removed.error_code is None
    assert removed.webhook == new.item.webhook


async def test_set_item_webhook(store: Store) -> None:
    new = await _linked(store, access_token="access-1")
    entry = audit.entry(f.NOW, new.item.client_id, audit.ITEM_WEBHOOK_UPDATE, "req-1",
                        item_id=new.item.item_id, detail="http://x/hook")  # fmt: skip
    assert await store.set_item_webhook(new.item.item_id, "http://x/hook", [entry])
    item = await store.get_item_by_access_token(hash_token("access-1"))
    assert item is not None and item.webhook == "http://x/hook"
    (logged,) = await store.list_audit(new.item.item_id)
    assert logged.action == audit.ITEM_WEBHOOK_UPDATE and logged.request_id == "req-1"
    assert await store.set_item_webhook(new.item.item_id, None)
    cleared = await store.get_item(new.item.item_id)
    assert cleared is not None and cleared.webhook is None


async def test_add_item_products_appends_new_ones_once_and_audits_only_a_change(
    store: Store,
) -> None:
    new = await _linked(store, access_token="access-1")
    before = new.item.products
    entry = audit.entry(f.NOW, new.item.client_id, audit.ITEM_PRODUCT_ADD, "req-1",
                        item_id=new.item.item_id, products=["liabilities"])  # fmt: skip
    added = await store.add_item_products(new.item.item_id, ["liabilities", *before], [entry])
    assert added == (*before, "liabilities")
    item = await store.get_item_by_access_token(hash_token("access-1"))
    assert item is not None and item.products == added
    # Already there: nothing changes and nothing more is audited.
    assert await store.add_item_products(new.item.item_id, ["liabilities"], [entry]) == added
    (logged,) = await store.list_audit(new.item.item_id)
    assert logged.action == audit.ITEM_PRODUCT_ADD and logged.products == ("liabilities",)


async def test_add_item_products_of_a_removed_or_unknown_item_is_none(store: Store) -> None:
    new = await _linked(store)
    assert await store.remove_item(new.item.item_id, f.NOW)
    assert await store.add_item_products(new.item.item_id, ["liabilities"]) is None
    assert await store.add_item_products("no-such-item", ["liabilities"]) is None
    removed = await store.get_item(new.item.item_id)
    assert removed is not None and removed.products == new.item.products


async def test_concurrent_add_item_products_keep_both(store: Store) -> None:
    new = await _linked(store)
    await asyncio.gather(
        store.add_item_products(new.item.item_id, ["liabilities"]),
        store.add_item_products(new.item.item_id, ["investments"]),
    )
    item = await store.get_item(new.item.item_id)
    assert item is not None
    assert set(item.products) == {*new.item.products, "liabilities", "investments"}


# Public token exchange ----------------------------------------------------------------


async def test_exchange_public_token_once(store: Store) -> None:
    new = await _linked(store, public_token="public-1")
    client_id = new.item.client_id
    got = await store.exchange_public_token(
        hash_token("public-1"), client_id, f.NOW + 1, hash_token("access-1")
    )
    assert got == new.item.item_id
    assert await store.get_item_by_access_token(hash_token("access-1")) == new.item
    again = await store.exchange_public_token(
        hash_token("public-1"), client_id, f.NOW + 2, hash_token("access-2")
    )
    assert again is None
    assert await store.get_item_by_access_token(hash_token("access-2")) is None


async def test_exchange_refuses_expired_foreign_and_unknown(store: Store) -> None:
    new = await _linked(store, public_token="public-1")
    token, client_id = hash_token("public-1"), new.item.client_id
    expires = f.NOW + 1800
    assert await store.exchange_public_token(token, "another-client", f.NOW, "a1") is None
    assert await store.exchange_public_token(token, client_id, expires, "a2") is None
    assert await store.exchange_public_token(hash_token("nope"), client_id, f.NOW, "a3") is None
    for written in ("a1", "a2", "a3"):
        assert await store.get_item_by_access_token(written) is None
    # None of the refusals used the token up.
    assert await store.exchange_public_token(token, client_id, expires - 1, "a4") is not None


async def test_concurrent_exchanges_of_one_token_succeed_once(store: Store) -> None:
    new = await _linked(store, public_token="public-1")
    results = await asyncio.gather(
        *(
            store.exchange_public_token(
                hash_token("public-1"), new.item.client_id, f.NOW, hash_token(f"access-{i}")
            )
            for i in range(50)
        )
    )
    assert [r for r in results if r is not None] == [new.item.item_id]
    found = [await store.get_item_by_access_token(hash_token(f"access-{i}")) for i in range(50)]
    assert sum(item is not None for item in found) == 1


async def test_concurrent_exchanges_through_two_stores_succeed_once(
    store: Store, store_url: str
) -> None:
    # Two stores over one database stand for two servers.
    other = await open_store(store_url)
    try:
        new = await _linked(store, public_token="public-1")

        def attempt(i: int) -> object:
            via = store if i % 2 else other
            return via.exchange_public_token(
                hash_token("public-1"), new.item.client_id, f.NOW, hash_token(f"access-{i}")
            )

        results = await asyncio.gather(*(attempt(i) for i in range(50)))  # type: ignore[call-overload]
    finally:
        await other.close()
    assert [r for r in results if r is not None] == [new.item.item_id]


async def test_get_item_by_unknown_access_token_is_none(store: Store) -> None:
    assert await store.get_item_by_access_token(hash_token("access-unknown")) is None


async def test_access_token_lookups_naming_a_client_find_only_its_own(store: Store) -> None:
    new = await _linked(store, access_token="access-1")
    owner, account = new.item.client_id, new.accounts[0]
    other = f.client()
    assert await store.create_client(other)
    token = hash_token("access-1")
    assert await store.get_item_by_access_token(token, client_id=owner) == new.item
    assert await store.get_item_and_account(token, account.account_id, client_id=owner) == (
        new.item, account,
    )  # fmt: skip
    # Another client's token is no row at all, as a token that never existed.
    assert await store.get_item_by_access_token(token, client_id=other.client_id) is None
    assert await store.get_item_and_account(
        token, account.account_id, client_id=other.client_id
    ) is None  # fmt: skip
    unknown = hash_token("access-unknown")
    assert await store.get_item_by_access_token(unknown, client_id=owner) is None
    assert await store.get_item_and_account(unknown, account.account_id, client_id=owner) is None
    assert await store.remove_item(new.item.item_id, f.NOW + 1)
    assert await store.get_item_by_access_token(token, client_id=owner) is None
    assert await store.get_item_and_account(token, account.account_id, client_id=owner) is None


# Processor tokens -----------------------------------------------------------------------


async def test_create_and_get_processor_token(store: Store) -> None:
    new = await _linked(store)
    token = f.processor_token_of(new.item, new.accounts[1], "processor-1", products=("auth",))
    await store.create_processor_token(token)
    assert await store.get_processor_token(token.token_hash) == token


async def test_processor_token_grant_joins_item_and_account(store: Store) -> None:
    new = await _linked(store)
    token = f.processor_token_of(new.item, new.accounts[1], "processor-1", products=("auth",))
    await store.create_processor_token(token)
    assert await store.get_processor_token_grant(token.token_hash) == (
        token,
        new.item,
        new.accounts[1],
    )
    assert await store.get_processor_token_grant(hash_token("processor-unknown")) is None
    assert await store.remove_item(new.item.item_id, f.NOW + 1)
    assert await store.get_processor_token_grant(token.token_hash) is None


async def test_processor_token_without_processor(store: Store) -> None:
    new = await _linked(store)
    token = f.processor_token_of(new.item, new.accounts[0], "processor-1", processor=None)
    await store.create_processor_token(token)
    got = await store.get_processor_token(token.token_hash)
    assert got is not None
    assert got.processor is None


async def test_unknown_processor_token_is_none(store: Store) -> None:
    assert await store.get_processor_token(hash_token("processor-unknown")) is None


async def test_processor_token_lookup_naming_a_client_finds_only_its_own(store: Store) -> None:
    new = await _linked(store)
    token = f.processor_token_of(new.item, new.accounts[0], "processor-1")
    await store.create_processor_token(token)
    other = f.client()
    assert await store.create_client(other)
    assert await store.get_processor_token(token.token_hash, client_id=new.item.client_id) == (
        token
    )
    assert await store.get_processor_token(token.token_hash, client_id=other.client_id) is None
    unknown = hash_token("processor-unknown")
    assert await store.get_processor_token(unknown, client_id=new.item.client_id) is None


async def test_processor_token_grant_usable_by(store: Store) -> None:
    # A token made for a processor: that processor's partners only. One that names no
    # processor: the client that made it only.
    new = await _linked(store)
    developer = await store.get_client(new.item.client_id)
    assert developer is not None
    for_dwolla = f.processor_token_of(new.item, new.accounts[0], "processor-1", "dwolla")
    for_nobody = f.processor_token_of(new.item, new.accounts[1], "processor-2", None)
    await store.create_processor_token(for_dwolla)
    await store.create_processor_token(for_nobody)
    dwolla, other_dwolla, moov, stranger = (
        f.client("dwolla"), f.client("dwolla"), f.client("moov"), f.client(),
    )  # fmt: skip
    for c in (dwolla, other_dwolla, moov, stranger):
        assert await store.create_client(c)
    expected = {
        for_dwolla.token_hash: [dwolla, other_dwolla],
        for_nobody.token_hash: [developer],
    }
    for token_hash, allowed in expected.items():
        for c in (developer, dwolla, other_dwolla, moov, stranger):
            found = await store.get_processor_token_grant(token_hash, usable_by=c)
            if c in allowed:
                assert found == await store.get_processor_token_grant(token_hash), c
                assert found is not None
            else:
                assert found is None, c
    assert await store.get_processor_token_grant(hash_token("unknown"), usable_by=dwolla) is None
    assert await store.remove_item(new.item.item_id, f.NOW + 1)
    assert await store.get_processor_token_grant(for_dwolla.token_hash, usable_by=dwolla) is None


async def test_duplicate_processor_token_is_refused(store: Store) -> None:
    new = await _linked(store)
    token = f.processor_token_of(new.item, new.accounts[0], "processor-1")
    await store.create_processor_token(token)
    with pytest.raises(INTEGRITY_ERRORS):
        await store.create_processor_token(dataclasses.replace(token, products=("auth",)))
    assert await store.get_processor_token(token.token_hash) == token


async def test_set_processor_token_products_replaces_the_list(store: Store) -> None:
    new = await _linked(store)
    token = f.processor_token_of(new.item, new.accounts[0], "processor-1", products=("auth",))
    await store.create_processor_token(token)
    assert await store.set_processor_token_products(token.token_hash, ["balance", "identity"])
    got = await store.get_processor_token(token.token_hash)
    assert got is not None
    assert got.products == ("balance", "identity")
    # An empty list is stored as empty (= every product), not as "unchanged".
    assert await store.set_processor_token_products(token.token_hash, [])
    got = await store.get_processor_token(token.token_hash)
    assert got is not None
    assert got.products == ()


async def test_set_products_of_unknown_token_returns_false(store: Store) -> None:
    assert await store.set_processor_token_products(hash_token("nope"), ["auth"]) is False


async def test_concurrent_set_products_ends_in_one_written_value(store: Store) -> None:
    new = await _linked(store)
    token = f.processor_token_of(new.item, new.accounts[0], "processor-1")
    await store.create_processor_token(token)
    written = [("auth",), ("balance", "identity"), ("transactions", "auth", "identity"), ()]
    await asyncio.gather(
        *(store.set_processor_token_products(token.token_hash, w) for w in written * 5)
    )
    got = await store.get_processor_token(token.token_hash)
    assert got is not None
    assert got.products in written


# Bank account tokens ------------------------------------------------------------------


async def test_create_and_get_bank_account_token(store: Store) -> None:
    new = await _linked(store)
    btok = f.bank_account_token_of(new.item, new.accounts[0], "btok_1")
    await store.create_bank_account_token(btok)
    assert await store.get_bank_account_token(btok.token_hash) == btok
    assert await store.get_bank_account_token(hash_token("btok_unknown")) is None


# Migrations -----------------------------------------------------------------------------


async def test_migrate_again_changes_nothing(store: Store) -> None:
    new = await _linked(store, access_token="access-1")
    await store.migrate()
    await store.migrate()
    assert await store.get_item_by_access_token(hash_token("access-1")) == new.item


async def _open_and_close(url: str) -> None:
    opened = await open_store(url)
    await opened.close()


async def test_concurrent_migrations_apply_each_once(store_url: str) -> None:
    # Servers that start at once: each migrates from its own thread and event loop.
    await asyncio.gather(
        *(asyncio.to_thread(asyncio.run, _open_and_close(store_url)) for _ in range(3))
    )
    store = await open_store(store_url)
    try:
        versions = await _applied_versions(store)
        client = f.client()
        assert await store.create_client(client)
    finally:
        await store.close()
    assert versions == [version for version, _ in migrations()]


async def _applied_versions(store: Store) -> list[int]:
    # Reads the bookkeeping table through the backend's own read path.
    from tokenbridge.storage.sql import SqlStore

    assert isinstance(store, SqlStore)
    rows = await store.fetchall("SELECT version FROM schema_migrations ORDER BY version")
    return [row[0] for row in rows]


# Audit log ---------------------------------------------------------------------------


async def test_audit_entries_are_written_with_the_change_and_listed_oldest_first(
    store: Store,
) -> None:
    new = await _linked(store)
    item_id = new.item.item_id
    first = audit.entry(f.NOW, new.item.client_id, audit.ITEM_REMOVE, "req1", item_id=item_id)
    assert await store.remove_item(item_id, f.NOW + 1, [first])
    # A change that is not made writes no entry.
    second = audit.entry(f.NOW + 2, new.item.client_id, audit.ITEM_REMOVE, "req2", item_id=item_id)
    assert not await store.remove_item(item_id, f.NOW + 2, [second])
    other = await _linked(store)
    put = audit.entry(f.NOW + 3, "someone", audit.CLIENT_PUT, None, detail="x")
    await store.put_client(f.client(), [put])
    assert [e.request_id for e in await store.list_audit(item_id)] == ["req1"]
    assert await store.list_audit(other.item.item_id) == []
    everything = await store.list_audit()
    assert [e.action for e in everything] == [audit.ITEM_REMOVE, audit.CLIENT_PUT]
    assert everything[0] == first


# Rate-limit counters -----------------------------------------------------------------


async def test_rate_counters_count_per_scope_and_window_and_prune(store: Store) -> None:
    assert await store.increment_rate_counters(["a", "b"], 60) == [1, 1]
    assert await store.increment_rate_counters(["a"], 60) == [2]
    assert await store.increment_rate_counters(["a", "b"], 120) == [1, 1]
    assert await store.increment_rate_counters(["a"], 60) == [3]
    # Pruning deletes the windows before the one named, in the same transaction.
    assert await store.increment_rate_counters(["a"], 180, prune_before=120) == [1]
    assert await store.increment_rate_counters(["a"], 60) == [1]
    assert await store.increment_rate_counters(["b"], 120) == [2]


async def test_concurrent_rate_counter_increments_are_all_counted(store: Store) -> None:
    counts = await asyncio.gather(*(store.increment_rate_counters(["x"], 60) for _ in range(20)))
    assert sorted(c[0] for c in counts) == list(range(1, 21))


# Processor token webhooks and listing -------------------------------------------------


async def test_set_processor_token_webhook_and_list_tokens(store: Store) -> None:
    new = await _linked(store, processor_token="processor-sandbox-p1")
    token = new.processor_token
    assert token is not None
    second = f.processor_token_of(new.item, new.accounts[1], "processor-sandbox-p2", "moov")
    await store.create_processor_token(second)
    assert await store.set_processor_token_webhook(token.token_hash, "https://example.com/a")
    stored = await store.get_processor_token(token.token_hash)
    assert stored is not None and stored.webhook == "https://example.com/a"
    assert await store.set_processor_token_webhook(token.token_hash, None)
    stored = await store.get_processor_token(token.token_hash)
    assert stored is not None and stored.webhook is None
    listed = await store.list_processor_tokens(new.item.item_id)
    assert [t.token_hash for t in listed] == [token.token_hash, second.token_hash]
    assert await store.list_processor_tokens("no-such-item") == []
    assert not await store.set_processor_token_webhook(hash_token("unknown"), "https://x.y/")
    # Gone with its Item: neither its webhook nor its permissions change any more.
    assert await store.remove_item(new.item.item_id, f.NOW + 1)
    assert not await store.set_processor_token_webhook(token.token_hash, "https://x.y/")
    assert not await store.set_processor_token_products(token.token_hash, ["auth"])


# Signal records ----------------------------------------------------------------------


async def test_signal_records_are_listed_oldest_first_and_by_kind(store: Store) -> None:
    new = await _linked(store)
    item_id, account_id = new.item.item_id, new.accounts[0].account_id
    await store.add_signal_record(item_id, account_id, "evaluate", "t1", {"amount": 1.5}, 10.0)
    await store.add_signal_record(item_id, account_id, "return", "t1", {"code": "R01"}, 11.0)
    await store.add_signal_record(item_id, account_id, "prepare", None, {}, 12.0)
    assert await store.list_signal_records(item_id) == [
        (account_id, "evaluate", "t1", {"amount": 1.5}, 10.0),
        (account_id, "return", "t1", {"code": "R01"}, 11.0),
        (account_id, "prepare", None, {}, 12.0),
    ]
    assert await store.list_signal_records(item_id, "return") == [
        (account_id, "return", "t1", {"code": "R01"}, 11.0)
    ]
    other = await _linked(store)
    assert await store.list_signal_records(other.item.item_id) == []


async def test_find_signal_evaluation_by_client_transaction_id_of_the_client(
    store: Store,
) -> None:
    new = await _linked(store)
    item_id, developer = new.item.item_id, new.item.client_id
    first, second = new.accounts[0].account_id, new.accounts[1].account_id
    await store.add_signal_record(item_id, first, "evaluate", "t1", {}, 10.0, developer)
    await store.add_signal_record(item_id, second, "evaluate", "t1", {}, 11.0, developer)
    await store.add_signal_record(item_id, first, "return", "t2", {}, 12.0, developer)
    await store.add_signal_record(item_id, first, "evaluate", "p1", {}, 13.0, "partner")
    # The latest evaluation of the client wins; a report is not an evaluation.
    assert await store.find_signal_evaluation(developer, "t1") == (item_id, second)
    assert await store.find_signal_evaluation(developer, "t1", first) == (item_id, first)
    assert await store.find_signal_evaluation(developer, "t2") is None
    # Each client finds only its own evaluations, on the Item's owner or not.
    assert await store.find_signal_evaluation(developer, "p1") is None
    assert await store.find_signal_evaluation("partner", "p1", first) == (item_id, first)
    assert await store.find_signal_evaluation("partner", "t1") is None
    # A record from before its maker was kept is the partner's it was, by its account only.
    await store.add_signal_record(item_id, second, "evaluate", "old", {}, 14.0)
    assert await store.find_signal_evaluation("partner", "old", second) == (item_id, second)
    assert await store.find_signal_evaluation(developer, "old") is None
    # Nothing of a removed Item is found.
    assert await store.remove_item(item_id, f.NOW)
    assert await store.find_signal_evaluation(developer, "t1") is None


# Transactions state ------------------------------------------------------------------


async def test_transactions_init_refresh_and_sync_users(store: Store) -> None:
    new = await _linked(store)
    item_id = new.item.item_id
    assert await store.get_transactions_state(item_id) is None
    state = await store.init_transactions(item_id, 120, 100.0)
    assert (state.days_requested, state.generation, state.refreshed_at) == (120, 0, ())
    assert state.sync_users == frozenset()
    # A second initialization keeps the first one's days.
    again = await store.init_transactions(item_id, 300, 101.0)
    assert again.days_requested == 120
    after = await store.refresh_transactions(item_id, 200.0)
    assert (after.generation, after.refreshed_at) == (1, (200.0,))
    after = await store.refresh_transactions(item_id, 300.0)
    assert (after.generation, after.refreshed_at) == (2, (200.0, 300.0))
    await store.add_transactions_sync_user(item_id, "", 301.0)
    await store.add_transactions_sync_user(item_id, "hash-of-a-token", 302.0)
    await store.add_transactions_sync_user(item_id, "", 303.0)
    got = await store.get_transactions_state(item_id)
    assert got is not None
    assert got.sync_users == frozenset({"", "hash-of-a-token"})
    assert (got.generation, got.days_requested) == (2, 120)


async def test_concurrent_transactions_refreshes_each_count(store: Store) -> None:
    new = await _linked(store)
    await store.init_transactions(new.item.item_id, 90, 1.0)
    states = await asyncio.gather(
        *(store.refresh_transactions(new.item.item_id, 10.0 + i) for i in range(5))
    )
    # Each gets the state as of its own refresh.
    assert sorted(s.generation for s in states) == [1, 2, 3, 4, 5]
    assert all(len(s.refreshed_at) == s.generation for s in states)
    final = await store.get_transactions_state(new.item.item_id)
    assert final is not None and final.generation == 5


async def test_concurrent_transactions_inits_agree(store: Store) -> None:
    new = await _linked(store)
    states = await asyncio.gather(
        *(store.init_transactions(new.item.item_id, 90 + i, 1.0) for i in range(5))
    )
    assert len({s.days_requested for s in states}) == 1


# Sandbox: micro-deposit verification and created transactions ------------------------


async def test_set_account_verification_status_moves_a_pending_account_once(
    store: Store,
) -> None:
    owner = f.client()
    await store.create_client(owner)
    new = f.new_item(owner.client_id)
    pending = dataclasses.replace(
        new.accounts[0], verification_status="pending_automatic_verification"
    )
    await store.create_item(dataclasses.replace(new, accounts=(pending, *new.accounts[1:])))
    entry = audit.entry(f.NOW, owner.client_id, audit.ACCOUNT_VERIFICATION_STATUS_SET, "req-1",
                        item_id=new.item.item_id, account_id=pending.account_id)  # fmt: skip
    results = await asyncio.gather(*(
        store.set_account_verification_status(pending.account_id, status, [entry])
        for status in ("automatically_verified", "verification_expired")
    ))  # fmt: skip
    assert sorted(results) == [False, True]
    moved = await store.get_account(pending.account_id)
    assert moved is not None
    assert moved.verification_status == ("automatically_verified" if results[0]
                                         else "verification_expired")  # fmt: skip
    # Only the change that happened is in the audit log; an account outside the flow and a
    # removed Item's account do not move.
    assert len(await store.list_audit(new.item.item_id)) == 1
    other = new.accounts[1]
    assert await store.set_account_verification_status(other.account_id, "x") is False
    assert (await store.get_account(other.account_id)).verification_status is None  # type: ignore[union-attr]
    second = f.new_item(owner.client_id)
    waiting = dataclasses.replace(
        second.accounts[0], verification_status="pending_automatic_verification"
    )
    await store.create_item(dataclasses.replace(second, accounts=(waiting,)))
    await store.remove_item(second.item.item_id, f.NOW + 1)
    assert await store.set_account_verification_status(waiting.account_id, "x") is False


async def test_create_sandbox_transactions_is_a_refresh_round(store: Store) -> None:
    from datetime import date

    from tokenbridge.domain.models import CreatedTransaction

    new = await _linked(store)
    item_id, account_id = new.item.item_id, new.accounts[0].account_id
    await store.init_transactions(item_id, 90, f.NOW)
    assert await store.list_sandbox_transactions(item_id) == []
    rows = [
        CreatedTransaction(0, 0, account_id, date(2026, 1, 2), date(2026, 1, 3), 12.5, "One",
                           "USD"),
        CreatedTransaction(0, 1, account_id, date(2026, 1, 3), date(2026, 1, 3), -4.0, "Two",
                           "CAD"),
    ]  # fmt: skip
    state = await store.create_sandbox_transactions(item_id, rows, f.NOW + 5)
    assert (state.generation, state.refreshed_at) == (1, (f.NOW + 5,))
    stored = [dataclasses.replace(r, generation=1) for r in rows]
    assert list(state.created) == stored
    assert await store.list_sandbox_transactions(item_id) == stored
    again = await store.create_sandbox_transactions(item_id, rows[:1], f.NOW + 6)
    assert again.generation == 2
    assert [(c.generation, c.seq) for c in again.created] == [(1, 0), (1, 1), (2, 0)]
    other = await _linked(store)
    with pytest.raises(LookupError):
        await store.create_sandbox_transactions(other.item.item_id, rows, f.NOW)


# Webhook signing keys ----------------------------------------------------------------


async def test_ensure_webhook_key_stores_the_first_candidate_only(store: Store) -> None:
    assert await store.current_webhook_key() is None
    assert await store.list_webhook_keys() == []
    first = f.webhook_key()
    made = audit.entry(f.NOW, "tokenbridge", audit.WEBHOOK_KEY_CREATE, None, detail="k1")
    got = await store.ensure_webhook_key(first, [made])
    assert got == dataclasses.replace(first, current=True)
    # With a current key, a second candidate is not stored, and its audit entry not written.
    again = audit.entry(f.NOW, "tokenbridge", audit.WEBHOOK_KEY_CREATE, None, detail="k2")
    assert await store.ensure_webhook_key(f.webhook_key(), [again]) == got
    assert await store.current_webhook_key() == got
    assert await store.get_webhook_key(first.kid) == got
    assert await store.get_webhook_key("no-such-kid") is None
    assert await store.list_webhook_keys() == [got]
    assert [e.detail for e in await store.list_audit()] == ["k1"]


async def _ensure_in_own_store(url: str) -> str:
    opened = await open_store(url)
    try:
        return (await opened.ensure_webhook_key(f.webhook_key())).kid
    finally:
        await opened.close()


async def test_servers_starting_at_once_end_up_with_one_key(store_url: str) -> None:
    # Each "server" opens its own store, on its own thread and event loop.
    kids = await asyncio.gather(
        *(asyncio.to_thread(asyncio.run, _ensure_in_own_store(store_url)) for _ in range(4))
    )
    assert len(set(kids)) == 1
    store = await open_store(store_url)
    try:
        keys = await store.list_webhook_keys()
    finally:
        await store.close()
    assert [(k.kid, k.current) for k in keys] == [(kids[0], True)]


async def test_rotate_webhook_key_keeps_the_old_key_published_until_it_expires(
    store: Store,
) -> None:
    # A rotation before any key exists just makes the new one current.
    first = f.webhook_key(f.NOW)
    assert await store.rotate_webhook_key(first, f.NOW + 5) is None
    assert await store.current_webhook_key() == dataclasses.replace(first, current=True)
    second = f.webhook_key(f.NOW + 10)
    rotated = audit.entry(f.NOW + 10, "tokenbridge", audit.WEBHOOK_KEY_ROTATE, None, detail="r")
    old = await store.rotate_webhook_key(second, f.NOW + 100, [rotated])
    assert old == dataclasses.replace(first, expired_at=f.NOW + 100, current=False)
    assert await store.current_webhook_key() == dataclasses.replace(second, current=True)
    assert await store.get_webhook_key(first.kid) == old
    assert [k.kid for k in await store.list_webhook_keys()] == [first.kid, second.kid]
    assert [e.action for e in await store.list_audit()] == [audit.WEBHOOK_KEY_ROTATE]


async def test_concurrent_rotations_leave_one_current_key(store: Store) -> None:
    await store.ensure_webhook_key(f.webhook_key(f.NOW))
    news = [f.webhook_key(f.NOW + 1 + n) for n in range(5)]
    await asyncio.gather(*(store.rotate_webhook_key(k, f.NOW + 50) for k in news))
    keys = await store.list_webhook_keys()
    assert len(keys) == 6
    current = [k for k in keys if k.current]
    assert len(current) == 1 and current[0].kid in {k.kid for k in news}
    assert current[0].expired_at is None
    assert all(k.expired_at == f.NOW + 50 for k in keys if not k.current)


# The webhook outbox ------------------------------------------------------------------

# As long as a delivery worker's claim lasts (webhooks/outbox.py CLAIM_SECONDS).
CLAIM = 30.0


def _ids(webhooks: list[Webhook]) -> list[str]:
    return [w.webhook_id for w in webhooks]


async def test_claim_webhooks_takes_the_due_ones_oldest_first_up_to_the_limit(
    store: Store,
) -> None:
    later, first, second, third = (f.webhook(f.NOW + due) for due in (60, -2, -1, 0))
    await store.enqueue_webhooks([later, third, first, second])
    assert await store.next_webhook_due() == f.NOW - 2
    # Claims that last past the minute after which `later` is due.
    claimed = await store.claim_webhooks(f.NOW, f.NOW + 90, 2)
    assert _ids(claimed) == [first.webhook_id, second.webhook_id]
    # The record comes back whole: the worker posts its body to its URL.
    assert claimed[0] == first
    # The rest of what is due, and not the webhook due in a minute.
    assert _ids(await store.claim_webhooks(f.NOW, f.NOW + 90, 10)) == [third.webhook_id]
    assert await store.next_webhook_due() == f.NOW + 60
    assert _ids(await store.claim_webhooks(f.NOW + 60, f.NOW + 90, 10)) == [later.webhook_id]


async def test_a_claimed_webhook_is_not_claimed_again_until_its_claim_lapses(
    store: Store,
) -> None:
    webhook = f.webhook()
    await store.enqueue_webhooks([webhook])
    assert _ids(await store.claim_webhooks(f.NOW, f.NOW + CLAIM, 10)) == [webhook.webhook_id]
    # Another worker, at any time before the claim ends, finds nothing to send.
    for at in (f.NOW, f.NOW + 1, f.NOW + CLAIM - 0.5):
        assert await store.claim_webhooks(at, at + CLAIM, 10) == []
    # The claiming worker died mid-attempt (no attempt was recorded): once its claim has
    # lapsed the next worker takes the webhook, and holds it in turn.
    at = f.NOW + CLAIM + 0.5
    again = await store.claim_webhooks(at, at + CLAIM, 10)
    assert _ids(again) == [webhook.webhook_id] and again[0].attempts == 0
    assert await store.claim_webhooks(at + 1, at + 1 + CLAIM, 10) == []


async def test_recorded_attempts_end_the_claim_and_say_when_the_next_is_due(
    store: Store,
) -> None:
    webhook, other = f.webhook(), f.webhook(f.NOW + 1000)
    await store.enqueue_webhooks([webhook, other])
    await store.claim_webhooks(f.NOW, f.NOW + CLAIM, 10)
    await store.record_webhook_attempt(
        webhook.webhook_id, f.NOW, 12.5, 500, None, "pending", f.NOW + 30
    )
    stored = await store.get_webhook(webhook.webhook_id)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("pending", 1, f.NOW + 30)
    assert await store.next_webhook_due() == f.NOW + 30
    # No claim holds it any more, but it is not due before its time.
    assert await store.claim_webhooks(f.NOW + 29, f.NOW + 29 + CLAIM, 10) == []
    (due,) = await store.claim_webhooks(f.NOW + 30, f.NOW + 30 + CLAIM, 10)
    assert (due.webhook_id, due.attempts) == (webhook.webhook_id, 1)
    await store.record_webhook_attempt(
        webhook.webhook_id, f.NOW + 30, 3.25, None, "ConnectError: refused", "pending",
        f.NOW + 150,
    )  # fmt: skip
    await store.claim_webhooks(f.NOW + 150, f.NOW + 150 + CLAIM, 10)
    await store.record_webhook_attempt(
        webhook.webhook_id, f.NOW + 150, 7.0, 200, None, "delivered", None
    )
    stored = await store.get_webhook(webhook.webhook_id)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("delivered", 3, None)
    # Delivered, it is never due again; the other webhook is still to come.
    assert await store.claim_webhooks(f.NOW + 900, f.NOW + 900 + CLAIM, 10) == []
    assert await store.next_webhook_due() == f.NOW + 1000
    assert await store.list_webhook_attempts(webhook.webhook_id) == [
        WebhookAttempt(webhook.webhook_id, 1, f.NOW, 12.5, 500, None),
        WebhookAttempt(webhook.webhook_id, 2, f.NOW + 30, 3.25, None, "ConnectError: refused"),
        WebhookAttempt(webhook.webhook_id, 3, f.NOW + 150, 7.0, 200, None),
    ]
    assert await store.list_webhook_attempts(other.webhook_id) == []
    assert await store.get_webhook("no-such-webhook") is None


async def test_redeliver_webhook_starts_a_new_round_and_keeps_the_attempts(
    store: Store,
) -> None:
    webhook = f.webhook()
    await store.enqueue_webhooks([webhook])
    await store.claim_webhooks(f.NOW, f.NOW + CLAIM, 10)
    await store.record_webhook_attempt(webhook.webhook_id, f.NOW, 1.0, 410, None, "failed", None)
    entry = audit.entry(f.NOW + 100, "operator", audit.WEBHOOK_REDELIVER, None,
                        detail=webhook.webhook_id)  # fmt: skip
    assert await store.redeliver_webhook(webhook.webhook_id, f.NOW + 100, [entry])
    stored = await store.get_webhook(webhook.webhook_id)
    assert stored == dataclasses.replace(
        webhook, status="pending", attempts=0, round_started_at=f.NOW + 100,
        next_attempt_at=f.NOW + 100,
    )  # fmt: skip
    assert _ids(await store.claim_webhooks(f.NOW + 100, f.NOW + 130, 10)) == [webhook.webhook_id]
    await store.record_webhook_attempt(
        webhook.webhook_id, f.NOW + 100, 2.0, 204, None, "delivered", None
    )
    # The attempts count on across rounds.
    attempts = await store.list_webhook_attempts(webhook.webhook_id)
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, 410), (2, 204)]
    # No such webhook: nothing changes, and no audit entry is written.
    missing = audit.entry(f.NOW + 101, "operator", audit.WEBHOOK_REDELIVER, None, detail="x")
    assert not await store.redeliver_webhook("no-such-webhook", f.NOW + 101, [missing])
    assert [e.detail for e in await store.list_audit()] == [webhook.webhook_id]


async def test_list_webhooks_newest_first_of_an_item_or_in_a_status(store: Store) -> None:
    old, mid, new = (f.webhook(f.NOW + n, item_id="item-a") for n in range(3))
    elsewhere = f.webhook(f.NOW + 3, item_id="item-b")
    await store.enqueue_webhooks([mid, elsewhere, old, new])
    await store.claim_webhooks(f.NOW + 10, f.NOW + 40, 10)
    await store.record_webhook_attempt(mid.webhook_id, f.NOW + 10, 1.0, 200, None, "delivered",
                                       None)  # fmt: skip
    assert _ids(await store.list_webhooks()) == _ids([elsewhere, new, mid, old])
    assert _ids(await store.list_webhooks(item_id="item-a")) == _ids([new, mid, old])
    assert _ids(await store.list_webhooks(item_id="item-a", limit=2)) == _ids([new, mid])
    assert _ids(await store.list_webhooks(status="delivered")) == [mid.webhook_id]
    assert _ids(await store.list_webhooks(item_id="item-b", status="delivered")) == []
    assert await store.list_webhooks(item_id="no-such-item") == []


async def test_concurrent_claims_through_two_stores_share_the_due_webhooks(
    store: Store, store_url: str
) -> None:
    # Two stores over one database stand for two servers' workers, four claims in flight
    # on each. On PostgreSQL the claims run at once and skip each other's rows (FOR UPDATE
    # SKIP LOCKED); each must get a share of its own, and together every webhook once.
    webhooks = [f.webhook(f.NOW - n * 0.001) for n in range(200)]
    await store.enqueue_webhooks(webhooks)
    other = await open_store(store_url)
    try:
        claims = await asyncio.gather(
            *(via.claim_webhooks(f.NOW, f.NOW + CLAIM, 25) for via in [store, other] * 4)
        )
    finally:
        await other.close()
    claimed = [webhook_id for claim in claims for webhook_id in _ids(claim)]
    assert len(claimed) == len(set(claimed)), "a webhook was claimed twice"
    assert set(claimed) == set(_ids(webhooks))
    assert [len(claim) for claim in claims] == [25] * 8
