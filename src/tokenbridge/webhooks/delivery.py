"""Webhook delivery: an HTTP POST of a JSON payload, off the request path.

Plaid fires webhooks after the API call that causes them has answered
(https://plaid.com/docs/api/webhooks/), so a slow or dead receiver never delays or fails
the caller. `WebhookSender.send` schedules the delivery as a background task and returns
at once; `deliver` posts once, with a short timeout, a few times with backoff if the
receiver fails, and logs instead of raising.

Not yet done: the `Plaid-Verification` JWT signature and keeping pending deliveries in
the database across a restart (docs/ENDPOINTS.md says so).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

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
) -> bool:
    """POST `payload` to `url`; True once the receiver answers 2xx. Never raises.

    A connection error, a timeout or a non-2xx answer is retried after `backoff`,
    doubling each time, up to `attempts` posts in all.
    """
    delay = backoff
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            hopeless = False
            try:
                response = await client.post(url, json=payload)
                if 200 <= response.status_code < 300:
                    return True
                problem = f"HTTP {response.status_code}"
            except (httpx.HTTPError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                # A URL that httpx cannot use will not get better with retries.
                hopeless = isinstance(
                    exc, ValueError | httpx.UnsupportedProtocol | httpx.InvalidURL
                )
            if hopeless or attempt == attempts:
                log.warning(
                    "webhook %s to %s not delivered: %s", payload.get("webhook_code"), url, problem
                )
                return False
            await asyncio.sleep(delay)
            delay *= 2
    return False


class WebhookSender:
    """Schedules deliveries on the running event loop and keeps a reference to each task
    until it ends (the loop holds only weak references to tasks)."""

    def __init__(self, attempts: int = ATTEMPTS, timeout: float = TIMEOUT_SECONDS) -> None:
        self.attempts = attempts
        self.timeout = timeout
        self._tasks: set[asyncio.Task[bool]] = set()

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Deliver `payload` to `url` in the background; returns immediately."""
        task = asyncio.get_running_loop().create_task(
            deliver(url, payload, self.attempts, self.timeout)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = TIMEOUT_SECONDS * ATTEMPTS) -> None:
        """Wait (at most `timeout` seconds) for the deliveries in flight, e.g. at shutdown."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
