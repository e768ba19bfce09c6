"""Webhook delivery: an HTTP POST of a JSON payload, off the request path.

Plaid fires webhooks after the API call that causes them has answered
(https://plaid.com/docs/api/webhooks/), so a slow or dead receiver never delays or fails
the caller. `WebhookSender.send` schedules the delivery as a background task and returns
at once; `deliver` posts once, with a short timeout, a few times with backoff if the
receiver fails, and logs instead of raising.

Before each attempt `destinations.check` judges the destination against the deployment's
TOKENBRIDGE_WEBHOOK_HOSTS (after DNS) and gives the address to connect to; a refused
destination is logged and dropped. Redirects are never followed: a 3xx pointing at
127.0.0.1 would get round that check. A webhook URL may carry a user and password (httpx
sends them as Basic auth), so every log line shows the URL with them hidden.

Not yet done: the `Plaid-Verification` JWT signature and keeping pending deliveries in
the database across a restart (docs/ENDPOINTS.md says so).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import unquote

import httpx

from tokenbridge.domain.redaction import redact_url
from tokenbridge.domain.webhook_destinations import ANYWHERE, WebhookDestinations
from tokenbridge.webhooks.destinations import Refusal, Resolver, check, resolve

log = logging.getLogger("tokenbridge.webhooks")

TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5


async def deliver(
    url: str,
    payload: dict[str, Any],
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_SECONDS,
    backoff: float = BACKOFF_SECONDS,
    destinations: WebhookDestinations = ANYWHERE,
    resolver: Resolver = resolve,
) -> bool:
    """POST `payload` to `url`; True once the receiver answers 2xx. Never raises.

    A connection error, a timeout or a non-2xx answer is retried after `backoff`,
    doubling each time, up to `attempts` posts in all. A destination `destinations`
    refuses is not posted to at all.
    """
    code = payload.get("webhook_code")
    delay = backoff
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            hopeless = False
            try:
                target = await check(url, destinations, resolver, timeout)
                if isinstance(target, Refusal):
                    log.warning(
                        "webhook %s to %s refused by the webhook hosts setting %r: %s",
                        code, redact_url(url), destinations.setting, target.reason,
                    )  # fmt: skip
                    return False
                response = await client.post(
                    target.url, json=payload, headers=target.headers,
                    extensions=dict(target.extensions),
                )  # fmt: skip
                if 200 <= response.status_code < 300:
                    return True
                problem = f"HTTP {response.status_code}"
            except Exception as exc:
                problem = _hidden(f"{type(exc).__name__}: {exc}", url)
                # A connection error, a timeout, a name that does not resolve may pass; a URL
                # httpx cannot use (bad port, unknown scheme, ...) will not get better.
                hopeless = not isinstance(exc, httpx.TransportError | OSError) or isinstance(
                    exc, httpx.UnsupportedProtocol
                )
            if hopeless or attempt == attempts:
                log.warning("webhook %s to %s not delivered: %s", code, redact_url(url), problem)
                return False
            await asyncio.sleep(delay)
            delay *= 2
    return False


def _hidden(text: str, url: str) -> str:
    """`text` (an exception's message) with `url`'s user and password taken out, wherever
    it quotes the URL or a part of it. The userinfo is found as `redact_url` finds it."""
    text = text.replace(url, redact_url(url))
    userinfo = url.partition("://")[2].split("/", 1)[0].rpartition("@")[0]
    secrets = {userinfo, *userinfo.split(":", 1)}
    secrets |= {unquote(secret) for secret in secrets}
    # Longest first, so that the whole userinfo goes before its parts.
    for secret in sorted(secrets - {""}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class WebhookSender:
    """Schedules deliveries on the running event loop and keeps a reference to each task
    until it ends (the loop holds only weak references to tasks)."""

    def __init__(
        self,
        attempts: int = ATTEMPTS,
        timeout: float = TIMEOUT_SECONDS,
        destinations: WebhookDestinations = ANYWHERE,
        resolver: Resolver = resolve,
    ) -> None:
        self.attempts = attempts
        self.timeout = timeout
        self.destinations = destinations
        self.resolver = resolver
        self._tasks: set[asyncio.Task[bool]] = set()

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Deliver `payload` to `url` in the background; returns immediately."""
        delivery = deliver(
            url, payload, self.attempts, self.timeout,
            destinations=self.destinations, resolver=self.resolver,
        )  # fmt: skip
        task = asyncio.get_running_loop().create_task(delivery)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = TIMEOUT_SECONDS * ATTEMPTS) -> None:
        """Wait (at most `timeout` seconds) for the deliveries in flight, e.g. at shutdown."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
