"""Where webhooks may go: the deployment's rule over webhook URLs, without DNS.

A sandbox on a laptop must deliver to `http://127.0.0.1:3000/hook`, so by default every
destination is allowed. A shared or production deployment must not let a caller aim the
server at its own loopback, its private network or a cloud metadata service
(169.254.169.254), so it sets TOKENBRIDGE_WEBHOOK_HOSTS to a comma-separated list of what
webhooks may reach:

- `any` (the default, alone): every destination.
- `public`: every globally routable address; loopback, private (RFC 1918, fc00::/7),
  link-local (169.254.0.0/16, fe80::/10), shared (100.64.0.0/10), unspecified,
  multicast and reserved addresses are refused, in IPv4-mapped and NAT64 forms too.
- an IP address (`10.0.0.5`) or network (`10.1.0.0/16`, `fd00::/8`): addresses in it.
- a host name (`hooks.internal`): URLs whose host is that name, whatever it resolves to.

A destination is allowed when any entry allows it; `10.1.0.0/16` alone allows that network
and nothing else. This module judges what it can without DNS: a URL's host that is an IP
address, `localhost`, or a listed name. A host name is judged again at delivery time on
the addresses it resolves to (`tokenbridge.webhooks.destinations`), and the delivery goes
to the address that was judged.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from tokenbridge.domain import errors

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ANY = "any"
PUBLIC = "public"

# NAT64's well-known prefix (RFC 6052 section 2.1): 64:ff9b::a.b.c.d reaches IPv4 a.b.c.d
# through a NAT64 gateway. The stdlib has no property for it.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

# A DNS name in ASCII (IDNA names in their xn-- form). Its last label starts with a letter,
# so that `127.1` or `0x7f000001`, which resolvers read as addresses, are not taken as names.
_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64, 6to4), else None."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def public_refusal(address: IPAddress) -> str | None:
    """Why `address` is not a public destination (`is a loopback address`, ...), or None.

    The stdlib's properties decide; `is_global` alone is not enough, as multicast and (on
    IPv6) site-local addresses count as global there.
    """
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = public_refusal(inner)
        return None if reason is None else f"stands for {inner}, which {reason}"
    kinds = (
        (address.is_loopback, "is a loopback address"),
        # 169.254.169.254, the cloud metadata service, is link-local.
        (address.is_link_local, "is a link-local address"),
        (address.is_unspecified, "is the unspecified address"),
        (address.is_multicast, "is a multicast address"),
        (address.is_reserved, "is a reserved address"),
        (address.is_private, "is a private address"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local,
         "is a site-local address"),
        # 100.64.0.0/10 (shared address space, RFC 6598) is neither private nor global.
        (not address.is_global, "is not globally routable"),
    )  # fmt: skip
    for refused, kind in kinds:
        if refused:
            return kind
    return None


def ip_of(host: str) -> IPAddress | None:
    """`host` as an IP address (brackets and an IPv6 zone allowed), or None if it is a name."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def valid_host(host: str) -> bool:
    """Whether `host` (as `urlsplit(...).hostname` gives it) is an IP address without a zone
    or a well-formed DNS name."""
    if "%" in host:
        return False
    return ip_of(host) is not None or (
        len(host) <= 253 and _NAME.fullmatch(name_of(host)) is not None
    )


def name_of(host: str) -> str:
    """A host name as it is compared with the listed names: lower case, ASCII, no final dot."""
    host = host.lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@dataclass(frozen=True, slots=True)
class WebhookDestinations:
    """The parsed TOKENBRIDGE_WEBHOOK_HOSTS. Build it with `parse`."""

    setting: str = ANY
    everything: bool = True
    public: bool = False
    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> WebhookDestinations:
        """The policy `text` describes (see the module's docstring); ValueError, with the
        entry at fault, for anything else."""
        entries = [entry.strip().lower() for entry in text.split(",")]
        if entries == [ANY]:
            return cls()
        public = False
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for entry in entries:
            if entry == PUBLIC:
                public = True
            elif entry == ANY:
                raise ValueError("'any' allows every destination and must stand alone")
            elif not entry:
                raise ValueError(f"an empty entry in {text!r}")
            elif _NAME.fullmatch(entry.removesuffix(".")):
                names.add(entry.removesuffix("."))
            else:
                try:
                    networks.append(ipaddress.ip_network(entry))
                except ValueError as exc:
                    raise ValueError(
                        f"{entry!r} is not 'any', 'public', an IP address, a network or a"
                        f" host name ({exc})"
                    ) from None
        setting = ",".join(dict.fromkeys(entries))
        return cls(setting, False, public, tuple(networks), frozenset(names))

    def allows_name(self, host: str) -> bool:
        """True if `host` is allowed by name, before any DNS (always under `any`)."""
        return self.everything or name_of(host) in self.names

    def address_refusal(self, address: IPAddress) -> str | None:
        """Why webhooks may not go to `address`, said of it (`is a loopback address`), or
        None if they may."""
        if self.everything:
            return None
        inner = embedded_ipv4(address)
        if any(a in n for n in self.networks for a in (address, inner) if a is not None):
            return None
        if not self.public:
            return "is not among the destinations this server delivers to"
        return public_refusal(address)

    def host_refusal(self, host: str) -> str | None:
        """Why webhooks may not go to `host`, as far as that is known without DNS; None if
        they may, or if only the addresses `host` resolves to can tell."""
        if self.allows_name(host):
            return None
        address = ip_of(host)
        if address is not None:
            reason = self.address_refusal(address)
            return None if reason is None else f"{address} {reason}"
        name = name_of(host)
        if name == "localhost" or name.endswith(".localhost"):
            # RFC 6761 section 6.3: localhost and its subdomains are loopback, whatever DNS says.
            reason = self.address_refusal(ipaddress.IPv4Address("127.0.0.1"))
            return None if reason is None else f"{host} is 127.0.0.1, which {reason}"
        if not self.public and not self.networks:
            return f"{host} is not among the destinations this server delivers to"
        return None

    def validate(self, url: str, field: str = "webhook") -> None:
        """Raise INVALID_FIELD if `url` is no http(s) URL, or is one this server will never
        deliver to. Plaid answers a malformed webhook URL with INVALID_FIELD
        (https://plaid.com/docs/errors/invalid-request/#invalid_field); refusing private
        destinations is ours, and only when the setting is not `any`."""
        try:
            parts = urlsplit(url)
            scheme, host = parts.scheme, parts.hostname
            parts.port  # noqa: B018 (parses the port: ValueError if it is out of range)
        except ValueError:
            scheme, host = "", None
        if scheme not in ("http", "https") or not host:
            raise errors.InvalidField(f"{field} must be an http or https URL")
        reason = self.host_refusal(host)
        if reason is not None:
            raise errors.InvalidField(f"{field} must be a URL this server may deliver to: {reason}")


ANYWHERE = WebhookDestinations()
