"""The storage contract of the control API's writes (Store.reset_client,
Store.reset_everything and the inboxes), on every backend, as tests/storage/test_contract.py
is. What a reset deletes is checked through the Store's own reads, one for every table a
client's data lives in."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from typing import Any

import pytest

from tests.storage import factories as f
from tests.storage.test_contract_link_tokens import link_token
from tokenbridge.domain import audit
from tokenbridge.domain.models import Client, CreatedTransaction
from tokenbridge.domain.outbox import outbound
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import hash_token
from tokenbridge.storage import open_store

pytestmark = pytest.mark.anyio

WINDOW = 1_700_000_040


@dataclasses.dataclass
class Data:
    """What `populate` wrote for one client: one row at least in every table of its data."""

    client: Client
    item_id: str
    account_id: str
    tokens: dict[str, str]  # kind -> the token (its hash is what the store keeps)
    webhook_id: str

    @property
    def scope(self) -> str:
        """A rate-limit counter of the client, as domain/ratelimits.py names them."""
        return f"item_get:client:{self.client.client_id}"


async def populate(store: Store, client: Client) -> Data:
    """The client, an Item of it with every token, a Link token, a Signal record,
    transactions (refreshed, synced, created by the sandbox), a webhook with an attempt,
    and a rate-limit counter."""
    assert await store.create_client(client)
    tokens = {kind: f.unique(kind) for kind in ("public", "access", "processor", "btok", "link")}
    new = f.new_item(
        client.client_id, public_token=tokens["public"], access_token=tokens["access"],
        processor_token=tokens["processor"],
    )  # fmt: skip
    item, first = new.item, new.accounts[0]
    payload = {"webhook_type": "ITEM", "webhook_code": "TEST"}
    webhook = outbound(f.unique("wh"), f.NOW, client.client_id, "https://example.com/hook",
                       payload, item_id=item.item_id)  # fmt: skip
    await store.create_item(new, webhooks=[webhook])
    await store.record_webhook_attempt(webhook.webhook_id, f.NOW, 1.0, 500, None, "pending",
                                       f.NOW + 30)  # fmt: skip
    await store.create_bank_account_token(f.bank_account_token_of(item, first, tokens["btok"]))
    await store.create_link_token(link_token(client.client_id, tokens["link"], item.item_id))
    await store.add_signal_record(item.item_id, first.account_id, "evaluate", "t1", {"a": 1},
                                  f.NOW, client.client_id)  # fmt: skip
    await store.init_transactions(item.item_id, 90, f.NOW)
    await store.refresh_transactions(item.item_id, f.NOW + 1)
    await store.add_transactions_sync_user(item.item_id, "", f.NOW + 2)
    created = CreatedTransaction(0, 0, first.account_id, date(2026, 1, 2), date(2026, 1, 2),
                                 12.5, "Coffee", "USD")  # fmt: skip
    await store.create_sandbox_transactions(item.item_id, [created], f.NOW + 3)
    data = Data(client, item.item_id, first.account_id, tokens, webhook.webhook_id)
    assert await store.increment_rate_counters([data.scope], WINDOW) == [1]
    return data


async def read(store: Store, data: Data) -> dict[str, Any]:
    """Everything the store returns about the client's data, by every read there is."""
    client_id, item_id, tokens = data.client.client_id, data.item_id, data.tokens
    access = hash_token(tokens["access"])
    return {
        "client": await store.get_client(client_id),
        "items": await store.list_items(client_id),
        "item": await store.get_item(item_id),
        "accounts": await store.get_accounts(item_id),
        "account": await store.get_account(data.account_id),
        "access": await store.get_item_by_access_token(access),
        "and_account": await store.get_item_and_account(access, data.account_id),
        "processor": await store.get_processor_token(hash_token(tokens["processor"])),
        "grant": await store.get_processor_token_grant(hash_token(tokens["processor"])),
        "processor_tokens": await store.list_processor_tokens(item_id),
        "btok": await store.get_bank_account_token(hash_token(tokens["btok"])),
        "link": await store.get_link_token(hash_token(tokens["link"]), client_id=client_id),
        "signal": await store.list_signal_records(item_id),
        "evaluation": await store.find_signal_evaluation(client_id, "t1"),
        "transactions": await store.get_transactions_state(item_id),
        "created": await store.list_sandbox_transactions(item_id),
        "webhooks": await store.list_webhooks(item_id=item_id),
        "webhook": await store.get_webhook(data.webhook_id),
        "attempts": await store.list_webhook_attempts(data.webhook_id),
    }


