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

The dashboard reads through the views below (pages of rows, read with a keyset on an
indexed column, so a page costs the same however large the database) and acts on an Item
by its item_id: the operator holds no access token (the store keeps only their hashes), so
each action shares the write of the API's operation, audited with OPERATOR as the actor.
A view never holds a token or a secret: tokens are shown by their token_id, webhook URLs
with any password redacted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tokenbridge.domain import audit, errors
from tokenbridge.domain.audit import AuditEntry
from tokenbridge.domain.catalog import PROCESSOR_SET
from tokenbridge.domain.clients import ClientService
from tokenbridge.domain.faults import FAULT_ERRORS, FaultService
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.items import ItemService, item_error
from tokenbridge.domain.models import (
    Account,
    Client,
    FaultRule,
    InboxDelivery,
    Item,
    Webhook,
    WebhookAttempt,
)
from tokenbridge.domain.outbox import STATUSES
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.redaction import redact_url
from tokenbridge.domain.sandbox_items import WEBHOOK_CODES, SandboxItemService
from tokenbridge.domain.timeline import ClockReading, TimelineService

# The actor of what the operator does, in the audit log.
OPERATOR = audit.OPERATOR
# The most deliveries an inbox keeps: beyond them it answers 429 to a sender, which then
# retries on Plaid's schedule (a test that needs more uses another inbox).
INBOX_CAPACITY = 1000
# The most deliveries one read of an inbox returns.
MAX_PAGE = 1000
# Rows on one page of the dashboard's lists; the webhooks shown with their attempts on an
# Item's page.
PAGE = 50
ITEM_WEBHOOKS = 20
# The test webhooks the operator may fire (those of /sandbox/item/fire_webhook).
FIREABLE_CODES = WEBHOOK_CODES
# The longest search the dashboard takes (an id is 37 characters at most).
MAX_SEARCH = 100


# The dashboard's views: what a page shows, with nothing secret in it. ------------------


