"""The storage contract of fault rules (Store.add_fault_rule and the rest), on every
backend: a rule marks every client of its world, a limited rule's uses are taken exactly
as many times as it has them however many take at once, and its last use, a removal or a
reset clears the world's clients again."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

import pytest

from tests.storage import factories as f
from tokenbridge.domain import audit
from tokenbridge.domain.models import Client, FaultRule
from tokenbridge.domain.ports import Store
from tokenbridge.storage import open_store

pytestmark = pytest.mark.anyio

_order = itertools.count()


def rule(world: str, *, remaining: int | None = 1, path: str = "/accounts/get") -> FaultRule:
    return FaultRule(
        f.unique("fault"), world, path, "INSTITUTION_DOWN", None, 0, False, remaining, 1.0,
        f.NOW + next(_order),
    )  # fmt: skip


async def world(store: Store) -> tuple[Client, Client]:
    """An isolated client and a partner of its world."""
    client = f.client()
    client = dataclasses.replace(client, world=client.client_id)
    partner = dataclasses.replace(f.client("dwolla"), world=client.client_id)
    assert await store.create_client(client)
    assert await store.create_client(partner)
    return client, partner


async def faulted(store: Store, *clients: Client) -> list[bool]:
    found = [await store.get_client(c.client_id) for c in clients]
    return [bool(c.faulted) for c in found if c is not None]


async def test_a_rule_marks_every_client_of_its_world_and_no_other(store: Store) -> None:
    client, partner = await world(store)
    other, _ = await world(store)
    shared = f.client()
    assert await store.create_client(shared)
    assert await faulted(store, client, partner, other, shared) == [False] * 4

    added = rule(client.client_id, remaining=None)
    entry = audit.entry(f.NOW, "operator", audit.FAULT_ADD, None, detail="x")
    await store.add_fault_rule(added, [entry])

    assert await faulted(store, client, partner, other, shared) == [True, True, False, False]
    assert await store.list_fault_rules(client.client_id) == [added]
    assert await store.list_fault_rules(other.client_id) == []
    assert [e.action for e in await store.list_audit()][-1] == audit.FAULT_ADD
    # A partner made in the world afterwards is faulted from its creation.
    late = dataclasses.replace(f.client("dwolla"), world=client.client_id)
    assert await store.create_client(late)
    assert await faulted(store, late) == [True]


async def test_a_shared_world_client_has_rules_of_its_own(store: Store) -> None:
    shared, neighbour = f.client(), f.client()
    assert await store.create_client(shared)
    assert await store.create_client(neighbour)
    await store.add_fault_rule(rule(shared.client_id))
    assert await faulted(store, shared, neighbour) == [True, False]


async def test_rules_are_listed_oldest_first_with_their_fields(store: Store) -> None:
    client, _ = await world(store)
    first = dataclasses.replace(rule(client.client_id), status=503, latency_ms=250,
                                error_code=None, probability=0.25)  # fmt: skip
    second = dataclasses.replace(rule(client.client_id, remaining=None), drop=True,
                                 error_code=None)  # fmt: skip
    await store.add_fault_rule(second)
    await store.add_fault_rule(first)
    assert await store.list_fault_rules(client.client_id) == sorted(
        [first, second], key=lambda r: r.created_at
    )


async def test_the_uses_of_a_rule_are_taken_exactly_once_each(store: Store) -> None:
    client, partner = await world(store)
    limited = rule(client.client_id, remaining=3)
    await store.add_fault_rule(limited)
    taken = await asyncio.gather(*(store.take_fault_rule(limited.rule_id) for _ in range(10)))
    assert sorted(taken) == [False] * 7 + [True] * 3
    # The last use deleted the rule and, none being left, cleared the world.
    assert await store.list_fault_rules(client.client_id) == []
    assert await faulted(store, client, partner) == [False, False]
    assert await store.take_fault_rule(limited.rule_id) is False


async def test_the_last_use_keeps_the_flag_while_another_rule_lives(store: Store) -> None:
    client, partner = await world(store)
    once, always = rule(client.client_id), rule(client.client_id, remaining=None)
    await store.add_fault_rule(once)
    await store.add_fault_rule(always)
    assert await store.take_fault_rule(once.rule_id)
    assert await store.list_fault_rules(client.client_id) == [always]
    assert await faulted(store, client, partner) == [True, True]


async def test_two_stores_over_one_database_share_the_uses(store: Store, store_url: str) -> None:
    client, _ = await world(store)
    limited = rule(client.client_id, remaining=4)
    await store.add_fault_rule(limited)
    other = await open_store(store_url)
    try:
        taken = await asyncio.gather(*(
            s.take_fault_rule(limited.rule_id) for s in (store, other) * 5
        ))  # fmt: skip
    finally:
        await other.close()
    assert taken.count(True) == 4


async def test_removing_one_rule_or_all(store: Store) -> None:
    client, partner = await world(store)
    other, _ = await world(store)
    first, second = rule(client.client_id), rule(client.client_id, remaining=None)
    theirs = rule(other.client_id)
    for added in (first, second, theirs):
        await store.add_fault_rule(added)
    # Another world's rule_id removes nothing.
    assert await store.remove_fault_rules(client.client_id, theirs.rule_id) == 0
    assert await store.remove_fault_rules(client.client_id, first.rule_id) == 1
    assert await store.list_fault_rules(client.client_id) == [second]
    assert await faulted(store, client, partner) == [True, True]
    assert await store.remove_fault_rules(client.client_id) == 1
    assert await faulted(store, client, partner, other) == [False, False, True]
    assert await store.list_fault_rules(other.client_id) == [theirs]


async def test_a_client_reset_ends_the_rules_of_its_world(store: Store) -> None:
    client, partner = await world(store)
    other, _ = await world(store)
    await store.add_fault_rule(rule(client.client_id, remaining=None))
    await store.add_fault_rule(rule(other.client_id))
    await store.reset_client(client.client_id)
    assert await store.list_fault_rules(client.client_id) == []
    assert await faulted(store, client, partner, other) == [False, False, True]


async def test_a_reset_ends_every_rule(store: Store) -> None:
    shared = f.client()
    assert await store.create_client(shared)
    client, _ = await world(store)
    await store.add_fault_rule(rule(shared.client_id))
    await store.add_fault_rule(rule(client.client_id))
    await store.reset_everything()
    assert await store.list_fault_rules(shared.client_id) == []
    assert await store.list_fault_rules(client.client_id) == []
    assert await faulted(store, shared) == [False]
