"""Small factories shared by the suites."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import plaid

CLIENT_ID = "test-client"
SECRET = "test-secret-0123456789abcdef"
# The control API's key of every server the suites start (TOKENBRIDGE_ADMIN_KEY).
ADMIN_KEY = "test-admin-key-0123456789abcdef"


# Plaid's published documents, a reference kept outside the repository (not redistributed).
CHECKOUT = Path(__file__).resolve().parents[1]


def plaid_candidates(variable: str, name: str) -> tuple[Path, ...]:
    """Where one of Plaid's documents may be: the path `variable` names, or `name` in a
    `shared/plaid/` folder beside the checkout."""
    paths = (os.environ.get(variable, ""), str(CHECKOUT.parent / "shared" / "plaid" / name))
    return tuple(Path(p) for p in paths if p)


def plaid_document(variable: str, name: str) -> Path | None:
    """The first of `plaid_candidates` that exists, or None."""
    return next((p for p in plaid_candidates(variable, name) if p.exists()), None)


def _plaid_error_body(body: dict[str, Any], error_type: str, error_code: str,
                      message: str | None) -> dict[str, Any]:  # fmt: skip
    assert (body["error_type"], body["error_code"]) == (error_type, error_code), body
    assert body["request_id"], body
    if message is not None:
        assert body["error_message"] == message, body
    return body


def assert_plaid_error(response: httpx.Response, status: int, error_type: str, error_code: str,
                       message: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Assert `response` is a PlaidError: this HTTP status, `error_type` and `error_code`, a
    request_id, and this `error_message` when `message` is given. Return the body."""
    assert response.status_code == status, response.text
    return _plaid_error_body(response.json(), error_type, error_code, message)


def assert_plaid_exception(
    exc: plaid.ApiException, status: int, error_type: str, error_code: str,
    message: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`assert_plaid_error` for the official client's `plaid.ApiException`: its `status` and
    its JSON `body`. Return the body."""
    assert exc.status == status, exc.body
    return _plaid_error_body(json.loads(exc.body), error_type, error_code, message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A real `tokenbridge serve` process on a loopback port."""

    database_url: str
    port: int = field(default_factory=free_port)
    client_id: str = CLIENT_ID
    secret: str = SECRET
    # TOKENBRIDGE_ADMIN_KEY; "" makes `serve` generate one and print it.
    admin_key: str = ADMIN_KEY
    extra_args: tuple[str, ...] = ()
    log_path: Path | None = None
    # Further environment variables for the process (TOKENBRIDGE_WEBHOOK_HOSTS, ...).
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> LiveServer:
        env = {
            **os.environ,
            "TOKENBRIDGE_CLIENT_ID": self.client_id,
            "TOKENBRIDGE_SECRET": self.secret,
            "TOKENBRIDGE_ADMIN_KEY": self.admin_key,
            "TOKENBRIDGE_DATABASE_URL": self.database_url,
            **self.env,
        }
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tokenbridge", "serve", "--port", str(self.port),
             *self.extra_args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        if not isinstance(log, int):
            log.close()  # the child has its own copy; ours would leak (ResourceWarning)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tokenbridge serve exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("tokenbridge serve did not answer /health in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def kill(self) -> None:
        """kill -9: no shutdown, no flush."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@dataclass(frozen=True)
class Delivery:
    """One POST as it arrived: the raw body bytes, the headers (names in lower case), and
    when it came (`time.monotonic()`)."""

    body: bytes
    headers: dict[str, str]
    at: float = 0.0


class WebhookReceiver:
    """Records the JSON bodies POSTed to a loopback port, in the order they arrive, and in
    `deliveries` each post's raw body and headers (to verify its signature).

    `statuses` are the answers to the first posts (then 200), to make a sender retry.
    `port` is the loopback port to listen on (a free one by default).
    """

    def __init__(self, statuses: tuple[int, ...] = (), port: int = 0) -> None:
        received: list[dict[str, Any]] = []
        self.received = received
        deliveries: list[Delivery] = []
        self.deliveries = deliveries
        answers = list(statuses)

        class Handler(BaseHTTPRequestHandler):
            # A sender that connects and then stops (an in-process app whose loop no longer
            # runs once the test is over) must not hold the receiver's one thread forever:
            # close() waits for it.
            timeout = 2.0

            def do_POST(self) -> None:
                at = time.monotonic()
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                # The raw delivery first: whoever waits on `received` then finds it too.
                deliveries.append(Delivery(body, headers, at))
                received.append(json.loads(body))
                self.send_response(answers.pop(0) if answers else 200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def wait_until(
        self, done: Callable[[list[dict[str, Any]]], bool], seconds: float = 10.0
    ) -> None:
        """Block until `done(received)` holds, for at most `seconds` (the caller asserts)."""
        deadline = time.monotonic() + seconds
        while not done(self.received) and time.monotonic() < deadline:
            time.sleep(0.02)

    def wait(self, count: int, seconds: float = 10.0) -> None:
        self.wait_until(lambda received: len(received) >= count, seconds)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@dataclass
class Delivered:
    """What the delivery worker made of one webhook (`deliver`)."""

    webhook_id: str
    status: str
    attempts: list[Any]  # tokenbridge.domain.models.WebhookAttempt

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"


def deliver(
    url: str,
    payload: dict[str, Any],
    attempts: int = 1,
    *,
    folder: Path,
    signer: Any = None,
    seconds: float = 10.0,
    **worker: Any,
) -> Delivered:
    """Send one webhook through a real delivery worker over a fresh SQLite outbox in
    `folder`, on Plaid's schedule compressed 1000 times (30 ms to the first retry), until it
    is no longer pending or has had `attempts` attempts (at most `seconds`). `worker` goes
    to DeliveryWorker (destinations, resolver)."""
    import asyncio

    from tokenbridge.domain.outbox import outbound
    from tokenbridge.storage import open_store
    from tokenbridge.webhooks import DeliveryWorker

    folder.mkdir(parents=True, exist_ok=True)

    async def run() -> Delivered:
        store = await open_store(f"sqlite:///{folder / 'outbox.db'}")
        webhook = outbound(f"wh-{time.monotonic_ns()}", time.time(), "test", url, payload)
        await store.enqueue_webhooks([webhook])
        sender = DeliveryWorker(store, signer, retry_scale=0.001, **worker)
        sender.start()
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                found = await store.get_webhook(webhook.webhook_id)
                tried = await store.list_webhook_attempts(webhook.webhook_id)
                if found is not None and (found.status != "pending" or len(tried) >= attempts):
                    return Delivered(webhook.webhook_id, found.status, tried)
                await asyncio.sleep(0.005)
            raise AssertionError(f"the webhook to {url} is still pending after {seconds} s")
        finally:
            await sender.stop(1.0)
            await store.close()

    return asyncio.run(run())
