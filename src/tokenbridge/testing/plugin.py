"""tokenbridge's pytest plugin: a fresh, isolated Plaid sandbox for every test.

Installed with tokenbridge (the `pytest11` entry point), it costs nothing until a test asks
for one of its fixtures: this module imports only the standard library and pytest, the
server starts at the first test that needs it, and plaid-python is imported only by the
fixtures that hand out a `PlaidApi`.

- `tokenbridge_server` (session): a real `tokenbridge serve` on a free loopback port over a
  temporary SQLite database (`--tokenbridge-database-url` for another, e.g. PostgreSQL),
  one per session and per xdist worker; or the server at `--tokenbridge-url` (with its
  admin key in `--tokenbridge-admin-key` or TOKENBRIDGE_ADMIN_KEY).
- `plaid_credentials`, `plaid_client` (function): a client of a world of its own, made for
  the test, so that no test sees another's Items, tokens or webhooks and nothing needs a
  reset.
- `plaid_partner` (function): `plaid_partner("dwolla")`, a `PlaidApi` of that processor's
  partner in the test's world.
- `webhook_inbox` (function): a webhook URL served by the server; `wait(code)` returns the
  first webhook of that code, verified as Plaid's guide says.
- `tokenbridge_clock` (function): the clock of the test's world: `now()`, and
  `advance(days=0, hours=0, minutes=0, seconds=0)`, which makes what that time makes to the
  test's Items before it returns.

docs/TESTING.md shows them at work.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from plaid.api.plaid_api import PlaidApi

# How long the server may take to answer /health, and one control call to answer.
START_TIMEOUT = 60.0
CALL_TIMEOUT = 30.0
# A webhook older than this is refused, as Plaid's guide says.
MAX_WEBHOOK_AGE = 5 * 60


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tokenbridge", "tokenbridge (a Plaid sandbox for tests)")
    group.addoption(
        "--tokenbridge-url",
        default=os.environ.get("TOKENBRIDGE_URL"),
        help="use the tokenbridge server at this URL instead of starting one"
        " (TOKENBRIDGE_URL); its admin key from --tokenbridge-admin-key",
    )
    group.addoption(
        "--tokenbridge-admin-key",
        default=os.environ.get("TOKENBRIDGE_ADMIN_KEY"),
        help="the admin key of the server at --tokenbridge-url (TOKENBRIDGE_ADMIN_KEY)",
    )
    group.addoption(
        "--tokenbridge-database-url",
        default=None,
        help="the database of the server the plugin starts (a temporary SQLite file by"
        " default; e.g. postgresql://user@host/db)",
    )


class ControlError(Exception):
    """A control API call that was refused: its status and Plaid-style error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status} {body.get('error_code')}: {body.get('error_message')}")


