"""API clients: creating them, pinning the sandbox client, and authenticating requests."""

from __future__ import annotations

import hmac

from tokenbridge.domain import audit, errors
from tokenbridge.domain.catalog import PROCESSOR_SET
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.models import Client
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.randomness import hash_token


class ClientService:
    def __init__(self, store: Store, ids: Ids, clock: Clock) -> None:
        self.store = store
        self.ids = ids
        self.clock = clock
        # Clients are few and their secrets never change in place, so a found client is
        # kept; an unknown client_id is asked of the store every time, so that a client
        # created by another process is seen at once.
        self._clients: dict[str, Client] = {}
        # The secret that last authenticated each client, so that the next request with it
        # is checked by one constant-time comparison instead of a hash and a comparison.
        # Secrets stay in this process's memory only, as long as the client stays cached.
        self._verified: dict[str, tuple[str, Client]] = {}
        self._dummy_hash = hash_token(ids.random.uuid4())

    async def create_client(
        self, name: str, processor: str | None = None, *, request_id: str | None = None
    ) -> tuple[Client, str]:
        """A new client and its secret, which is returned here once and stored hashed."""
        if processor is not None and processor not in PROCESSOR_SET and processor != "stripe":
            raise errors.InvalidField(f"unknown processor {processor!r}")
        secret = self.ids.secret()
        client = Client(
            client_id=self.ids.client_id(),
            name=name,
            secret_hash=hash_token(secret),
            created_at=self.clock.now(),
            processor=processor,
        )
        # The actor of a client's creation is the new client itself: clients are made by an
        # operator (the command line), who has no client_id.
        action = audit.CLIENT_CREATE if processor is None else audit.PARTNER_CREATE
        entry = audit.entry(
            client.created_at, client.client_id, action, request_id, processor=processor,
            detail=name,
        )  # fmt: skip
        if not await self.store.create_client(client, [entry]):
            raise errors.InvalidField("a client with this client_id exists")
        return client, secret

    async def pin_client(self, client_id: str, secret: str, name: str) -> Client:
        """Make sure a client with exactly these credentials exists (TOKENBRIDGE_CLIENT_ID)."""
        client = Client(client_id, name, hash_token(secret), self.clock.now())
        existing = await self.store.get_client(client_id)
        if existing is None or existing.secret_hash != client.secret_hash:
            entry = audit.entry(client.created_at, client_id, audit.CLIENT_PUT, None, detail=name)
            await self.store.put_client(client, [entry])
        return client

    async def authenticate(self, client_id: str, secret: str) -> Client:
        """The client these credentials belong to; raises InvalidApiKeys otherwise."""
        verified = self._verified.get(client_id)
        # compare_digest takes str only when it is ASCII; other secrets go the long way.
        if verified is not None and secret.isascii() and hmac.compare_digest(verified[0], secret):
            return verified[1]
        client = self._clients.get(client_id)
        if client is None:
            client = await self.store.get_client(client_id)
            if client is not None:
                self._clients[client_id] = client
        # The comparison runs whether or not the client exists, in constant time, so that
        # timing tells nothing about which client_ids exist.
        expected = client.secret_hash if client is not None else self._dummy_hash
        if not hmac.compare_digest(hash_token(secret), expected) or client is None:
            raise errors.InvalidApiKeys()
        if secret.isascii():
            self._verified[client_id] = (secret, client)
        return client
