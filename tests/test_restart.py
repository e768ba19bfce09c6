"""Durability: what a create returned survives `kill -9`, and the database holds no token.

Every token is stored as its SHA-256 only, so a copy of the database file (and its WAL)
must contain the hashes and never a token string or a client secret.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer
from tokenbridge.domain import errors
from tokenbridge.domain.items import PUBLIC_TOKEN_TTL, ItemService
from tokenbridge.domain.models import Client
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import RandomSource, hash_token
from tokenbridge.domain.services import Services
from tokenbridge.sandbox.bank import SandboxBank
from tokenbridge.storage import open_store

# One connection pool for the module: httpx.post() would build a client (and its TLS
# context) for every request, which costs more than the request itself.
_http = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    _http.close()


def call(
    server: LiveServer,
    path: str,
    body: dict[str, Any],
    credentials: tuple[str, str] | None = None,
) -> httpx.Response:
    client_id, secret = credentials or (server.client_id, server.secret)
    headers = {"PLAID-CLIENT-ID": client_id, "PLAID-SECRET": secret}
    return _http.post(server.url + path, json=body, headers=headers)


def ok(
    server: LiveServer, path: str, body: dict[str, Any], credentials: tuple[str, str] | None = None
) -> dict[str, Any]:
    response = call(server, path, body, credentials)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def error_code(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_type"], body["error_code"]


@dataclass
class Issued:
    """Everything handed out before the crash, with what each should still do."""

    public: str  # created, never exchanged
    access: str
    account_ids: list[str]
    processor: dict[str, tuple[str, ...]]  # token -> permissions set on it
    btok: str
    sandbox_processor: str
    removed_access: str
    removed_processor: str
    other_client: tuple[str, str]


def create_client(database_url: str) -> tuple[str, str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tokenbridge",
            "clients",
            "create",
            "--name",
            "other",
            "--json",
            "--database-url",
            database_url,
        ],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    record = json.loads(out)
    return record["client_id"], record["secret"]


def link(server: LiveServer) -> tuple[str, list[str]]:
    public = ok(
        server,
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
    )
    access = ok(server, "/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = ok(server, "/accounts/get", {"access_token": access["access_token"]})["accounts"]
    return access["access_token"], [a["account_id"] for a in accounts]


def issue(server: LiveServer) -> Issued:
    public = ok(
        server,
        "/sandbox/public_token/create",
        {"institution_id": "ins_109511", "initial_products": ["auth"]},
    )["public_token"]
    access, account_ids = link(server)
    processor: dict[str, tuple[str, ...]] = {}
    for account_id, name, products in (
        (account_ids[0], "dwolla", ("auth", "identity")),
        (account_ids[0], "moov", ()),
        (account_ids[1], "unit", ("balance",)),
    ):
        token = ok(
            server,
            "/processor/token/create",
            {"access_token": access, "account_id": account_id, "processor": name},
        )["processor_token"]
        if products:
            ok(
                server,
                "/processor/token/permissions/set",
                {"processor_token": token, "products": list(products)},
            )
        processor[token] = products
    btok = ok(
        server,
        "/processor/stripe/bank_account_token/create",
        {"access_token": access, "account_id": account_ids[0]},
    )["stripe_bank_account_token"]
    sandbox_processor = ok(
        server, "/sandbox/processor_token/create", {"institution_id": "ins_109512"}
    )["processor_token"]
    removed_access, removed_accounts = link(server)
    removed_processor = ok(
        server,
        "/processor/token/create",
        {"access_token": removed_access, "account_id": removed_accounts[0], "processor": "dwolla"},
    )["processor_token"]
    ok(server, "/item/remove", {"access_token": removed_access})
    return Issued(
        public,
        access,
        account_ids,
        processor,
        btok,
        sandbox_processor,
        removed_access,
        removed_processor,
        create_client(server.database_url),
    )


@dataclass
class Crashed:
    """A database that a server wrote to and was then killed with SIGKILL."""

    url: str
    issued: Issued
    exchanged_public: str
    files: bytes  # the .db and -wal bytes as the crash left them
    pinned_secret: str


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> Crashed:
    db = tmp_path_factory.mktemp("restart") / "tb.db"
    url = f"sqlite:///{db}"
    server = LiveServer(url).start()
    try:
        issued = issue(server)
        public = ok(
            server,
            "/sandbox/public_token/create",
            {"institution_id": "ins_109508", "initial_products": ["auth"]},
        )["public_token"]
        ok(server, "/item/public_token/exchange", {"public_token": public})
    finally:
        # No shutdown, no checkpoint: only what each 200 had committed, and the WAL as is.
        server.kill()
    files = b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())
    return Crashed(url, issued, public, files, server.secret)


def test_tokens_survive_kill_9(crashed: Crashed) -> None:
    issued = crashed.issued
    second = LiveServer(crashed.url).start()
    try:
        item = ok(second, "/item/get", {"access_token": issued.access})["item"]
        accounts = ok(second, "/accounts/get", {"access_token": issued.access})["accounts"]
        assert [a["account_id"] for a in accounts] == issued.account_ids
        assert item["institution_id"] == "ins_109508"
        for token, products in issued.processor.items():
            got = ok(second, "/processor/token/permissions/get", {"processor_token": token})
            assert tuple(got["products"]) == products
        got = ok(
            second,
            "/processor/token/permissions/get",
            {"processor_token": issued.sandbox_processor},
        )
        assert got["products"] == []
        # Tokens keep working for writes too.
        first_token = next(iter(issued.processor))
        ok(
            second,
            "/processor/token/permissions/set",
            {"processor_token": first_token, "products": []},
        )
        assert ok(
            second,
            "/processor/token/create",
            {
                "access_token": issued.access,
                "account_id": issued.account_ids[0],
                "processor": "galileo",
            },
        )["processor_token"]
        # The public token made before the crash still exchanges, once.
        exchanged = ok(second, "/item/public_token/exchange", {"public_token": issued.public})
        assert exchanged["access_token"].startswith("access-sandbox-")
        response = call(second, "/item/public_token/exchange", {"public_token": issued.public})
        assert error_code(response) == (400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")
        # The client created from the command line still authenticates.
        assert link_as(second, issued.other_client)
        # And what was removed before the crash stays removed.
        response = call(second, "/item/get", {"access_token": issued.removed_access})
        assert error_code(response) == (400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
        response = call(
            second,
            "/processor/token/permissions/get",
            {"processor_token": issued.removed_processor},
        )
        assert error_code(response) == (400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")
    finally:
        second.stop()


def link_as(server: LiveServer, credentials: tuple[str, str]) -> str:
    public = ok(
        server,
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
        credentials,
    )["public_token"]
    exchanged = ok(server, "/item/public_token/exchange", {"public_token": public}, credentials)
    token: str = exchanged["access_token"]
    return token


def test_database_holds_no_token_or_secret(crashed: Crashed) -> None:
    issued, data = crashed.issued, crashed.files
    assert data
    secrets = [
        issued.public,
        issued.access,
        *issued.processor,
        issued.btok,
        issued.sandbox_processor,
        issued.removed_access,
        issued.removed_processor,
        crashed.exchanged_public,
        crashed.pinned_secret,
        issued.other_client[1],
    ]
    for secret in secrets:
        assert secret.encode() not in data, secret
        # Nor the random part alone (the uuid of a token, the body of a btok).
        random_part = secret.removeprefix("btok_").split("-sandbox-")[-1]
        assert random_part.encode() not in data, secret
    # The bytes are the right ones: the tokens' hashes are in them.
    for secret in (issued.access, issued.btok, crashed.exchanged_public, issued.other_client[1]):
        assert hash_token(secret).encode() in data


def test_public_token_expiry_survives_a_restart(tmp_path: Path) -> None:
    # The 30-minute expiry is tested with a clock we move, not by waiting; the expiry time
    # is stored, so a new process on the same file enforces it too.
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    clock = StoppedClock(1_700_000_000.0)

    async def scenario() -> tuple[bool, bool]:
        store = await open_store(url)
        services = services_over(store, clock)
        client, _ = await services.clients.create_client("developer")
        items = services.items
        fresh = await items.sandbox_public_token_create(client, "ins_109508", ["auth"])
        stale = await items.sandbox_public_token_create(client, "ins_109508", ["auth"])
        await store.close()

        store = await open_store(url)
        restarted = services_over(store, clock).items
        clock.at += PUBLIC_TOKEN_TTL - 1
        fresh_ok = await exchanges(restarted, client, fresh)
        clock.at += 1
        stale_ok = await exchanges(restarted, client, stale)
        await store.close()
        return fresh_ok, stale_ok

    assert asyncio.run(scenario()) == (True, False)


@dataclass
class StoppedClock:
    """A `Clock` that stands still at `at` until the test moves it."""

    at: float

    def now(self) -> float:
        return self.at


class Unheard:
    """An Outbox no worker listens to: the webhooks stay in the store."""

    def notify(self) -> None:
        pass


def services_over(store: Store, clock: StoppedClock) -> Services:
    return Services.build(
        store=store, bank=SandboxBank(), clock=clock, outbox=Unheard(),
        random=RandomSource(),
    )  # fmt: skip


async def exchanges(service: ItemService, client: Client, public_token: str) -> bool:
    try:
        await service.item_public_token_exchange(client, public_token)
    except errors.InvalidPublicToken:
        return False
    return True


def test_seeded_server_restarted_on_its_database_hands_out_new_tokens(tmp_path: Path) -> None:
    # A seeded sequence starts again at every start; over a database that already holds
    # its first Items it must continue elsewhere, not repeat ids the database holds.
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    first = LiveServer(url, extra_args=("--seed", "restart")).start()
    try:
        before, _ = link(first)
    finally:
        first.stop()
    second = LiveServer(url, extra_args=("--seed", "restart")).start()
    try:
        after, accounts = link(second)
        assert after != before
        ok(second, "/processor/token/create",
           {"access_token": after, "account_id": accounts[0], "processor": "dwolla"})  # fmt: skip
        assert ok(second, "/item/get", {"access_token": before})["item"]["item_id"]
    finally:
        second.stop()


def test_seed_with_several_workers_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "serve", "--seed", "x", "--workers", "2",
         "--database-url", f"sqlite:///{tmp_path / 'tb.db'}"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--seed" in done.stderr and "one worker" in done.stderr
    assert "Traceback" not in done.stderr


def seeded_session(server: LiveServer, access: str | None) -> tuple[str, list[str]]:
    """An Item linked when `access` is None, then processor tokens and a Stripe token on
    the Item: every token and id handed out for the first time, request ids included."""
    handed: list[str] = []
    linked = access is None
    if access is None:
        access, _ = link(server)
    accounts = ok(server, "/accounts/get", {"access_token": access})
    handed.append(accounts["request_id"])
    if linked:
        handed += [access, *(a["account_id"] for a in accounts["accounts"])]
    account_id = accounts["accounts"][0]["account_id"]
    for processor in ("dwolla", "moov"):
        body = {"access_token": access, "account_id": account_id, "processor": processor}
        made = ok(server, "/processor/token/create", body)
        handed += [made["processor_token"], made["request_id"]]
    btok = ok(server, "/processor/stripe/bank_account_token/create",
              {"access_token": access, "account_id": account_id})  # fmt: skip
    handed += [btok["stripe_bank_account_token"], btok["request_id"]]
    return access, handed


def seeded_restarts(url: str) -> list[str]:
    """Four starts of a server seeded alike on one database: an Item and tokens in the
    first, only tokens on that Item in the second and third (no new Item), a new Item and
    its tokens in the fourth."""
    handed: list[str] = []
    access: str | None = None
    for start in range(4):
        server = LiveServer(url, extra_args=("--seed", "restarts")).start()
        try:
            access, more = seeded_session(server, access if start in (1, 2) else None)
            handed += more
        finally:
            server.stop()
    return handed


def test_a_seeded_server_restarted_twice_never_repeats_an_id_or_token(tmp_path: Path) -> None:
    # Resuming from the number of Items alone began the third start where the second had
    # (no Item was made in between): the same processor token again, a UNIQUE failure and
    # a 500, and the same request ids.
    handed = seeded_restarts(f"sqlite:///{tmp_path / 'a.db'}")
    assert len(handed) == len(set(handed)), [h for h in handed if handed.count(h) > 1]
    # Deterministic all the same: the same starts and requests on a fresh database hand out
    # the same ids and tokens.
    assert seeded_restarts(f"sqlite:///{tmp_path / 'b.db'}") == handed
