"""Where webhooks may go: the TOKENBRIDGE_WEBHOOK_HOSTS policy, without DNS and after it
(a fake resolver stands in for DNS, so nothing here touches the network)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import pytest

from tokenbridge.domain import errors
from tokenbridge.domain.webhook_destinations import ANYWHERE, WebhookDestinations
from tokenbridge.settings import from_env, parse_webhook_hosts
from tokenbridge.webhooks.destinations import Destination, Refusal, check

PUBLIC = WebhookDestinations.parse("public")


def refusal(policy: WebhookDestinations, address: str) -> str | None:
    return policy.address_refusal(ipaddress.ip_address(address))


# --- the setting --------------------------------------------------------------------------


def test_any_is_the_default_and_allows_everything() -> None:
    assert WebhookDestinations.parse("any") == ANYWHERE == WebhookDestinations()
    assert WebhookDestinations.parse(" ANY ") == ANYWHERE
    assert from_env({}).webhook_hosts == "any"
    assert from_env({"TOKENBRIDGE_WEBHOOK_HOSTS": ""}).webhook_hosts == "any"
    for address in ("127.0.0.1", "169.254.169.254", "::1", "10.0.0.1"):
        assert refusal(ANYWHERE, address) is None
    assert ANYWHERE.host_refusal("localhost") is None


def test_a_list_is_normalised() -> None:
    policy = WebhookDestinations.parse(" Public , 10.1.0.0/16,Hooks.Internal., fd00::/8,public")
    assert policy.setting == "public,10.1.0.0/16,hooks.internal.,fd00::/8"
    assert (policy.everything, policy.public) == (False, True)
    assert policy.networks == (
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert policy.names == frozenset({"hooks.internal"})
    assert (
        from_env({"TOKENBRIDGE_WEBHOOK_HOSTS": "Public, 10.0.0.5"}).webhook_hosts
        == "public,10.0.0.5"
    )


BAD_SETTINGS = [
    "any,public",  # any must stand alone
    "public,any",
    "public,,10.0.0.1",  # an empty entry
    ",",
    "10.0.0.1/8",  # host bits set
    "10.0.0.0/33",
    "127.1",  # an address a resolver would read, not a name
    "0x7f000001",
    "hooks_internal",
    "-bad.example",
    "münchen.de",  # IDNA names are written in their xn-- form
    "http://example.com",
    "*.example.com",
]


@pytest.mark.parametrize("value", BAD_SETTINGS)
def test_an_unparsable_setting_is_refused_by_both_parsers(value: str) -> None:
    with pytest.raises(ValueError):
        WebhookDestinations.parse(value)
    with pytest.raises(ValueError, match="TOKENBRIDGE_WEBHOOK_HOSTS"):
        from_env({"TOKENBRIDGE_WEBHOOK_HOSTS": value})


@pytest.mark.parametrize(
    "value", ["public", "10.0.0.5", "fd00::/8", "hooks.internal", "xn--mnchen-3ya.de",
              "localhost", "public,192.168.0.0/16,receiver", "2606:4700::1111"],
)  # fmt: skip
def test_the_settings_parser_accepts_what_the_policy_accepts(value: str) -> None:
    assert parse_webhook_hosts(value, "X") == WebhookDestinations.parse(value).setting


# --- public: each refused range ------------------------------------------------------------

REFUSED = [
    ("127.0.0.1", "is a loopback address"),
    ("127.255.0.9", "is a loopback address"),
    ("::1", "is a loopback address"),
    ("10.1.2.3", "is a private address"),
    ("172.16.0.1", "is a private address"),
    ("172.31.255.254", "is a private address"),
    ("192.168.1.1", "is a private address"),
    ("fc00::1", "is a private address"),
    ("fd12:3456::1", "is a private address"),
    ("169.254.169.254", "is a link-local address"),  # the cloud metadata service
    ("169.254.0.1", "is a link-local address"),
    ("fe80::1", "is a link-local address"),
    ("fe80::1%2", "is a link-local address"),
    ("0.0.0.0", "is the unspecified address"),  # noqa: S104 (an address to judge, not to bind)
    ("::", "is the unspecified address"),
    ("224.0.0.1", "is a multicast address"),
    ("239.255.255.250", "is a multicast address"),
    ("ff02::1", "is a multicast address"),
    ("240.0.0.1", "is a reserved address"),
    ("255.255.255.255", "is a reserved address"),
    ("100.64.0.1", "is not globally routable"),  # shared address space (CGNAT)
    ("100.127.255.254", "is not globally routable"),
    ("192.0.2.1", "is a private address"),  # documentation
    ("198.18.0.1", "is a private address"),  # benchmarking
    ("fec0::1", "is a site-local address"),
    ("::127.0.0.1", "is a reserved address"),  # IPv4-compatible, deprecated
    # IPv4-mapped, NAT64 and 6to4 forms are judged on the IPv4 address they stand for.
    ("::ffff:127.0.0.1", "stands for 127.0.0.1, which is a loopback address"),
    ("::ffff:169.254.169.254", "stands for 169.254.169.254, which is a link-local address"),
    ("::ffff:10.0.0.1", "stands for 10.0.0.1, which is a private address"),
    ("::ffff:100.64.0.1", "stands for 100.64.0.1, which is not globally routable"),
    ("64:ff9b::7f00:1", "stands for 127.0.0.1, which is a loopback address"),
    ("64:ff9b::a9fe:a9fe", "stands for 169.254.169.254, which is a link-local address"),
    ("2002:7f00:1::", "stands for 127.0.0.1, which is a loopback address"),
    ("2002:c0a8:101::1", "stands for 192.168.1.1, which is a private address"),
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_public_refuses(address: str, reason: str) -> None:
    assert refusal(PUBLIC, address) == reason


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001::200e",
     "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"],
)  # fmt: skip
def test_public_allows_global_addresses(address: str) -> None:
    assert refusal(PUBLIC, address) is None


# --- lists ---------------------------------------------------------------------------------


def test_listed_networks_and_addresses_are_allowed_beside_public() -> None:
    policy = WebhookDestinations.parse("public,10.1.0.0/16,127.0.0.1,fd00::/8")
    assert refusal(policy, "10.1.200.3") is None
    assert refusal(policy, "::ffff:10.1.200.3") is None  # the mapped form of a listed address
    assert refusal(policy, "127.0.0.1") is None
    assert refusal(policy, "fd00::5") is None
    assert refusal(policy, "8.8.8.8") is None
    assert refusal(policy, "10.2.0.1") == "is a private address"
    assert refusal(policy, "127.0.0.2") == "is a loopback address"


def test_a_list_without_public_allows_only_what_it_lists() -> None:
    policy = WebhookDestinations.parse("10.1.0.0/16,hooks.internal")
    assert refusal(policy, "10.1.0.7") is None
    not_listed = "is not among the destinations this server delivers to"
    assert refusal(policy, "8.8.8.8") == not_listed
    assert refusal(policy, "127.0.0.1") == not_listed
    assert policy.host_refusal("hooks.internal") is None
    assert policy.host_refusal("HOOKS.internal.") is None
    # Another name may still resolve into 10.1.0.0/16: DNS decides, at delivery.
    assert policy.host_refusal("other.example") is None
    names_only = WebhookDestinations.parse("hooks.internal")
    assert names_only.host_refusal("other.example") == f"other.example {not_listed}"


def test_localhost_is_loopback_without_dns() -> None:
    for host in ("localhost", "LOCALHOST.", "api.localhost"):
        assert PUBLIC.host_refusal(host) == f"{host} is 127.0.0.1, which is a loopback address"
    assert WebhookDestinations.parse("public,127.0.0.0/8").host_refusal("localhost") is None
    assert WebhookDestinations.parse("public,localhost").host_refusal("localhost") is None
    # A name that merely contains "localhost" is an ordinary name.
    assert PUBLIC.host_refusal("localhost.example.com") is None
    assert PUBLIC.host_refusal("mylocalhost") is None


# --- the check when a URL is set (INVALID_FIELD) -------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
        ("https://[::1]/hook", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:9/",
         "::ffff:7f00:1 stands for 127.0.0.1, which is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://user:pw@10.0.0.8/x", "10.0.0.8 is a private address"),
        ("http://localhost:3000/hook", "localhost is 127.0.0.1, which is a loopback address"),
        ("http://0.0.0.0:3000/", "0.0.0.0 is the unspecified address"),
    ],
)  # fmt: skip
def test_validate_refuses_a_plainly_refused_url(url: str, reason: str) -> None:
    with pytest.raises(errors.InvalidField) as info:
        PUBLIC.validate(url)
    assert info.value.error_code == "INVALID_FIELD"
    assert info.value.error_type == "INVALID_REQUEST"
    assert info.value.error_message == f"webhook must be a URL this server may deliver to: {reason}"
    ANYWHERE.validate(url)  # the sandbox default lets every one of them through


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "example.com/hook", "http://", "http:///path", "http://[::1/x",
     "http://example.com:99999/x", "http://example.com:port/x", ""],
)  # fmt: skip
def test_validate_refuses_what_is_no_http_url_whatever_the_policy(url: str) -> None:
    for policy in (ANYWHERE, PUBLIC):
        with pytest.raises(errors.InvalidField) as info:
            policy.validate(url, "options.webhook")
        assert info.value.error_message == "options.webhook must be an http or https URL"


def test_validate_leaves_host_names_to_delivery_time() -> None:
    PUBLIC.validate("https://hooks.example.com/plaid")
    PUBLIC.validate("http://8.8.8.8:8080/x")
    # A name that resolves to a refused address passes here; delivery refuses it.
    PUBLIC.validate("http://internal.example/x")


# --- the check at delivery, after DNS ------------------------------------------------------


class FakeDns:
    """A resolver with fixed answers; counts what it was asked."""

    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def run_check(url: str, policy: WebhookDestinations, dns: FakeDns) -> Destination | Refusal:
    return asyncio.run(check(url, policy, dns))


def test_a_name_is_pinned_to_the_address_that_was_judged() -> None:
    dns = FakeDns({"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07::1"]})
    found = run_check("http://u:p@hooks.example.com:8080/hook?x=1", PUBLIC, dns)
    assert found == Destination(
        "http://u:p@93.184.215.14:8080/hook?x=1",
        "93.184.215.14",
        {"Host": "hooks.example.com:8080"},
        {},
    )
    assert dns.asked == [("hooks.example.com", 8080)]
    secure = run_check("https://HOOKS.example.com/hook", PUBLIC, dns)
    assert secure == Destination(
        "https://93.184.215.14/hook",
        "93.184.215.14",
        {"Host": "hooks.example.com"},
        {"sni_hostname": "hooks.example.com"},  # TLS still checks the name's certificate
    )
    assert dns.asked[-1] == ("hooks.example.com", 443)


def test_an_ipv6_answer_is_bracketed_in_the_url() -> None:
    dns = FakeDns({"v6.example.com": ["2606:2800:21f:cb07::1"]})
    found = run_check("https://v6.example.com/hook", PUBLIC, dns)
    assert isinstance(found, Destination)
    assert found.url == "https://[2606:2800:21f:cb07::1]/hook"
    assert found.headers == {"Host": "v6.example.com"}


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (["127.0.0.1"], "rebind.example resolves to 127.0.0.1, which is a loopback address"),
        # One refused address among public ones is enough: the connection could use it.
        (["93.184.215.14", "10.0.0.7"],
         "rebind.example resolves to 10.0.0.7, which is a private address"),
        (["169.254.169.254"],
         "rebind.example resolves to 169.254.169.254, which is a link-local address"),
        (["::ffff:127.0.0.1"], "rebind.example resolves to ::ffff:127.0.0.1, which stands for"
                               " 127.0.0.1, which is a loopback address"),
        (["fe80::1%3"], "rebind.example resolves to fe80::1%3, which is a link-local address"),
        (["not-an-address"], "rebind.example resolves to not-an-address, which is not an IP"
                             " address"),
    ],
)  # fmt: skip
def test_a_name_that_resolves_to_a_refused_address_is_refused(
    answers: list[str], reason: str
) -> None:
    assert run_check("http://rebind.example/x", PUBLIC, FakeDns({"rebind.example": answers})) == (
        Refusal(reason)
    )


def test_a_name_resolving_into_a_listed_network_is_allowed() -> None:
    policy = WebhookDestinations.parse("10.1.0.0/16")
    dns = FakeDns({"hooks.internal": ["10.1.0.9"], "db.internal": ["10.2.0.9"]})
    found = run_check("http://hooks.internal/x", policy, dns)
    assert isinstance(found, Destination) and found.address == "10.1.0.9"
    assert run_check("http://db.internal/x", policy, dns) == Refusal(
        "db.internal resolves to 10.2.0.9, which is not among the destinations this server"
        " delivers to"
    )


def test_no_dns_when_the_url_alone_decides() -> None:
    dns = FakeDns({})
    # `any`: the URL goes to httpx as it is.
    assert run_check("http://anything.example/x", ANYWHERE, dns) == Destination(
        "http://anything.example/x"
    )
    # A literal address, allowed or refused.
    assert run_check("http://8.8.8.8/x", PUBLIC, dns) == Destination("http://8.8.8.8/x")
    assert run_check("http://127.0.0.1/x", PUBLIC, dns) == Refusal(
        "127.0.0.1 is a loopback address"
    )
    assert run_check("http://localhost:1/x", PUBLIC, dns) == Refusal(
        "localhost is 127.0.0.1, which is a loopback address"
    )
    # A name allowed by name, whatever it resolves to.
    named = WebhookDestinations.parse("public,hooks.internal")
    assert run_check("http://hooks.internal/x", named, dns) == Destination(
        "http://hooks.internal/x"
    )
    assert run_check("ftp://example.com/x", PUBLIC, dns) == Refusal(
        "the URL is not an http or https URL"
    )
    assert dns.asked == []


def test_a_name_that_does_not_resolve_is_an_error_worth_retrying() -> None:
    with pytest.raises(OSError):
        run_check("http://nowhere.example/x", PUBLIC, FakeDns({}))
    with pytest.raises(OSError):
        run_check("http://empty.example/x", PUBLIC, FakeDns({"empty.example": []}))

    async def slow(host: str, port: int) -> Sequence[str]:
        await asyncio.sleep(10)
        return ["8.8.8.8"]

    with pytest.raises(TimeoutError):
        asyncio.run(check("http://slow.example/x", PUBLIC, slow, timeout=0.05))
