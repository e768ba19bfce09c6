"""Domain tests: the domain's services over an in-memory SQLite store, with a clock we move."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from tokenbridge.domain.models import Client
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import RandomSource
from tokenbridge.domain.services import Services
from tokenbridge.sandbox.bank import SandboxBank
from tokenbridge.storage import open_store

T = TypeVar("T")

# 2023-11-14T22:13:20Z: any fixed instant will do; tests move it forward by hand.
START = 1_700_000_000.0


@dataclass
class Clock:
    """A `Clock` that stands still at `at` until a test moves it."""

    at: float = START

    def now(self) -> float:
        return self.at


@dataclass
class Outbox:
    """An `Outbox` that counts the times it was told of webhooks (the store keeps them)."""

    notified: int = 0

    def notify(self) -> None:
        self.notified += 1


def build_services(store: Store, clock: Clock, seed: str | None = None) -> Services:
    return Services.build(
        store=store,
        bank=SandboxBank(),
        clock=clock,
        outbox=Outbox(),
        random=RandomSource(seed),
        environment="sandbox",
        rate_limiter=None,
    )


@dataclass
class Domain:
    """One event loop, one store, the services over it, and a developer client to act as."""

    loop: asyncio.AbstractEventLoop
    store: Store
    services: Services
    clock: Clock
    client: Client = field(init=False)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def new_client(self, name: str = "developer", processor: str | None = None) -> Client:
        return self.run(self.services.clients.create_client(name, processor))[0]

    def link(self, client: Client | None = None, institution_id: str = "ins_109508") -> str:
        """An access token for a new sandbox Item of `client` (the default client)."""
        client = client or self.client
        items = self.services.items
        public = self.run(items.sandbox_public_token_create(client, institution_id, ["auth"]))
        return self.run(items.item_public_token_exchange(client, public))[0]

    def account_ids(self, access_token: str, client: Client | None = None) -> list[str]:
        found = self.run(self.services.items.accounts_get(client or self.client, access_token))
        return [a.account_id for a in found.accounts]

    def processor_token(self, processor: str = "dwolla", access_token: str | None = None) -> str:
        """A processor token for the first account of `access_token` (or of a new Item)."""
        access_token = access_token or self.link()
        account_id = self.account_ids(access_token)[0]
        return self.run(
            self.services.processor_tokens.processor_token_create(
                self.client, access_token, account_id, processor
            )
        )


def open_domain(seed: str | None = None) -> Domain:
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(open_store("sqlite:///:memory:"))
    clock = Clock()
    domain = Domain(loop, store, build_services(store, clock, seed), clock)
    domain.client = domain.new_client()
    return domain


def close_domain(domain: Domain) -> None:
    domain.run(domain.store.close())
    domain.loop.close()


@pytest.fixture
def domain() -> Iterator[Domain]:
    d = open_domain()
    yield d
    close_domain(d)