@dataclass(frozen=True, slots=True)
class ItemRow:
    item: Item
    institution: str  # the institution's name (its id if the bank no longer has it)
    # How far the clock of the Item's client is ahead of the real one (domain/clock.py).
    clock_offset: float = 0.0

    @property
    def status(self) -> str:
        if self.item.removed_at is not None:
            return "removed"
        return self.item.error_code or "healthy"


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A processor or Stripe bank account token, by its token_id."""

    token_id: str
    account_id: str
    client_id: str
    created_at: float
    processor: str | None = None
    permissions: tuple[str, ...] = ()  # empty: every product
    webhook: str | None = None  # redacted


@dataclass(frozen=True, slots=True)
class WebhookRow:
    webhook: Webhook
    url: str  # redacted
    attempts: tuple[WebhookAttempt, ...] = ()


@dataclass(frozen=True, slots=True)
class Overview:
    developers: int
    partners: int
    items: int  # ever created, removed ones included
    clients: list[Client]
    partner_list: list[Client]
    item_rows: list[ItemRow]
    next_items: str | None  # the cursor of the next page of Items


@dataclass(frozen=True, slots=True)
class ItemDetail:
    row: ItemRow
    client: Client | None
    accounts: list[Account]
    processor_tokens: list[TokenRow]
    bank_account_tokens: list[TokenRow]
    webhook: str | None  # the Item's webhook URL, redacted
    webhooks: list[WebhookRow]
    audit: list[AuditEntry]
    error: errors.PlaidError | None
    fireable: tuple[str, ...] = FIREABLE_CODES


@dataclass(frozen=True, slots=True)
class ClientDetail:
    client: Client
    partners: list[Client]
    item_rows: list[ItemRow]
    next_items: str | None
    audit: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class PartnerDetail:
    partner: Client
    developer: Client | None  # the isolated client whose world it is in, if any
    audit: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class WebhookPage:
    rows: list[WebhookRow]
    next: str | None
    statuses: tuple[str, ...] = STATUSES


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next_until: float | None  # `until` of the next (older) page


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    items: list[ItemRow] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)


class OperatorService:
    def __init__(
        self, store: Store, ids: Ids, clock: Clock, clients: ClientService, items: ItemService,
        sandbox_items: SandboxItemService, timeline: TimelineService, faults: FaultService,
    ) -> None:  # fmt: skip
        self.store = store
        self.ids = ids
        self.clock = clock
        self.clients = clients
        self.faults = faults
        self.items = items
        self.sandbox_items = sandbox_items
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

    @staticmethod
    def fireable_codes() -> tuple[str, ...]:
        """The webhook codes item_fire_webhook takes."""
        return FIREABLE_CODES

    @staticmethod
    def fault_codes() -> tuple[str, ...]:
        """The error codes a fault rule may answer (faults.FAULT_ERRORS)."""
        return tuple(sorted(FAULT_ERRORS))

    def fault_paths(self) -> tuple[str, ...]:
        """The paths a fault rule may name: Plaid's operations this server serves."""
        return tuple(sorted(self.faults.paths))

    # The dashboard's reads ----------------------------------------------------------------

    async def overview(self, before: str | None = None) -> Overview:
        """Counts, the first clients and partners, and a page of Items, newest first (after
        the cursor `before`). INVALID_FIELD for a cursor that is not one."""
        developers, partners = await self.store.count_clients()
        rows, following = await self._item_page(None, before)
        return Overview(
            developers=developers, partners=partners, items=await self.store.count_items(),
            clients=await self.store.list_clients(partners=False, limit=PAGE),
            partner_list=await self.store.list_clients(partners=True, limit=PAGE),
            item_rows=rows, next_items=following,
        )  # fmt: skip

    async def item_detail(self, item_id: str) -> ItemDetail:
        """Everything about one Item, removed or not. NOT_FOUND for an unknown item_id."""
        item = await self.store.get_item(item_id)
        if item is None:
            raise errors.NotFound("unknown item_id")
        processor_tokens = [
            TokenRow(audit.token_id(t.token_hash), t.account_id, t.client_id, t.created_at,
                     t.processor, t.products, redact_url(t.webhook) if t.webhook else None)
            for t in await self.store.list_processor_tokens(item_id)
        ]  # fmt: skip
        stripe = [
            TokenRow(audit.token_id(t.token_hash), t.account_id, t.client_id, t.created_at)
            for t in await self.store.list_bank_account_tokens(item_id)
        ]
        webhooks = [
            WebhookRow(w, redact_url(w.url),
                       tuple(await self.store.list_webhook_attempts(w.webhook_id)))
            for w in await self.store.list_webhooks(item_id=item_id, limit=ITEM_WEBHOOKS)
        ]  # fmt: skip
        client = await self.store.get_client(item.client_id)
        return ItemDetail(
            row=self._row(item, client.clock_offset if client else 0.0), client=client,
            accounts=await self.store.get_accounts(item_id),
            processor_tokens=processor_tokens, bank_account_tokens=stripe,
            webhook=redact_url(item.webhook) if item.webhook else None, webhooks=webhooks,
            audit=await self.store.list_audit_page(item_id=item_id, limit=PAGE),
            error=item_error(item),
        )  # fmt: skip

    async def client_detail(self, client_id: str, before: str | None = None) -> ClientDetail:
        """A developer's client: its partners, a page of its Items and what it did last.
        NOT_FOUND for an unknown client_id (a partner's id is a partner's page)."""
        client = await self.store.get_client(client_id)
        if client is None or client.processor is not None:
            raise errors.NotFound("unknown client_id")
        # An isolated client's partners are those of its world; the shared world's partners
        # serve every client of it.
        partners = await self.store.list_clients(partners=True, world=client.world, limit=PAGE)
        rows, following = await self._item_page(client_id, before)
        return ClientDetail(
            client=client, partners=partners, item_rows=rows, next_items=following,
            audit=await self.store.list_audit_page(actor=client_id, limit=PAGE),
        )  # fmt: skip

    async def partner_detail(self, client_id: str) -> PartnerDetail:
        """A processor partner, the isolated client it belongs to (if any) and what it did
        last. NOT_FOUND for an id that is no partner's."""
        partner = await self.store.get_client(client_id)
        if partner is None or partner.processor is None:
            raise errors.NotFound("unknown partner client_id")
        developer = await self.store.get_client(partner.world) if partner.world else None
        return PartnerDetail(
            partner, developer, await self.store.list_audit_page(actor=client_id, limit=PAGE)
        )

    async def webhook_page(
        self, before: str | None = None, *, item_id: str | None = None,
        status: str | None = None,
    ) -> WebhookPage:  # fmt: skip
        """A page of webhooks, newest first, each with its attempts. INVALID_FIELD for a
        status that is not one of the outbox's."""
        if status and status not in STATUSES:
            raise errors.InvalidField("status must be one of " + ", ".join(STATUSES))
        rows = await self.store.list_webhooks(
            item_id=item_id or None, status=status or None, limit=PAGE + 1,
            before=_cursor(before),
        )  # fmt: skip
        shown = [
            WebhookRow(w, redact_url(w.url),
                       tuple(await self.store.list_webhook_attempts(w.webhook_id)))
            for w in rows[:PAGE]
        ]  # fmt: skip
        last = rows[PAGE - 1] if len(rows) > PAGE else None
        return WebhookPage(shown, _cursor_of(last.created_at, last.webhook_id) if last else None)

    async def audit_page(
        self, *, item_id: str | None = None, actor: str | None = None,
        action: str | None = None, since: float | None = None, until: float | None = None,
    ) -> AuditPage:  # fmt: skip
        """A page of the audit log, newest first, filtered; INVALID_FIELD for a time range
        that ends before it starts."""
        if since is not None and until is not None and until < since:
            raise errors.InvalidField("the time range ends before it starts")
        entries = await self.store.list_audit_page(
            item_id=item_id or None, actor=actor or None, action=action or None,
            since=since, until=until, limit=PAGE,
        )  # fmt: skip
        return AuditPage(entries, entries[-1].at if len(entries) >= PAGE else None)

    async def search(self, query: str) -> SearchResult:
        """Items and clients whose id is `query`, and clients whose name contains it (case
        aside). Client names are matched over every client: there are few of them next to
        Items and tokens. INVALID_FIELD for an empty or overlong query."""
        query = query.strip()
        if not query or len(query) > MAX_SEARCH:
            raise errors.InvalidField(f"a search takes 1 to {MAX_SEARCH} characters")
        item = await self.store.get_item(query)
        folded = query.casefold()
        clients = [c for c in await self.store.list_clients()
                   if c.client_id == query or folded in c.name.casefold()]  # fmt: skip
        rows = []
        if item is not None:
            owner = next((c for c in clients if c.client_id == item.client_id), None)
            owner = owner or await self.store.get_client(item.client_id)
            rows.append(self._row(item, owner.clock_offset if owner else 0.0))
        return SearchResult(query, rows, clients[:PAGE])

    async def _item_page(
        self, client_id: str | None, before: str | None
    ) -> tuple[list[ItemRow], str | None]:
        items = await self.store.list_items(client_id, PAGE + 1, before=_cursor(before))
        last = items[PAGE - 1] if len(items) > PAGE else None
        following = _cursor_of(last.created_at, last.item_id) if last else None
        # Each Item's age is on its client's clock: one read per client on the page.
        offsets: dict[str, float] = {}
        for owner in {i.client_id for i in items[:PAGE]}:
            found = await self.store.get_client(owner)
            offsets[owner] = found.clock_offset if found else 0.0
        return [self._row(i, offsets[i.client_id]) for i in items[:PAGE]], following

    def _row(self, item: Item, clock_offset: float = 0.0) -> ItemRow:
        institution = self.items.bank.institution(item.institution_id)
        name = institution.name if institution else item.institution_id
        return ItemRow(item, name, clock_offset)

    # The dashboard's actions on an Item, by item_id -------------------------------------

    async def item_reset_login(self, item_id: str) -> None:
        """/sandbox/item/reset_login on the Item (its ITEM ERROR webhook included)."""
        await self.sandbox_items.reset_login(await self._live_item(item_id), OPERATOR)

    async def item_repair(self, item_id: str) -> bool:
        """The repair of the Item (LOGIN_REPAIRED to its webhook); False when it was not in
        error."""
        item = await self._live_item(item_id)
        return await self.sandbox_items.repair(await self._owner(item), item, OPERATOR)

    async def item_fire_webhook(self, item_id: str, webhook_code: str) -> None:
        """/sandbox/item/fire_webhook's test webhook `webhook_code` to the Item's webhook
        (its default type), audited."""
        item = await self._live_item(item_id)
        await self.sandbox_items.fire_webhook(await self._owner(item), item, OPERATOR, webhook_code)

    async def item_remove(self, item_id: str) -> None:
        """/item/remove's removal of the Item: every token of it stops working."""
        await self.items.remove(await self._live_item(item_id), OPERATOR)

    async def _live_item(self, item_id: str) -> Item:
        item = await self.store.get_item(item_id)
        if item is None:
            raise errors.NotFound("unknown item_id")
        if item.removed_at is not None:
            raise errors.InvalidField("the Item is removed")
        return item

    async def _owner(self, item: Item) -> Client:
        """The client of the Item, whose clock its times follow (domain/clock.py)."""
        client = await self.store.get_client(item.client_id)
        if client is None:  # an Item outlives no client: a reset deletes both together
            raise errors.NotFound("unknown item_id")
        return client


def _cursor_of(at: float, key: str) -> str:
    return f"{at!r}:{key}"


def _cursor(text: str | None) -> tuple[float, str] | None:
    """A page cursor (`<created_at>:<id>`) as the store's keyset; INVALID_FIELD if it is
    not one."""
    if not text:
        return None
    at, _, key = text.partition(":")
    try:
        value = float(at)
    except ValueError:
        raise errors.InvalidField("before is not a page cursor") from None
    if not key or value != value:  # NaN
        raise errors.InvalidField("before is not a page cursor")
    return value, key