class Control:
    """A small client of the control API (docs/TESTING.md)."""

    def __init__(self, url: str, admin_key: str) -> None:
        self.url = url.rstrip("/")
        self._authorization = "Bearer " + admin_key

    def post(self, operation: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST /_tokenbridge/control/<operation>; the answer, or ControlError."""
        return _post_json(
            f"{self.url}/_tokenbridge/control/{operation}", body or {},
            {"Authorization": self._authorization},
        )  # fmt: skip


@dataclass
class TokenbridgeServer:
    """A tokenbridge server for the session: its `url` and `control` client."""

    url: str
    control: Control
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def log(self) -> str:
        """What the server it started has printed so far ("" for one it did not start)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")


@dataclass(frozen=True)
class PlaidCredentials:
    """An isolated client's credentials, and the server's URL (Plaid's `host`)."""

    client_id: str
    secret: str
    url: str


@dataclass
class VirtualClock:
    """The clock of one isolated client's world (docs/TESTING.md, "Time")."""

    control: Control
    client_id: str

    def now(self) -> datetime:
        """Now on the world's clock, an aware UTC datetime."""
        return self._read(self.control.post("clock/get", {"client_id": self.client_id}))

    def advance(
        self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> datetime:
        """Move the clock forward (never back); what the time makes to the world's Items
        (daily transaction updates, the 30-day ITEM_LOGIN_REQUIRED, their webhooks) is made
        before this returns. The new now."""
        answer = self.control.post("clock/advance", {
            "client_id": self.client_id, "days": days, "hours": hours, "minutes": minutes,
            "seconds": seconds,
        })  # fmt: skip
        return self._read(answer)

    @staticmethod
    def _read(answer: dict[str, Any]) -> datetime:
        return datetime.fromtimestamp(float(answer["unix_time"]), UTC)


@dataclass
class WebhookInbox:
    """A webhook URL served by tokenbridge; what arrived there, read back."""

    url: str
    inbox_id: str
    control: Control
    server_url: str
    credentials: PlaidCredentials
    _keys: dict[str, Any] = field(default_factory=dict)

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every delivery so far, oldest first: `headers` (lower case), `body` (raw text),
        `seq` and `received_at`."""
        deliveries: list[dict[str, Any]] = self.control.post(
            "inbox/deliveries/list", {"inbox_id": self.inbox_id}
        )["deliveries"]
        return deliveries

    def wait(self, webhook_code: str, timeout: float = 5.0) -> dict[str, Any]:
        """The parsed body of the first webhook of `webhook_code`, once it has arrived and
        its Plaid-Verification verifies; fails the test, saying what did arrive, if none
        has within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            arrived = self.received
            for delivery in arrived:
                payload = json.loads(delivery["body"])
                if payload.get("webhook_code") == webhook_code:
                    self.verify(delivery)
                    return dict(payload)
            if time.monotonic() >= deadline:
                codes = [json.loads(d["body"]).get("webhook_code") for d in arrived]
                pytest.fail(
                    f"no {webhook_code} webhook arrived within {timeout} s; arrived: {codes}",
                    pytrace=False,
                )
            time.sleep(0.05)

    def verify(self, delivery: dict[str, Any]) -> None:
        """Check a delivery as Plaid's webhook verification guide says: an ES256 JWT in
        Plaid-Verification whose key /webhook_verification_key/get publishes and has not
        expired, at most 5 minutes old, over the SHA-256 of the exact body."""
        import jwt

        token = delivery["headers"].get("plaid-verification")
        if not token:
            pytest.fail("the webhook has no Plaid-Verification header", pytrace=False)
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "ES256":
            pytest.fail(f"Plaid-Verification is signed with {header.get('alg')}", pytrace=False)
        key = self._key(str(header["kid"]))
        if key.get("expired_at") is not None:
            pytest.fail(f"the webhook is signed with an expired key {key['kid']}", pytrace=False)
        claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"])
        if time.time() - float(claims["iat"]) > MAX_WEBHOOK_AGE:
            pytest.fail("the webhook is more than 5 minutes old", pytrace=False)
        digest = hashlib.sha256(delivery["body"].encode("utf-8")).hexdigest()
        if not hmac.compare_digest(digest, str(claims["request_body_sha256"])):
            pytest.fail("the webhook's body is not the one that was signed", pytrace=False)

    def _key(self, kid: str) -> dict[str, Any]:
        if kid not in self._keys:
            found = _post_json(f"{self.server_url}/webhook_verification_key/get", {
                "client_id": self.credentials.client_id, "secret": self.credentials.secret,
                "key_id": kid,
            }, {})  # fmt: skip
            self._keys[kid] = found["key"]
        key: dict[str, Any] = self._keys[kid]
        return key


# Fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tokenbridge_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TokenbridgeServer]:
    """A tokenbridge server for the session (per xdist worker)."""
    config = request.config
    url = config.getoption("--tokenbridge-url")
    if url:
        key = config.getoption("--tokenbridge-admin-key")
        if not key:
            pytest.fail(
                "--tokenbridge-url needs the server's admin key"
                " (--tokenbridge-admin-key or TOKENBRIDGE_ADMIN_KEY)",
                pytrace=False,
            )
        yield TokenbridgeServer(url.rstrip("/"), Control(url, key))
        return
    folder = tmp_path_factory.mktemp("tokenbridge")
    database = config.getoption("--tokenbridge-database-url") or f"sqlite:///{folder}/tb.db"
    server = _start(folder, database)
    try:
        yield server
    finally:
        _stop(server)


@pytest.fixture
def plaid_credentials(tokenbridge_server: TokenbridgeServer) -> PlaidCredentials:
    """A client of a world of its own, for this test."""
    made = tokenbridge_server.control.post("client/create", {"name": "pytest"})
    return PlaidCredentials(made["client_id"], made["secret"], tokenbridge_server.url)


@pytest.fixture
def plaid_client(plaid_credentials: PlaidCredentials) -> Iterator[PlaidApi]:
    """plaid-python's PlaidApi, bound to this test's own client."""
    with _plaid_api(plaid_credentials.url, plaid_credentials) as api:
        yield api


@pytest.fixture
def plaid_partner(
    tokenbridge_server: TokenbridgeServer, plaid_credentials: PlaidCredentials
) -> Iterator[Callable[[str], PlaidApi]]:
    """`plaid_partner("dwolla")`: a PlaidApi of that processor's partner in this test's
    world, which reads the processor tokens this test's client makes for it, and only
    those. One partner per processor and test."""
    made: dict[str, PlaidApi] = {}
    with ExitStack() as stack:

        def partner(processor: str) -> PlaidApi:
            if processor not in made:
                answer = tokenbridge_server.control.post(
                    "partner/create",
                    {"client_id": plaid_credentials.client_id, "processor": processor},
                )
                credentials = PlaidCredentials(
                    answer["client_id"], answer["secret"], tokenbridge_server.url
                )
                made[processor] = stack.enter_context(
                    _plaid_api(tokenbridge_server.url, credentials)
                )
            return made[processor]

        yield partner


@pytest.fixture
def webhook_inbox(
    tokenbridge_server: TokenbridgeServer, plaid_credentials: PlaidCredentials
) -> WebhookInbox:
    """A webhook URL for this test, and what arrives there."""
    made = tokenbridge_server.control.post("inbox/create")
    return WebhookInbox(
        made["url"], made["inbox_id"], tokenbridge_server.control, tokenbridge_server.url,
        plaid_credentials,
    )  # fmt: skip


@pytest.fixture
def tokenbridge_clock(
    tokenbridge_server: TokenbridgeServer, plaid_credentials: PlaidCredentials
) -> VirtualClock:
    """The clock of this test's world: real time until the test advances it."""
    return VirtualClock(tokenbridge_server.control, plaid_credentials.client_id)


# The server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(folder: Path, database: str) -> TokenbridgeServer:
    port = _free_port()
    admin_key = secrets.token_urlsafe(24)
    env = {**os.environ, "TOKENBRIDGE_ADMIN_KEY": admin_key}
    log_path = folder / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own command, no shell)
            [sys.executable, "-m", "tokenbridge", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--database-url", database],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    server = TokenbridgeServer(url, Control(url, admin_key), process, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"tokenbridge serve exited ({process.returncode}):\n{server.log()}",
                        pytrace=False)  # fmt: skip
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() >= deadline:
            _stop(server)
            pytest.fail(f"tokenbridge serve did not start within {START_TIMEOUT} s:\n"
                        f"{server.log()}", pytrace=False)  # fmt: skip
        time.sleep(0.05)


def _stop(server: TokenbridgeServer) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (the server's own http URL)
        url, data=data, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as answer:  # noqa: S310
            found: dict[str, Any] = json.loads(answer.read())
            return found
    except urllib.error.HTTPError as refused:
        raise ControlError(refused.code, json.loads(refused.read() or b"{}")) from None


@contextmanager
def _plaid_api(url: str, credentials: PlaidCredentials) -> Iterator[PlaidApi]:
    """A plaid-python PlaidApi for `credentials` at `url`; its HTTP pool closed after."""
    import plaid
    from plaid.api import plaid_api

    configuration = plaid.Configuration(
        host=url, api_key={"clientId": credentials.client_id, "secret": credentials.secret}
    )
    with plaid.ApiClient(configuration) as client:
        yield plaid_api.PlaidApi(client)