def nothing_but(client: Client | None) -> dict[str, Any]:
    """`read` of a client whose data is all gone (None: the client too)."""
    empty: dict[str, Any] = {
        "items": [], "accounts": [], "processor_tokens": [], "signal": [], "created": [],
        "webhooks": [], "attempts": [],
    }  # fmt: skip
    keys = ("item", "account", "access", "and_account", "processor", "grant", "btok", "link",
            "evaluation", "transactions", "webhook")  # fmt: skip
    return {"client": client, **empty, **dict.fromkeys(keys)}


async def exchange(store: Store, data: Data) -> str | None:
    """Exchange the client's public token (once: this consumes it)."""
    return await store.exchange_public_token(hash_token(data.tokens["public"]),
                                             data.client.client_id, f.NOW + 10,
                                             hash_token(f.unique("access")))  # fmt: skip


def isolated(processor: str | None = None, world: str | None = None) -> Client:
    client = f.client(processor)
    return dataclasses.replace(client, world=world or client.client_id)


# reset_client ---------------------------------------------------------------------------


async def test_reset_client_deletes_every_row_of_the_client_and_keeps_the_client(
    store: Store,
) -> None:
    mine, other = await populate(store, isolated()), await populate(store, isolated())
    before = await read(store, other)
    assert before["item"] is not None and before["attempts"] and before["transactions"]
    entry = audit.entry(f.NOW + 5, "operator", audit.CLIENT_RESET, None,
                        detail=mine.client.client_id)  # fmt: skip
    await store.reset_client(mine.client.client_id, [entry])

    assert await read(store, mine) == nothing_but(mine.client)
    assert await exchange(store, mine) is None
    # The client's counters start again; the other client's count on.
    assert await store.increment_rate_counters([mine.scope, other.scope], WINDOW) == [1, 2]
    # Nothing of the other client changed.
    assert await read(store, other) == before
    assert await exchange(store, other) == other.item_id
    log = await store.list_audit()
    assert log[-1] == entry


async def test_reset_client_keeps_its_partners_and_every_other_world(store: Store) -> None:
    developer = isolated()
    partner = isolated("dwolla", world=developer.client_id)
    shared = await populate(store, f.client())
    mine = await populate(store, developer)
    assert await store.create_client(partner)
    before = await read(store, shared)
    await store.reset_client(developer.client_id)
    assert await store.get_client(partner.client_id) == partner
    assert await read(store, mine) == nothing_but(developer)
    assert await read(store, shared) == before
    # Resetting it again, or a client with no data, changes nothing.
    await store.reset_client(developer.client_id)
    await store.reset_client(partner.client_id)
    assert await read(store, shared) == before


async def test_reset_client_takes_the_client_id_literally_in_its_counters(store: Store) -> None:
    # `_` and `%` are LIKE's wildcards: a client named with them resets its counters only.
    wild = dataclasses.replace(f.client(), client_id="a_b%c")
    near = dataclasses.replace(f.client(), client_id="aXbYc")
    for client in (wild, near):
        assert await store.create_client(client)
    scopes = ["item_get:client:a_b%c", "item_get:client:aXbYc", "item_get:client:xa_b%c"]
    assert await store.increment_rate_counters(scopes, WINDOW) == [1, 1, 1]
    await store.reset_client(wild.client_id)
    assert await store.increment_rate_counters(scopes, WINDOW) == [1, 2, 2]


# reset_everything --------------------------------------------------------------------------


async def test_reset_everything_deletes_every_isolated_world_and_all_data(store: Store) -> None:
    shared_client, developer = f.client(), isolated()
    shared, mine = await populate(store, shared_client), await populate(store, developer)
    shared_partner = f.client("dwolla")
    partner = isolated("dwolla", world=developer.client_id)
    for client in (shared_partner, partner):
        assert await store.create_client(client)
    key = await store.ensure_webhook_key(f.webhook_key())
    await store.create_inbox("0" * 32, "", f.NOW)
    await store.add_inbox_delivery("0" * 32, f.NOW, "{}", "{}", 10)
    log_before = await store.list_audit()
    entry = audit.entry(f.NOW + 5, "operator", audit.RESET, None)

    await store.reset_everything([entry])

    # The shared world's clients stay, with nothing.
    assert await read(store, shared) == nothing_but(shared_client)
    assert await store.get_client(shared_partner.client_id) == shared_partner
    assert await exchange(store, shared) is None
    # The isolated world is gone, client and partner.
    assert await read(store, mine) == nothing_but(None)
    assert await store.get_client(partner.client_id) is None
    assert [c.client_id for c in await store.list_clients()] == [
        shared_client.client_id, shared_partner.client_id
    ]  # fmt: skip
    assert await store.list_items() == []
    assert await store.list_webhooks() == []
    # Every counter, every inbox.
    assert await store.increment_rate_counters([shared.scope, mine.scope], WINDOW) == [1, 1]
    assert await store.list_inbox_deliveries("0" * 32) is None
    assert await store.add_inbox_delivery("0" * 32, f.NOW, "{}", "{}", 10) is None
    # The webhook keys and the audit log stay.
    assert await store.list_webhook_keys() == [key]
    assert await store.list_audit() == [*log_before, entry]


