"""The webhook outbox: what the domain fires, written with the change that fires it.

A service that fires a webhook builds it here (`outbound`) and hands it to the store with
the change, as it hands the change's audit entry: both are written in one transaction, so a
webhook is never lost to a crash once its change is made, and never sent for a change that
did not happen. The store keeps it until a delivery worker (webhooks/outbox.py) has posted
it, on Plaid's schedule (`next_attempt_at`); the service then tells the `Outbox` port that
something is due, so that the local worker sends it at once.

`WebhookOutboxService` is the operator's view: the deliveries with their attempts, and a
redelivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tokenbridge.domain import audit, errors
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.models import Webhook, WebhookAttempt
from tokenbridge.domain.ports import Clock, Outbox, Store

# Webhook.status
PENDING = "pending"  # attempts remain; `next_attempt_at` says when
DELIVERED = "delivered"  # the receiver answered 2xx
FAILED = "failed"  # the schedule ran out, or the URL cannot be posted to
REFUSED = "refused"  # TOKENBRIDGE_WEBHOOK_HOSTS does not allow the destination
STATUSES = (PENDING, DELIVERED, FAILED, REFUSED)

# Plaid's schedule (https://plaid.com/docs/api/webhooks/): a receiver that does not answer
# 2xx within 10 seconds gets the webhook again for up to 24 hours, the first retry after 30
# seconds and each delay four times the one before: retries after 30 s, 2 min, 8 min, 32 min,
# 2 h 8 min and 8 h 32 min (seven attempts, the last 11 h 22 min after the first); the next
# delay (34 h) would end past 24 hours.
TIMEOUT_SECONDS = 10.0
FIRST_RETRY_SECONDS = 30.0
RETRY_FACTOR = 4.0
RETRY_WINDOW_SECONDS = 24 * 3600.0


def encode(payload: dict[str, Any]) -> str:
    """The body of a webhook: compact JSON, non-ASCII characters as they are (UTF-8 on the
    wire)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def outbound(
    webhook_id: str,
    now: float,
    client_id: str,
    url: str,
    payload: dict[str, Any],
    *,
    item_id: str | None = None,
) -> Webhook:
    """A webhook of `client_id`'s, due at once: `payload` to `url`, about `item_id` (and the
    account its processor form names)."""
    return Webhook(
        webhook_id, client_id, url, str(payload["webhook_type"]), str(payload["webhook_code"]),
        encode(payload), now, item_id=item_id, account_id=payload.get("account_id"),
        round_started_at=now, next_attempt_at=now,
    )  # fmt: skip


def next_attempt_at(webhook: Webhook, now: float, scale: float = 1.0) -> float | None:
    """When the attempt after the `webhook.attempts` made so far is due, if the last one
    failed at `now`; None once the schedule has run out. `scale` multiplies every delay and
    the window (TOKENBRIDGE_WEBHOOK_RETRY_SCALE: 0.001 makes 30 s into 30 ms)."""
    delay = FIRST_RETRY_SECONDS * RETRY_FACTOR ** (webhook.attempts - 1) * scale
    due = now + delay
    if due - webhook.round_started_at > RETRY_WINDOW_SECONDS * scale:
        return None
    return due


class Outboxes:
    """Builds the webhooks of one app's services: their ids and their time."""

    def __init__(self, ids: Ids, clock: Clock, outbox: Outbox) -> None:
        self.ids = ids
        self.clock = clock
        self.outbox = outbox

    def webhook(
        self, client_id: str, url: str, payload: dict[str, Any], *, item_id: str | None = None
    ) -> Webhook:
        """A webhook due now, to be written with the change that fires it."""
        return outbound(
            self.ids.new_id(), self.clock.now(), client_id, url, payload, item_id=item_id
        )

    def written(self) -> None:
        """Webhooks were just written: the local worker looks for them at once."""
        self.outbox.notify()


@dataclass(frozen=True, slots=True)
class Delivery:
    """A webhook with every attempt made so far, oldest first."""

    webhook: Webhook
    attempts: tuple[WebhookAttempt, ...]


class WebhookOutboxService:
    """What an operator may see and do with the outbox (the command line; later the control
    API and the dashboard)."""

    def __init__(self, store: Store, clock: Clock, outbox: Outbox) -> None:
        self.store = store
        self.clock = clock
        self.outbox = outbox

    async def deliveries(
        self, *, item_id: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[Delivery]:
        """The newest webhooks (of `item_id`, in `status`, if given), newest first, each with
        its attempts. INVALID_FIELD for a status that is not one of STATUSES."""
        if status is not None and status not in STATUSES:
            raise errors.InvalidField("status must be one of " + ", ".join(STATUSES))
        webhooks = await self.store.list_webhooks(item_id=item_id, status=status, limit=limit)
        return [
            Delivery(w, tuple(await self.store.list_webhook_attempts(w.webhook_id)))
            for w in webhooks
        ]

    async def redeliver(self, webhook_id: str, actor: str = "operator") -> bool:
        """Send the webhook again, whatever became of it: a new round of Plaid's schedule,
        its first attempt due now, the earlier attempts kept. False if there is no such
        webhook."""
        now = self.clock.now()
        entry = audit.entry(now, actor, audit.WEBHOOK_REDELIVER, None, detail=webhook_id)
        webhook = await self.store.get_webhook(webhook_id)
        if webhook is None:
            return False
        entry.item_id = webhook.item_id
        if not await self.store.redeliver_webhook(webhook_id, now, [entry]):
            return False
        self.outbox.notify()
        return True
