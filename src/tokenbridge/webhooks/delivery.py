"""One attempt at a webhook: an HTTP POST of its stored body, signed, to its URL.

The delivery worker (webhooks/outbox.py) makes every attempt through `post`, and decides
from its `Outcome` what becomes of the webhook.

Before each attempt `destinations.check` judges the destination against the deployment's
TOKENBRIDGE_WEBHOOK_HOSTS (after DNS) and gives the address to connect to; a refused
destination is not posted to. Redirects are never followed: a 3xx pointing at 127.0.0.1
would get round that check. A webhook URL may carry a user and password (httpx sends them
as Basic auth), so no outcome or log line shows them.

The body is posted exactly as stored (`Content-Type: application/json`). Each attempt
carries a `Plaid-Verification` JWT (webhooks/signing.py) signed just before it is sent, with
the key current at that moment: its `iat` is the attempt's and its `request_body_sha256` the
hash of those very bytes, as receivers following Plaid's guide check (docs/WEBHOOKS.md). An
attempt that cannot be signed (no key can be read) is not sent unsigned; it fails and is
retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

import httpx

from tokenbridge.domain.outbox import TIMEOUT_SECONDS
from tokenbridge.domain.redaction import redact_url
from tokenbridge.domain.webhook_destinations import ANYWHERE, WebhookDestinations
from tokenbridge.webhooks.destinations import Refusal, Resolver, check, resolve
from tokenbridge.webhooks.signing import WebhookSigner

# The header that carries the signature, spelled as Plaid sends it.
SIGNATURE_HEADER = "Plaid-Verification"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an attempt ended: the receiver's `status_code`, or the `error` that kept it from
    answering (with the URL's password hidden). `retry` says whether a later attempt may do
    better; `refused` that the destination policy refused it."""

    status_code: int | None = None
    error: str | None = None
    retry: bool = True
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    *,
    destinations: WebhookDestinations = ANYWHERE,
    resolver: Resolver = resolve,
    signer: WebhookSigner | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Outcome:
    """POST `body` to `url` once, through `client` (which must not follow redirects). Never
    raises. With `signer` the attempt carries its own `Plaid-Verification` JWT; without one
    (tests of the transport alone) none."""
    try:
        target = await check(url, destinations, resolver, timeout)
        if isinstance(target, Refusal):
            return Outcome(
                error=f"refused by the webhook hosts setting {destinations.setting!r}:"
                f" {target.reason}",
                retry=False, refused=True,
            )  # fmt: skip
        headers = {"Content-Type": "application/json", **target.headers}
        if signer is not None:
            headers[SIGNATURE_HEADER] = await _signed(signer, body)
        response = await client.post(
            target.url, content=body, headers=headers, extensions=dict(target.extensions),
            timeout=timeout,
        )  # fmt: skip
        return Outcome(status_code=response.status_code, retry=True)
    except _Unsigned as exc:
        # No key could be read (the database is down, say): worth a retry.
        return Outcome(error=str(exc))
    except Exception as exc:
        # A connection error, a timeout, a name that does not resolve may pass; a URL httpx
        # cannot use (bad port, unknown scheme, ...) will not get better.
        hopeless = not isinstance(exc, httpx.TransportError | OSError) or isinstance(
            exc, httpx.UnsupportedProtocol
        )
        error = _hidden(f"{type(exc).__name__}: {exc}", url) if str(exc) else type(exc).__name__
        return Outcome(error=error, retry=not hopeless)


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
