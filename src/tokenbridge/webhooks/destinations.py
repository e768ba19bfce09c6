"""Where one webhook goes, judged after DNS, at delivery time.

`WebhookDestinations` (domain/webhook_destinations.py) judges what it can from the URL
alone when the URL is set. A host name is judged here, on every address it resolves to,
just before each attempt: if any of them is refused, the webhook is not sent. The post
then goes to the address that was judged, not to the name, so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot move it elsewhere. The name is
kept for the Host header and, over https, for SNI and the certificate check.

`check` is the whole rule, with DNS behind a `Resolver`, for any sender to call (the
in-memory `WebhookSender` today, a durable outbox later).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tokenbridge.domain.webhook_destinations import WebhookDestinations, ip_of

# (host, port) -> the addresses it resolves to, as text.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

RESOLVE_TIMEOUT_SECONDS = 5.0


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for a TCP connection, in the resolver's order.
    Raises OSError (socket.gaierror) if it does not resolve."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class Destination:
    """Where to post: `url` (with its host replaced by `address` when it was pinned), and the
    headers and httpx request extensions that keep the host name for HTTP and TLS."""

    url: str
    address: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refusal:
    """The policy refuses the destination; retrying will not change that."""

    reason: str


async def check(
    url: str,
    policy: WebhookDestinations,
    resolver: Resolver = resolve,
    timeout: float = RESOLVE_TIMEOUT_SECONDS,
) -> Destination | Refusal:
    """Where a webhook to `url` may be posted, or why it may not.

    Under `any` the URL comes back as it is (httpx resolves it). Otherwise a URL whose host
    is an IP address or an allowed name is judged without DNS; any other host is resolved
    (for at most `timeout` seconds) and refused if any address is refused. Raises OSError if
    it does not resolve in time (worth a retry).
    """
    if policy.everything:
        return Destination(url)
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError):
        return Refusal("the URL cannot be parsed")
    if parsed.scheme not in ("http", "https") or not host:
        return Refusal("the URL is not an http or https URL")
    reason = policy.host_refusal(host)
    if reason is not None:
        return Refusal(reason)
    if policy.allows_name(host) or ip_of(host) is not None:
        return Destination(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await asyncio.wait_for(resolver(host, port), timeout)
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    for address in addresses:
        judged = ip_of(address)
        reason = "is not an IP address" if judged is None else policy.address_refusal(judged)
        if reason is not None:
            return Refusal(f"{host} resolves to {address}, which {reason}")
    # Every address passed; the first is the one the resolver prefers.
    address = addresses[0]
    extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
    return Destination(
        str(parsed.copy_with(host=address)),
        address,
        {"Host": parsed.netloc.decode("ascii")},
        extensions,
    )
