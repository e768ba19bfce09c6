"""The delivery worker: one per server, sending what the outbox holds.

Services write each webhook to the store with the change that fires it (domain/outbox.py).
The worker of every server over the store claims the webhooks that are due (a claim lasts
`CLAIM_SECONDS`, more than an attempt can take), posts each once (webhooks/delivery.py),
and records the attempt with what becomes of the webhook: delivered on a 2xx answer;
otherwise due again on Plaid's schedule (`outbox.next_attempt_at`, its delays multiplied by
TOKENBRIDGE_WEBHOOK_RETRY_SCALE) until the schedule runs out; refused or failed at once when
the destination policy refuses it or the URL cannot be used.

Delivery is at least once. A webhook is sent only after its change has committed, and
stays in the store until an attempt is recorded, so a restart or `kill -9` loses nothing: a
claim of a worker that died lapses, and the webhook is sent again by whichever worker
claims it next. With many servers over PostgreSQL the claim skips rows another worker holds
(FOR UPDATE SKIP LOCKED), so each webhook is sent by one server.

The worker sleeps until the next webhook is due, a service of this server wakes it
(`notify`, the domain's Outbox port), or `POLL_SECONDS` pass (for webhooks written by other
servers). Nothing of this runs on the request path: a request only writes its rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable

import httpx

from tokenbridge.domain import outbox
from tokenbridge.domain.models import Webhook
from tokenbridge.domain.ports import Store
from tokenbridge.domain.redaction import redact_url
from tokenbridge.domain.webhook_destinations import ANYWHERE, WebhookDestinations
from tokenbridge.webhooks.delivery import Outcome, post
from tokenbridge.webhooks.destinations import Resolver, resolve
from tokenbridge.webhooks.signing import WebhookSigner

log = logging.getLogger("tokenbridge.webhooks")

# Longest a worker waits without looking for webhooks other servers wrote.
POLL_SECONDS = 1.0
# Webhooks in flight at once, per worker.
CONCURRENCY = 32
# How long a claim keeps other workers off a webhook: an attempt takes at most the DNS
# check's and the POST's timeouts (5 s + 10 s), and a claim of a worker that died lapses
# after this long.
CLAIM_SECONDS = 30.0
# After the store fails, the worker waits this long before it asks again.
STORE_RETRY_SECONDS = 1.0


class DeliveryWorker:
    """Sends the outbox's due webhooks in the background of one event loop.

    `start` begins it and `stop` ends it, waiting (at most `timeout`) for the attempts in
    flight; webhooks not yet sent stay in the store for the next start or another server.
    """

    def __init__(
        self,
        store: Store,
        signer: WebhookSigner | None,
        *,
        destinations: WebhookDestinations = ANYWHERE,
        resolver: Resolver = resolve,
        retry_scale: float = 1.0,
        timeout: float = outbox.TIMEOUT_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.signer = signer
        self.destinations = destinations
        self.resolver = resolver
        self.retry_scale = retry_scale
        self.timeout = timeout
        self.now = now
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._client: httpx.AsyncClient | None = None

    # The domain's Outbox port ------------------------------------------------------------

    def notify(self) -> None:
        self._wake.set()

    # Running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin sending, on the running event loop."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, timeout: float = outbox.TIMEOUT_SECONDS) -> None:
        """Stop claiming; wait at most `timeout` seconds for the attempts in flight."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._inflight:
            _, late = await asyncio.wait(set(self._inflight), timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                # Their claims lapse; the next start, or another server, sends them again.
                await asyncio.wait(late)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                wait = await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhook outbox not read: %s: %s", type(exc).__name__, exc)
                wait = STORE_RETRY_SECONDS
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def _claim(self) -> float:
        """Start an attempt for every due webhook there is room for; how long to wait
        before looking again (unless woken)."""
        room = CONCURRENCY - len(self._inflight)
        if room <= 0:
            return POLL_SECONDS  # a finished attempt wakes the worker
        now = self.now()
        claimed = await self.store.claim_webhooks(now, now + CLAIM_SECONDS, room)
        for webhook in claimed:
            task = asyncio.get_running_loop().create_task(self._attempt(webhook))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        if len(claimed) == room:
            return 0.0  # more may be due
        due = await self.store.next_webhook_due()
        return POLL_SECONDS if due is None else min(POLL_SECONDS, max(due - self.now(), 0.0))

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        # A slot is free: look again, in case more were due than there was room for.
        self._wake.set()

    async def _attempt(self, webhook: Webhook) -> None:
        if self._client is None:
            # Made with the first attempt, not at start: an httpx client builds its TLS
            # context (the CA bundle) at once, 20-80 ms and about 3 MB, which a server that
            # sends no webhook would pay at every start.
            self._client = httpx.AsyncClient(follow_redirects=False, timeout=self.timeout)
        started = time.perf_counter()
        at = self.now()
        result = await post(
            self._client, webhook.url, webhook.body.encode(), destinations=self.destinations,
            resolver=self.resolver, signer=self.signer, timeout=self.timeout,
        )  # fmt: skip
        latency_ms = (time.perf_counter() - started) * 1000.0
        status, due = self._next(webhook, result, self.now())
        self._log(webhook, result, status, due)
        try:
            await self.store.record_webhook_attempt(
                webhook.webhook_id, at, latency_ms, result.status_code, result.error, status, due
            )
        except Exception as exc:
            # The claim lapses and the webhook is sent again: at least once.
            log.warning(
                "webhook %s attempt not recorded: %s: %s",
                webhook.webhook_id, type(exc).__name__, exc,
            )  # fmt: skip

    def _next(self, webhook: Webhook, result: Outcome, now: float) -> tuple[str, float | None]:
        """The webhook's status after `result`, and when its next attempt is due."""
        if result.delivered:
            return outbox.DELIVERED, None
        if result.refused:
            return outbox.REFUSED, None
        if not result.retry:
            return outbox.FAILED, None
        tried = dataclasses.replace(webhook, attempts=webhook.attempts + 1)
        due = outbox.next_attempt_at(tried, now, self.retry_scale)
        return (outbox.FAILED, None) if due is None else (outbox.PENDING, due)

    def _log(self, webhook: Webhook, result: Outcome, status: str, due: float | None) -> None:
        """One line for an attempt that did not deliver, with the webhook's URL without a
        password, and its id (for `tokenbridge webhooks redeliver`)."""
        if status == outbox.DELIVERED:
            return
        what = f"webhook {webhook.webhook_code} to {redact_url(webhook.url)}"
        named = f"(id {webhook.webhook_id})"
        if status == outbox.REFUSED:
            log.warning("%s %s %s", what, result.error, named)
            return
        problem = result.error or f"HTTP {result.status_code}"
        after = (
            "no more attempts" if due is None
            else f"next attempt in {max(due - self.now(), 0.0):.3g} s"
        )  # fmt: skip
        log.warning("%s not delivered: %s; %s %s", what, problem, after, named)
