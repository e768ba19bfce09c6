"""The virtual clock of an isolated client's world, and what time does to its Items.

Each isolated world (a client made through the control API, with its partners) has a clock
of its own: the real clock plus an offset that only grows (`Client.clock_offset`, the same
on every client of the world), so a fresh client starts at real time, its clock never goes
back, and other clients never see it move. The shared world's clock is the real one.

Moving a clock on makes, in order, what the time passed would have made at Plaid:

- every midnight (UTC) passed is a new day: each Item whose Transactions has started gets
  that day's update (its oldest pending transaction posts, a new one appears, one is
  corrected), with the webhooks of a refresh (DEFAULT_UPDATE, SYNC_UPDATES_AVAILABLE, ...);
- 30 days after the user last logged in to an Item (its creation, or its last repair), the
  Sandbox puts it into ITEM_LOGIN_REQUIRED, with the ITEM ERROR webhook
  (https://plaid.com/docs/sandbox/: "Items will transition to an ITEM_LOGIN_REQUIRED error
  state automatically after 30 days"); a week before, the Item's webhook hears PENDING_EXPIRATION,
  as for an Item whose consent expires;
- an Item in error gets no daily updates and does not expire again until it is repaired.

Everything else that depends on time reads the client's clock when it is asked
(domain/clock.py): Link and public token expiry, and every timestamp the client's Items and
tokens carry. Real time passing changes no Item: only an advance does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokenbridge.domain import audit, errors
from tokenbridge.domain.clients import ClientService
from tokenbridge.domain.clock import client_now
from tokenbridge.domain.models import Client, Item
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.sandbox_items import SandboxItemService
from tokenbridge.domain.transactions import TransactionsService

DAY = 86400.0
# https://plaid.com/docs/sandbox/: ITEM_LOGIN_REQUIRED after 30 days.
LOGIN_LIFETIME = 30 * DAY
# PendingExpirationWebhook: "Fired when an Item's access consent is expiring in 7 days."
EXPIRATION_NOTICE = 7 * DAY
# The most one advance moves a clock: a year, so that one call makes at most 366 daily
# updates per Item (a test that needs more advances again).
MAX_ADVANCE = 366 * DAY

_NEW_DAY, _NOTICE, _EXPIRY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class ClockReading:
    """A world's clock: `now` (Unix seconds) and how far it is ahead of the real clock."""

    client_id: str
    now: float
    offset: float


def events(logged_in_at: float, before: float, after: float) -> list[tuple[float, int]]:
    """What happens to an Item (whose user last logged in at `logged_in_at`) when its
    clock moves from `before` to `after`: (when, what), in order."""
    found: list[tuple[float, int]] = []
    midnight = (math.floor(before / DAY) + 1) * DAY
    while midnight <= after:
        found.append((midnight, _NEW_DAY))
        midnight += DAY
    expiry = logged_in_at + LOGIN_LIFETIME
    if before < expiry - EXPIRATION_NOTICE <= after:
        found.append((expiry - EXPIRATION_NOTICE, _NOTICE))
    if before < expiry <= after:
        found.append((expiry, _EXPIRY))
    found.sort()
    return found


class TimelineService:
    """The clocks of isolated worlds, read and moved by the operator (domain/operator.py)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        clients: ClientService,
        transactions: TransactionsService,
        sandbox_items: SandboxItemService,
    ) -> None:
        self.store = store
        self.clock = clock
        self.clients = clients
        self.transactions = transactions
        self.sandbox_items = sandbox_items

    async def clock_get(self, client_id: str) -> ClockReading:
        """The clock of the client's world. INVALID_FIELD for an unknown client or one of
        the shared world (whose clock is the real one)."""
        client = await self._isolated(client_id)
        return ClockReading(client.world, client_now(self.clock, client), client.clock_offset)

    async def clock_advance(self, client_id: str, seconds: float) -> ClockReading:
        """Move the clock of the client's world `seconds` on (0 to a year), and make what
        the time passed makes to the world's Items (this module's docstring), before
        answering: a test that reads after the advance sees it all."""
        if not (math.isfinite(seconds) and 0 <= seconds <= MAX_ADVANCE):
            raise errors.InvalidField(
                "the clock moves forward only, at most 366 days per advance: the sum of days,"
                " hours, minutes and seconds must be between 0 and 31622400 seconds"
            )
        client = await self._isolated(client_id)
        real = self.clock.now()
        entry = audit.entry(real, audit.OPERATOR, audit.CLOCK_ADVANCE, None,
                            detail=f"{client.world} +{seconds:g} s")  # fmt: skip
        offset = await self.store.advance_clock(client.world, seconds, [entry])
        if offset is None:
            raise errors.InvalidField("unknown client_id")
        # This server's cached clients carry the old offset; other servers' see the new one
        # when their trust in them lapses (clients.VERIFIED_TTL).
        self.clients.forget()
        after = real + offset
        if seconds > 0:
            await self._pass(client.world, after - seconds, after)
        return ClockReading(client.world, after, offset)

    async def _pass(self, owner: str, before: float, after: float) -> None:
        """Make what the time from `before` to `after` makes to the Items of `owner`."""
        for item, logged_in_at in await self.store.list_clock_items(owner):
            for at, what in events(logged_in_at, before, after):
                if item.error_code is not None:
                    break
                await self._happen(item, what, at, logged_in_at + LOGIN_LIFETIME)

    async def _happen(self, item: Item, what: int, at: float, expiry: float) -> None:
        if what == _NEW_DAY:
            await self.transactions.new_day(item, at)
        elif what == _NOTICE:
            await self.sandbox_items.pending_expiration(item, expiry)
        else:
            await self.sandbox_items.login_expired(item, at)

    async def _isolated(self, client_id: str) -> Client:
        client = await self.store.get_client(client_id)
        if client is None:
            raise errors.InvalidField("unknown client_id")
        if not client.world:
            raise errors.InvalidField(
                "this client is of the shared world, whose clock is the real one and does not"
                " move: make a client with a clock of its own with"
                " /_tokenbridge/control/client/create"
            )
        return client
