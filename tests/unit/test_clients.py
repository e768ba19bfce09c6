"""Client authentication: how secrets are stored, how a changed one reaches every process,
and what a flood of wrong ones may cost (issue 11).

Two services over one store stand for two server processes over one database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.conftest import Domain, build_services, close_domain, open_domain
from tokenbridge.domain import audit, clients, errors
from tokenbridge.domain.clients import KDF_RUNS_PER_SECOND, VERIFIED_TTL
from tokenbridge.domain.models import Client
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import hash_token, stretch_secret, verify_secret
from tokenbridge.domain.services import Services

S1 = "operator-chosen-secret-1"
S2 = "operator-chosen-secret-2"
STRETCHED = re.compile(r"pbkdf2_sha256\$600000\$[0-9a-f]{32}\$[0-9a-f]{64}")


class CountingStore:
    """A Store that counts the calls of each method before passing them on."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return await attribute(*args, **kwargs)

        return call


@pytest.fixture
def kdf_runs(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The salt of every PBKDF2 run, in the order they started (from a process that has
    stretched nothing yet)."""
    clients._KNOWN_FORMS.clear()
    runs: list[bytes] = []
    real: Callable[..., bytes] = hashlib.pbkdf2_hmac

    def spy(name: str, password: bytes, salt: bytes, *args: Any, **kwargs: Any) -> bytes:
        runs.append(salt)
        return real(name, password, salt, *args, **kwargs)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", spy)
    return runs


def other_process(domain: Domain) -> Services:
    """Services of another server over the domain's database: nothing cached, and no
    memory of the forms this process has stretched or verified."""
    clients._KNOWN_FORMS.clear()
    return build_services(domain.store, domain.clock)


def refused(domain: Domain, services: Services, client_id: str, secret: str) -> None:
    with pytest.raises(errors.InvalidApiKeys) as info:
        domain.run(services.clients.authenticate(client_id, secret))
    assert (info.value.error_type, info.value.error_code) == ("INVALID_INPUT", "INVALID_API_KEYS")


def accepted(domain: Domain, services: Services, client_id: str, secret: str) -> Client:
    client = domain.run(services.clients.authenticate(client_id, secret))
    assert client.client_id == client_id
    return client


# How secrets are stored -----------------------------------------------------------------


def test_a_pinned_secret_is_stored_salted_and_stretched(domain: Domain) -> None:
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    stored = domain.run(domain.store.get_client("pinned"))
    assert stored is not None
    assert STRETCHED.fullmatch(stored.secret_hash), stored.secret_hash
    assert hash_token(S1) not in stored.secret_hash and S1 not in stored.secret_hash
    # Salted: the same secret never gives the same stored form twice.
    assert stretch_secret(S1) != stored.secret_hash
    assert verify_secret(S1, stored.secret_hash)
    assert not verify_secret(S2, stored.secret_hash)


def test_a_generated_secret_is_stored_as_sha256_and_never_runs_the_kdf(
    domain: Domain, kdf_runs: list[bytes]
) -> None:
    client, secret = domain.run(domain.services.clients.create_client("generated"))
    stored = domain.run(domain.store.get_client(client.client_id))
    assert stored is not None and stored.secret_hash == hash_token(secret)
    for services in (domain.services, other_process(domain)):
        accepted(domain, services, client.client_id, secret)
        refused(domain, services, client.client_id, secret + "x")
    assert kdf_runs == []


def test_repinning_the_same_secret_keeps_the_record(domain: Domain) -> None:
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    first = domain.run(domain.store.get_client("pinned"))
    domain.run(other_process(domain).clients.pin_client("pinned", S1, "sandbox"))
    assert domain.run(domain.store.get_client("pinned")) == first
    puts = [e for e in domain.run(domain.store.list_audit()) if e.action == audit.CLIENT_PUT]
    assert len(puts) == 1


def test_a_sha256_pinned_record_still_works_and_is_restretched_when_repinned(
    domain: Domain, kdf_runs: list[bytes]
) -> None:
    # What earlier versions stored for TOKENBRIDGE_SECRET.
    legacy = Client("pinned", "sandbox", hash_token(S1), domain.clock.now())
    domain.run(domain.store.put_client(legacy))
    accepted(domain, other_process(domain), "pinned", S1)
    refused(domain, other_process(domain), "pinned", S2)
    assert kdf_runs == []
    domain.run(other_process(domain).clients.pin_client("pinned", S1, "sandbox"))
    stored = domain.run(domain.store.get_client("pinned"))
    assert stored is not None and STRETCHED.fullmatch(stored.secret_hash)
    assert len(kdf_runs) == 1
    accepted(domain, other_process(domain), "pinned", S1)


H = "00" * 32


@pytest.mark.parametrize(
    "stored",
    ["pbkdf2_sha256$", f"pbkdf2_sha256$600000$zz${H}", f"pbkdf2_sha256$0$00${H}",
     f"pbkdf2_sha256$99999999$00${H}", f"pbkdf2_sha256$600000${H}",
     f"pbkdf2_sha256$99999999999999999999999$00${H}"],
)  # fmt: skip
def test_a_malformed_stored_secret_verifies_nothing(domain: Domain, stored: str) -> None:
    # Empty, a bad hex, no iterations, more work than allowed, a missing part, an overflow:
    # each is refused as a wrong secret, never an exception (nor minutes of KDF).
    domain.run(domain.store.put_client(Client("broken", "sandbox", stored, domain.clock.now())))
    assert not verify_secret(S1, stored)
    refused(domain, other_process(domain), "broken", S1)


def test_a_non_ascii_pinned_secret_works(domain: Domain) -> None:
    secret = "sécret-\U0001f511"
    domain.run(domain.services.clients.pin_client("pinned", secret, "sandbox"))
    for services in (domain.services, other_process(domain)):
        accepted(domain, services, "pinned", secret)
        accepted(domain, services, "pinned", secret)
        refused(domain, services, "pinned", secret + "é")


# The KDF: once per record per process, never per request --------------------------------


def test_the_pinning_process_runs_the_kdf_at_start_only(
    domain: Domain, kdf_runs: list[bytes]
) -> None:
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    assert len(kdf_runs) == 1
    for i in range(50):
        accepted(domain, domain.services, "pinned", S1)
        refused(domain, domain.services, "pinned", f"wrong-{i}")
        domain.clock.at += VERIFIED_TTL  # every trust expires: the row is read again
    assert len(kdf_runs) == 1


def test_services_of_one_process_share_what_the_kdf_found(
    domain: Domain, kdf_runs: list[bytes]
) -> None:
    # The command line pins before the app it serves does; tests build many apps.
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    again = build_services(domain.store, domain.clock)
    domain.run(again.clients.pin_client("pinned", S1, "sandbox"))
    accepted(domain, again, "pinned", S1)
    refused(domain, again, "pinned", S2)
    # A fresh database pinned with the same secret gets the same stored form.
    fresh = open_domain()
    try:
        fresh.run(fresh.services.clients.pin_client("pinned", S1, "sandbox"))
        stored = [d.run(d.store.get_client("pinned")) for d in (domain, fresh)]
        assert stored[0] == dataclasses.replace(stored[1], created_at=stored[0].created_at)
    finally:
        close_domain(fresh)
    assert len(kdf_runs) == 1


def test_another_process_runs_the_kdf_once_for_the_right_secret(
    domain: Domain, kdf_runs: list[bytes]
) -> None:
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    other = other_process(domain)
    accepted(domain, other, "pinned", S1)
    assert len(kdf_runs) == 2
    for i in range(50):
        refused(domain, other, "pinned", f"wrong-{i}")
        accepted(domain, other, "pinned", S1)
        domain.clock.at += VERIFIED_TTL
    assert len(kdf_runs) == 2


def test_concurrent_first_requests_share_one_kdf_run(domain: Domain, kdf_runs: list[bytes]) -> None:
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    other = other_process(domain)

    async def many() -> list[Client]:
        return await asyncio.gather(*(other.clients.authenticate("pinned", S1) for _ in range(20)))

    assert {c.client_id for c in domain.run(many())} == {"pinned"}
    assert len(kdf_runs) == 2


def test_a_flood_of_wrong_secrets_is_not_a_cpu_amplifier(
    domain: Domain, kdf_runs: list[bytes]
) -> None:
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    other = other_process(domain)
    pinned_runs = len(kdf_runs)
    for i in range(100):
        refused(domain, other, "pinned", f"wrong-{i}")
    assert len(kdf_runs) - pinned_runs == KDF_RUNS_PER_SECOND
    # The budget of this second is spent: the right secret too is refused, unchecked.
    refused(domain, other, "pinned", S1)
    assert len(kdf_runs) - pinned_runs == KDF_RUNS_PER_SECOND
    # The next second it is checked, and from then on no secret costs a KDF run.
    domain.clock.at += 1.0
    accepted(domain, other, "pinned", S1)
    for i in range(100):
        refused(domain, other, "pinned", f"wrong-again-{i}")
    assert len(kdf_runs) - pinned_runs == KDF_RUNS_PER_SECOND + 1


def test_a_repeated_wrong_secret_costs_one_kdf_run(
    domain: Domain, kdf_runs: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client still sending the secret that was replaced.
    domain.run(domain.services.clients.pin_client("pinned", S1, "sandbox"))
    other = other_process(domain)
    for _ in range(20):
        refused(domain, other, "pinned", S2)
        domain.clock.at += 1.0
    assert len(kdf_runs) == 2
    # The memory of refused secrets is bounded: past its size the oldest is forgotten.
    monkeypatch.setattr(clients, "REFUTED_KEPT", 2)
    for i in range(2):
        refused(domain, other, "pinned", f"wrong-{i}")
        domain.clock.at += 1.0
    refused(domain, other, "pinned", "wrong-1")
    assert len(kdf_runs) == 4
    refused(domain, other, "pinned", S2)
    assert len(kdf_runs) == 5


# A changed secret reaches every process --------------------------------------------------


def test_a_changed_secret_is_honoured_at_once_by_a_failed_comparison(domain: Domain) -> None:
    a = domain.services
    domain.run(a.clients.pin_client("pinned", S1, "sandbox"))
    accepted(domain, a, "pinned", S1)
    # Another server restarts with a new TOKENBRIDGE_SECRET.
    domain.run(other_process(domain).clients.pin_client("pinned", S2, "sandbox"))
    # A's clock has not moved: the new secret works all the same (A reads the row before
    # refusing it), and from then on the old one is refused.
    accepted(domain, a, "pinned", S2)
    refused(domain, a, "pinned", S1)
    accepted(domain, a, "pinned", S2)


def test_a_changed_secret_is_honoured_within_the_ttl(domain: Domain) -> None:
    a = domain.services
    domain.run(a.clients.pin_client("pinned", S1, "sandbox"))
    accepted(domain, a, "pinned", S1)
    domain.run(other_process(domain).clients.pin_client("pinned", S2, "sandbox"))
    # The old secret is trusted a little longer, at most VERIFIED_TTL after A last read it.
    domain.clock.at += VERIFIED_TTL / 2
    accepted(domain, a, "pinned", S1)
    domain.clock.at += VERIFIED_TTL / 2
    refused(domain, a, "pinned", S1)
    accepted(domain, a, "pinned", S2)


def test_the_hot_path_reads_the_row_once_per_ttl(domain: Domain) -> None:
    store = CountingStore(domain.store)
    services = build_services(store, domain.clock)  # type: ignore[arg-type]
    client, secret = domain.run(services.clients.create_client("counted"))
    for _ in range(100):
        accepted(domain, services, client.client_id, secret)
    assert store.calls["get_client"] == 1
    domain.clock.at += VERIFIED_TTL
    for _ in range(100):
        accepted(domain, services, client.client_id, secret)
    assert store.calls["get_client"] == 2
    # A clock that steps back does not extend the trust.
    domain.clock.at -= 10 * VERIFIED_TTL
    accepted(domain, services, client.client_id, secret)
    assert store.calls["get_client"] == 3


def test_unknown_client_and_wrong_secret_both_read_the_row(domain: Domain) -> None:
    store = CountingStore(domain.store)
    services = build_services(store, domain.clock)  # type: ignore[arg-type]
    client, secret = domain.run(services.clients.create_client("counted"))
    accepted(domain, services, client.client_id, secret)
    before = store.calls["get_client"]
    for _ in range(10):
        refused(domain, services, client.client_id, secret + "x")
        refused(domain, services, "no-such-client", secret)
    assert store.calls["get_client"] - before == 20
