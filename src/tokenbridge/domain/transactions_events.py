"""Who hears of an Item's transactions, and what they are sent.

An Item's transactions change when Transactions starts on it (at its creation, or at the
first /transactions/get or /sync of either side) and at each refresh round. Plaid then
sends TRANSACTIONS webhooks to the Item's webhook and, in their processor forms (the
account's `account_id` for the `item_id`), to the webhook of each processor token of the
Item that may read transactions (https://plaid.com/docs/api/products/transactions/#webhooks,
https://plaid.com/docs/api/processor-partners/#webhooks). The legacy webhooks
(INITIAL_UPDATE, HISTORICAL_UPDATE, DEFAULT_UPDATE, TRANSACTIONS_REMOVED) go to every
listener; SYNC_UPDATES_AVAILABLE only to those who have called /transactions/sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tokenbridge.domain import webhook_events
from tokenbridge.domain.dates import utc_date
from tokenbridge.domain.models import Account, Item, ProcessorToken, Webhook
from tokenbridge.domain.outbox import Outboxes
from tokenbridge.domain.ports import Bank

TRANSACTIONS = "transactions"
RECURRING_TRANSACTIONS = "recurring_transactions"
# INITIAL_UPDATE: "the most recent 30 days" of history.
INITIAL_DAYS = 30
# Who the developer is among an Item's /transactions/sync users (a processor token is
# its hash), as the store records them.
DEVELOPER = ""


@dataclass(frozen=True, slots=True)
class Listener:
    """A webhook URL that hears of the Item's transactions: the Item's own (`key` item_id,
    every account) or a processor token's (`key` account_id, its one account)."""

    url: str
    key: str
    value: str
    subject: str
    account_ids: tuple[str, ...]


@dataclass(slots=True)
class AccountChanges:
    """What a refresh round did to one account's transactions."""

    added: int = 0
    modified: int = 0
    removed: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.added or self.modified or self.removed)


def may_read(token: ProcessorToken, product: str) -> bool:
    """Whether the token's permissions let its partner read `product` (no list: every
    product)."""
    return not token.products or product in token.products


def listeners(
    item: Item, accounts: Sequence[Account], tokens: Sequence[ProcessorToken], product: str
) -> list[Listener]:
    """The Item's webhook (if it has one), then each processor token's that may read
    `product`, oldest token first."""
    found = []
    if item.webhook:
        ids = tuple(a.account_id for a in accounts)
        found.append(Listener(item.webhook, "item_id", item.item_id, DEVELOPER, ids))
    for token in tokens:
        if token.webhook and may_read(token, product):
            found.append(Listener(
                token.webhook, "account_id", token.account_id, token.token_hash,
                (token.account_id,),
            ))  # fmt: skip
    return found


def pulled(
    bank: Bank, item: Item, accounts: Sequence[Account], days_requested: int, now: float
) -> dict[str, tuple[int, int]]:
    """For each account, how many transactions Transactions starts with: (in the most
    recent 30 days, in all)."""
    since = utc_date(now) - timedelta(days=INITIAL_DAYS)
    counts = {}
    for account in accounts:
        found = bank.transactions(item, account, days_requested, ()).values()
        counts[account.account_id] = (sum(1 for t in found if t.date >= since), len(found))
    return counts


def started(
    outbox: Outboxes,
    item: Item,
    hearing: Sequence[Listener],
    counts: Mapping[str, tuple[int, int]],
    environment: str,
    *,
    synced_by: str | None = None,
) -> list[Webhook]:
    """The webhooks of Transactions starting on the Item: INITIAL_UPDATE and
    HISTORICAL_UPDATE to each listener and, to `synced_by` (the subject whose
    /transactions/sync started it), SYNC_UPDATES_AVAILABLE twice, as Plaid fires it for an
    Item "not initialized with Transactions": once the first 30 days are in, once the
    whole history is."""
    fired = []
    for listener in hearing:
        initial = sum(counts.get(a, (0, 0))[0] for a in listener.account_ids)
        total = sum(counts.get(a, (0, 0))[1] for a in listener.account_ids)
        payloads = [
            webhook_events.transactions_pulled(
                "INITIAL_UPDATE", listener.key, listener.value, initial, environment
            ),
            webhook_events.transactions_pulled(
                "HISTORICAL_UPDATE", listener.key, listener.value, total, environment
            ),
        ]
        if listener.subject == synced_by:
            payloads.insert(1, webhook_events.sync_updates_available(
                listener.key, listener.value, environment, historical=False
            ))  # fmt: skip
            payloads.append(
                webhook_events.sync_updates_available(listener.key, listener.value, environment)
            )
        fired += _to(outbox, item, listener, payloads)
    return fired


def refreshed(
    outbox: Outboxes,
    item: Item,
    hearing: Sequence[Listener],
    changes: Mapping[str, AccountChanges],
    sync_users: frozenset[str],
    environment: str,
    *,
    recurring: Sequence[Listener] = (),
) -> list[Webhook]:
    """The webhooks of a refresh round that made `changes`, to each listener whose
    accounts changed: DEFAULT_UPDATE for new transactions, TRANSACTIONS_REMOVED for deleted
    ones, SYNC_UPDATES_AVAILABLE for any change to a /transactions/sync user; and
    RECURRING_TRANSACTIONS_UPDATE to those of `recurring` (the listeners of Recurring
    Transactions) whose accounts changed."""
    fired = []
    for listener in hearing:
        mine = [changes[a] for a in listener.account_ids if a in changes]
        added = sum(c.added for c in mine)
        removed = sorted(t for c in mine for t in c.removed)
        payloads = []
        if added:
            payloads.append(webhook_events.transactions_pulled(
                "DEFAULT_UPDATE", listener.key, listener.value, added, environment
            ))  # fmt: skip
        if removed:
            payloads.append(webhook_events.transactions_removed(
                listener.key, listener.value, removed, environment
            ))  # fmt: skip
        if listener.subject in sync_users and any(c.any() for c in mine):
            payloads.append(
                webhook_events.sync_updates_available(listener.key, listener.value, environment)
            )
        fired += _to(outbox, item, listener, payloads)
    for listener in recurring:
        touched = [a for a in listener.account_ids if a in changes and changes[a].any()]
        if touched:
            fired += _to(outbox, item, listener, [webhook_events.recurring_transactions_update(
                listener.key, listener.value, touched, environment
            )])  # fmt: skip
    return fired


def _to(
    outbox: Outboxes, item: Item, listener: Listener, payloads: Sequence[dict[str, Any]]
) -> list[Webhook]:
    return [outbox.webhook(item.client_id, listener.url, p, item_id=item.item_id) for p in payloads]