async def test_reset_everything_of_an_empty_store_changes_nothing(store: Store) -> None:
    await store.reset_everything()
    assert await store.list_clients() == []
    assert await store.list_audit() == []


# Inboxes ------------------------------------------------------------------------------


INBOX = "0123456789abcdef" * 2


async def test_inbox_deliveries_are_numbered_from_one_and_kept_as_given(store: Store) -> None:
    await store.create_inbox(INBOX, "", f.NOW)
    assert await store.list_inbox_deliveries(INBOX) == []
    bodies = ['{"a":  1}', "Café ✓ 東京\r\n", "", "\u2028 and \\u0000"]
    for n, body in enumerate(bodies):
        headers = f'{{"x-n": "{n}"}}'
        assert await store.add_inbox_delivery(INBOX, f.NOW + n, headers, body, 10) is True
    found = await store.list_inbox_deliveries(INBOX)
    assert found is not None
    assert [(d.seq, d.received_at, d.headers, d.body) for d in found] == [
        (n + 1, f.NOW + n, f'{{"x-n": "{n}"}}', body) for n, body in enumerate(bodies)
    ]
    assert [d.seq for d in await store.list_inbox_deliveries(INBOX, 1, 2) or []] == [2, 3]
    assert [d.seq for d in await store.list_inbox_deliveries(INBOX, after=3) or []] == [4]
    assert await store.list_inbox_deliveries(INBOX, after=4) == []


async def test_inboxes_are_numbered_each_on_its_own(store: Store) -> None:
    other = "f" * 32
    await store.create_inbox(INBOX, "", f.NOW)
    await store.create_inbox(other, "", f.NOW)
    for inbox_id in (INBOX, other, INBOX):
        assert await store.add_inbox_delivery(inbox_id, f.NOW, "{}", inbox_id, 10)
    assert [d.seq for d in await store.list_inbox_deliveries(INBOX) or []] == [1, 2]
    assert [(d.seq, d.body) for d in await store.list_inbox_deliveries(other) or []] == [(1, other)]


async def test_a_full_inbox_records_nothing_more(store: Store) -> None:
    await store.create_inbox(INBOX, "", f.NOW)
    for n in range(3):
        assert await store.add_inbox_delivery(INBOX, f.NOW, "{}", str(n), 3) is True
    assert await store.add_inbox_delivery(INBOX, f.NOW, "{}", "too many", 3) is False
    found = await store.list_inbox_deliveries(INBOX)
    assert [d.body for d in found or []] == ["0", "1", "2"]
    # A larger capacity takes more: the count is the store's, not a flag.
    assert await store.add_inbox_delivery(INBOX, f.NOW, "{}", "3", 4) is True
    assert await store.add_inbox_delivery(INBOX, f.NOW, "{}", "4", 4) is False


async def test_an_unknown_inbox_is_none(store: Store) -> None:
    assert await store.add_inbox_delivery(INBOX, f.NOW, "{}", "{}", 10) is None
    assert await store.list_inbox_deliveries(INBOX) is None
    await store.create_inbox("f" * 32, "", f.NOW)
    assert await store.list_inbox_deliveries(INBOX) is None


async def test_concurrent_deliveries_get_distinct_consecutive_numbers(
    store: Store, store_url: str
) -> None:
    # Through the test's store and a second one over the same database (another server).
    await store.create_inbox(INBOX, "", f.NOW)
    second = await open_store(store_url)
    try:
        results = await asyncio.gather(*(
            s.add_inbox_delivery(INBOX, f.NOW, "{}", str(n), 1000)
            for n, s in enumerate([store, second] * 10)
        ))  # fmt: skip
    finally:
        await second.close()
    assert results == [True] * 20
    found = await store.list_inbox_deliveries(INBOX)
    assert found is not None
    assert [d.seq for d in found] == list(range(1, 21))
    assert sorted(int(d.body) for d in found) == list(range(20))


async def test_concurrent_deliveries_stop_at_the_capacity(store: Store) -> None:
    await store.create_inbox(INBOX, "", f.NOW)
    results = await asyncio.gather(*(
        store.add_inbox_delivery(INBOX, f.NOW, "{}", str(n), 5) for n in range(12)
    ))  # fmt: skip
    assert sorted(results) == [False] * 7 + [True] * 5
    assert [d.seq for d in await store.list_inbox_deliveries(INBOX) or []] == [1, 2, 3, 4, 5]
