"""What an operator may do that no Plaid client can: the control API's operations (and,
later, the dashboard's).

An isolated sandbox client is an ordinary client in a world of its own (`Client.world`):
its Items, tokens, Link tokens, webhooks and rate-limit counters are keyed by its
client_id as every client's are, and the partners made for it are the only partners that
may use the processor tokens it makes. A reset deletes a client's data and keeps the
client; resetting everything also deletes every isolated world. The audit log keeps
everything, resets included.

An inbox is a webhook URL served by tokenbridge itself: whoever knows its id may post to
it (as anyone may post to a webhook receiver), and only the operator reads it back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from tokenbridge.domain import audit, errors
from tokenbridge.domain.catalog import PROCESSOR_SET
from tokenbridge.domain.clients import ClientService
from tokenbridge.domain.faults import FaultService
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.models import Client, FaultRule, InboxDelivery
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.timeline import ClockReading, TimelineService

# The actor of what the operator does, in the audit log.
OPERATOR = audit.OPERATOR
# The most deliveries an inbox keeps: beyond them it answers 429 to a sender, which then
# retries on Plaid's schedule (a test that needs more uses another inbox).
INBOX_CAPACITY = 1000
# The most deliveries one read of an inbox returns.
MAX_PAGE = 1000


class OperatorService:
    def __init__(
        self, store: Store, ids: Ids, clock: Clock, clients: ClientService,
        timeline: TimelineService, faults: FaultService,
    ) -> None:  # fmt: skip
        self.store = store
        self.ids = ids
        self.clock = clock
        self.clients = clients
        self.faults = faults
        self.timeline = timeline

    async def clock_get(self, client_id: str) -> ClockReading:
        """The clock of the isolated client's world (domain/timeline.py)."""
        return await self.timeline.clock_get(client_id)

    async def clock_advance(
        self, client_id: str, *, days: float = 0, hours: float = 0, minutes: float = 0,
        seconds: float = 0,
    ) -> ClockReading:  # fmt: skip
        """Move the clock of the isolated client's world on by the sum given, making what
        that time makes to its Items. INVALID_FIELD for a part below 0, a sum beyond a
        year, an unknown client or one of the shared world."""
        parts = {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
        for name, value in parts.items():
            if not (math.isfinite(value) and value >= 0):
                raise errors.InvalidField(f"{name} must be a number of at least 0")
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        return await self.timeline.clock_advance(client_id, total)

    async def create_sandbox_client(self, name: str = "sandbox") -> tuple[Client, str]:
        """A new client in a world of its own, and its secret (returned once)."""
        return await self.clients.create_client(name, isolated=True)

    async def create_partner(
        self, client_id: str, processor: str, name: str | None = None
    ) -> tuple[Client, str]:
        """A new partner of `processor` in the world of the client `client_id`: it may use
        the processor tokens that client makes for `processor`, and no others.
        INVALID_FIELD for an unknown client, a partner, or an unknown processor."""
        if processor not in PROCESSOR_SET:
            raise errors.InvalidField(f"unknown processor {processor!r}")
        client = await self._developer(client_id)
        return await self.clients.create_client(name or processor, processor, world=client.world)

    async def reset_client(self, client_id: str) -> None:
        """Delete the client's Items, tokens, webhooks and counters; the client and its
        partners stay, with their credentials. INVALID_FIELD for an unknown client."""
        client = await self._developer(client_id)
        entry = audit.entry(self.clock.now(), OPERATOR, audit.CLIENT_RESET, None,
                            detail=client.client_id)  # fmt: skip
        await self.store.reset_client(client.client_id, [entry])
        # Its cached partners would keep their world's flag for up to VERIFIED_TTL.
        self.clients.forget()

    async def reset(self) -> None:
        """Delete the data of every client, every isolated client with its partners, and
        every inbox; the shared world's clients stay (with their credentials), and so do
        the webhook signing keys and the audit log."""
        entry = audit.entry(self.clock.now(), OPERATOR, audit.RESET, None)
        await self.store.reset_everything([entry])
        self.clients.forget()

    async def add_fault(self, client_id: str, path: Any, **rule: Any) -> FaultRule:
        """Add a fault rule to the world of the client `client_id` (faults.FaultService.add
        says what a rule may be). INVALID_FIELD for an unknown client, a partner, or a
        rule that is not one."""
        return await self.faults.add(await self._developer(client_id), path, **rule)

    async def list_faults(self, client_id: str) -> list[FaultRule]:
        """The live fault rules of the client's world, oldest first. INVALID_FIELD for an
        unknown client or a partner."""
        return await self.faults.list(await self._developer(client_id))

    async def remove_faults(self, client_id: str, rule_id: str | None) -> int:
        """Remove the rule `rule_id` of the client's world, or every one with None; how many
        went. INVALID_FIELD for an unknown client, a partner or an unknown rule_id."""
        return await self.faults.remove(await self._developer(client_id), rule_id)

    async def create_inbox(self) -> str:
        """A new inbox; its id (32 hex digits, as hard to guess as a secret)."""
        inbox_id = self.ids.random.token_bytes(16).hex()
        await self.store.create_inbox(inbox_id, "", self.clock.now())
        return inbox_id

    async def receive(self, inbox_id: str, headers: Mapping[str, str], body: bytes) -> None:
        """Record a POST to the inbox. NOT_FOUND for an unknown inbox, INVALID_BODY for a
        body that is not UTF-8 or holds a NUL, RATE_LIMIT_EXCEEDED for a full one."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.InvalidBody("an inbox takes UTF-8 bodies") from None
        # PostgreSQL's text cannot hold a NUL; no webhook has one (JSON escapes it).
        if "\x00" in text:
            raise errors.InvalidBody("an inbox takes bodies without NUL characters")
        added = await self.store.add_inbox_delivery(
            inbox_id, self.clock.now(), json.dumps(dict(headers), sort_keys=True), text,
            INBOX_CAPACITY,
        )  # fmt: skip
        if added is None:
            raise errors.NotFound("unknown inbox")
        if not added:
            raise errors.InboxFull(INBOX_CAPACITY)

    async def deliveries(
        self, inbox_id: str, after: int = 0, limit: int = MAX_PAGE
    ) -> list[InboxDelivery]:
        """The inbox's deliveries after number `after`, oldest first. INVALID_FIELD for an
        unknown inbox or a bad `after` or `limit`."""
        if after < 0:
            raise errors.InvalidField("after must be a non-negative integer")
        if not 1 <= limit <= MAX_PAGE:
            raise errors.InvalidField(f"limit must be an integer between 1 and {MAX_PAGE}")
        found = await self.store.list_inbox_deliveries(inbox_id, after, limit)
        if found is None:
            raise errors.InvalidField("unknown inbox_id")
        return found

    async def _developer(self, client_id: str) -> Client:
        client = await self.store.get_client(client_id)
        if client is None:
            raise errors.InvalidField("unknown client_id")
        if client.processor is not None:
            raise errors.InvalidField("client_id names a partner, not a developer's client")
        return client
