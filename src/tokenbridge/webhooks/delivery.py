"""Webhook delivery: an HTTP POST of a signed JSON payload, off the request path.

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

The payload is serialised to bytes once, and those bytes are what is posted
(`Content-Type: application/json`) on every attempt. Each attempt carries a
`Plaid-Verification` JWT (webhooks/signing.py) signed just before it is sent, with the key
current at that moment: its `iat` is the attempt's and its `request_body_sha256` the hash of
those very bytes, as receivers following Plaid's guide check (docs/WEBHOOKS.md). An attempt
that cannot be signed (no key can be read) is not sent unsigned; it fails and is retried.

Not yet done: keeping pending deliveries in the database across a restart, and Plaid's
retry schedule (docs/WEBHOOKS.md says so).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import unquote

import httpx

from tokenbridge.domain.redaction import redact_url
from tokenbridge.domain.webhook_destinations import ANYWHERE, WebhookDestinations
from tokenbridge.webhooks.destinations import Refusal, Resolver, check, resolve
from tokenbridge.webhooks.signing import WebhookSigner

log = logging.getLogger("tokenbridge.webhooks")

TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
# The header that carries the signature, spelled as Plaid sends it.
SIGNATURE_HEADER = "Plaid-Verification"


def encode(payload: dict[str, Any]) -> bytes:
    """The body of a webhook: compact UTF-8 JSON (what httpx's `json=` sent before)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


async def deliver(
    url: str,
    payload: dict[str, Any],
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_SECONDS,
    backoff: float = BACKOFF_SECONDS,
    destinations: WebhookDestinations = ANYWHERE,
    resolver: Resolver = resolve,
    signer: WebhookSigner | None = None,
) -> bool:
    """POST `payload` to `url`; True once the receiver answers 2xx. Never raises.

    A connection error, a timeout or a non-2xx answer is retried after `backoff`,
    doubling each time, up to `attempts` posts in all. A destination `destinations`
    refuses is not posted to at all. With `signer`, every attempt carries its own
    `Plaid-Verification` JWT; without one (tests of the transport alone) none.
    """
    code = payload.get("webhook_code")
    body = encode(payload)
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
                headers = {"Content-Type": "application/json", **target.headers}
                if signer is not None:
                    headers[SIGNATURE_HEADER] = await _signed(signer, body)
                response = await client.post(
                    target.url, content=body, headers=headers,
                    extensions=dict(target.extensions),
                )  # fmt: skip
                if 200 <= response.status_code < 300:
                    return True
                problem = f"HTTP {response.status_code}"
            except _Unsigned as exc:
                # No key could be read (the database is down, say): worth a retry.
                problem = str(exc)
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


class _Unsigned(Exception):
    """The attempt could not be signed, so it is not sent."""


async def _signed(signer: WebhookSigner, body: bytes) -> str:
    try:
        return await signer.sign(body)
    except Exception as exc:
        # The exception's type and message only: neither holds key material.
        raise _Unsigned(f"not signed: {type(exc).__name__}: {exc}") from None


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
        signer: WebhookSigner | None = None,
    ) -> None:
        self.attempts = attempts
        self.timeout = timeout
        self.destinations = destinations
        self.resolver = resolver
        # What signs each attempt; the app always gives one (app.py).
        self.signer = signer
        self._tasks: set[asyncio.Task[bool]] = set()

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Deliver `payload` to `url` in the background; returns immediately."""
        delivery = deliver(
            url, payload, self.attempts, self.timeout,
            destinations=self.destinations, resolver=self.resolver, signer=self.signer,
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
