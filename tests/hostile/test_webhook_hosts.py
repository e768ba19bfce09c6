"""Where webhooks may go, on real sockets (every one on 127.0.0.1): the delivery connects to
the address that was judged, follows no redirect, shows no URL's password in a log line;
a live `tokenbridge serve` with TOKENBRIDGE_WEBHOOK_HOSTS=public refuses a loopback webhook
URL at the API and drops a name that resolves to one at delivery, and by default delivers
to a local receiver.

A fake resolver answers for names such as `hooks.example`, so that a delivery "to a name"
reaches a receiver on 127.0.0.1 without any DNS.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer, WebhookReceiver, assert_plaid_error, deliver, free_port
from tests.sdk.conftest import create_partner
from tokenbridge.domain.webhook_destinations import WebhookDestinations

PAYLOAD = {"webhook_type": "PROCESSOR_TOKEN", "webhook_code": "TEST"}
SECRET_WORD = "hunter2-s3cret"


class Receiver:
    """A loopback HTTP(S) endpoint that records each request's path and headers (and the
    SNI name a TLS client sent); `answers` are the statuses of the first requests, then 200.
    `location` is sent with each answer (for a redirect)."""

    def __init__(
        self,
        answers: Sequence[int] = (),
        location: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.sni: list[str | None] = []
        pending = list(answers)
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                requests.append((self.path, dict(self.headers.items())))
                self.send_response(pending.pop(0) if pending else 200)
                if location is not None:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


class FakeDns:
    """Answers in turn for one name: each lookup takes the next answer (the last repeats)."""

    def __init__(self, name: str, *answers: list[str]) -> None:
        self.name = name
        self.answers = list(answers)
        self.asked = 0

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        assert host == self.name, host
        self.asked += 1
        return self.answers[min(self.asked, len(self.answers)) - 1]


def closed_port() -> int:
    """A loopback port nothing listens on (free_port binds it, then lets it go)."""
    return free_port()


# --- delivery, in process -----------------------------------------------------------------


def test_a_name_is_delivered_to_the_judged_address_with_its_host_header(
    receiver: Receiver, tmp_path: Path
) -> None:
    # 127.0.0.1 is listed, so the name may resolve to it; the post goes to that address.
    policy = WebhookDestinations.parse("127.0.0.1")
    dns = FakeDns("hooks.example", ["127.0.0.1"])
    url = f"http://hooks.example:{receiver.port}/hook?x=1"
    assert deliver(url, PAYLOAD, folder=tmp_path, destinations=policy, resolver=dns).delivered
    assert dns.asked == 1
    [(path, headers)] = receiver.requests
    assert path == "/hook?x=1"
    assert headers["Host"] == f"hooks.example:{receiver.port}"


def test_each_attempt_is_judged_again_so_a_rebinding_answer_is_refused(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    failing = Receiver(answers=(503,))
    try:
        policy = WebhookDestinations.parse("127.0.0.1")
        # The first answer passes; the second (a rebinding to the metadata service) does not.
        dns = FakeDns("rebind.example", ["127.0.0.1"], ["169.254.169.254"])
        url = f"http://rebind.example:{failing.port}/hook"
        with caplog.at_level(logging.WARNING, "tokenbridge.webhooks"):
            done = deliver(url, PAYLOAD, 3, folder=tmp_path, destinations=policy, resolver=dns)
        assert done.status == "refused"
        assert len(failing.requests) == 1  # the 503; the second attempt was never sent
        assert dns.asked == 2
        assert [a.status_code for a in done.attempts] == [503, None]
        assert caplog.messages[0].startswith(
            f"webhook TEST to {url} not delivered: HTTP 503; next attempt in"
        )
        assert caplog.messages[1:] == [
            f"webhook TEST to {url} refused by the webhook hosts setting '127.0.0.1':"
            " rebind.example resolves to 169.254.169.254, which is not among the destinations"
            f" this server delivers to (id {done.webhook_id})"
        ]
    finally:
        failing.close()


def test_a_literal_refused_address_is_never_connected_to(
    receiver: Receiver, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    policy = WebhookDestinations.parse("public")
    url = f"http://user:{SECRET_WORD}@127.0.0.1:{receiver.port}/hook"
    with caplog.at_level(logging.WARNING, "tokenbridge.webhooks"):
        done = deliver(url, PAYLOAD, 3, folder=tmp_path, destinations=policy)
    assert done.status == "refused" and len(done.attempts) == 1
    assert receiver.requests == []
    assert caplog.messages == [
        f"webhook TEST to http://***@127.0.0.1:{receiver.port}/hook refused by the webhook"
        f" hosts setting 'public': 127.0.0.1 is a loopback address (id {done.webhook_id})"
    ]


def test_a_redirect_is_not_followed(receiver: Receiver, tmp_path: Path) -> None:
    # Under `any` too: a 3xx is an answer that is not 2xx, never a new destination.
    redirecting = Receiver(answers=(307,), location=f"http://127.0.0.1:{receiver.port}/x")
    try:
        url = f"http://127.0.0.1:{redirecting.port}/hook"
        done = deliver(url, PAYLOAD, folder=tmp_path)
        assert done.status == "pending" and done.attempts[0].status_code == 307
        assert len(redirecting.requests) == 1
        assert receiver.requests == []
    finally:
        redirecting.close()


@pytest.mark.parametrize(
    "url",
    [
        f"http://user:{SECRET_WORD}@127.0.0.1:{{port}}/x",
        f"http://{SECRET_WORD}@127.0.0.1:{{port}}/x",  # a token as the user, no password
        f"http://user:{SECRET_WORD}@127.0.0.1:{{port}}",
        f"http://us%40er:{SECRET_WORD}%21@127.0.0.1:{{port}}/x",
        f"http://user:{SECRET_WORD}@[::1/x",  # httpx cannot parse it
        f"ftp://user:{SECRET_WORD}@127.0.0.1:{{port}}/x",
    ],
)
def test_a_failed_delivery_logs_no_password(
    url: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    url = url.format(port=closed_port())
    with caplog.at_level(logging.DEBUG, "tokenbridge"):
        done = deliver(url, PAYLOAD, 2, folder=tmp_path)
    assert not done.delivered
    for attempt in done.attempts:
        assert attempt.error and SECRET_WORD not in attempt.error
    assert caplog.messages, "the failure is logged"
    assert all("not delivered" in m for m in caplog.messages), caplog.messages
    for record in caplog.records:
        assert SECRET_WORD not in record.getMessage()
        assert "user" not in record.getMessage()
        assert "***@" in record.getMessage()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for hooks.example and its key (made by the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=hooks.example",
         "-addext", "subjectAltName=DNS:hooks.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def test_https_keeps_the_name_for_sni_and_the_certificate(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert, key = certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    secure = Receiver(tls=tls)
    try:
        # httpx trusts SSL_CERT_FILE in place of its CA bundle: our certificate only.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        policy = WebhookDestinations.parse("127.0.0.1")
        url = f"https://hooks.example:{secure.port}/hook"
        dns = FakeDns("hooks.example", ["127.0.0.1"])
        # Delivered: the connection went to 127.0.0.1 and the certificate was checked
        # against hooks.example, the name the client sent as SNI.
        assert deliver(
            url, PAYLOAD, folder=tmp_path / "a", destinations=policy, resolver=dns
        ).delivered
        assert secure.sni == ["hooks.example"]
        assert secure.requests[0][1]["Host"] == f"hooks.example:{secure.port}"
        # A name the certificate does not carry fails the check, though the address is the same.
        other = FakeDns("other.example", ["127.0.0.1"])
        url = f"https://other.example:{secure.port}/hook"
        done = deliver(url, PAYLOAD, folder=tmp_path / "b", destinations=policy, resolver=other)
        assert not done.delivered and "CERTIFICATE_VERIFY_FAILED" in str(done.attempts[0].error)
        assert secure.sni == ["hooks.example", "other.example"]
        assert len(secure.requests) == 1
    finally:
        secure.close()


# --- a live server ------------------------------------------------------------------------


def developer(server: LiveServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        headers={"PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret},
        timeout=10,
    )


def processor_token(server: LiveServer) -> tuple[str, httpx.Client]:
    """A dwolla processor token on a new sandbox Item, and a client with dwolla's headers."""
    with developer(server) as dev:
        public = dev.post(
            "/sandbox/public_token/create",
            json={"institution_id": "ins_109508", "initial_products": ["auth"]},
        )
        access = dev.post(
            "/item/public_token/exchange", json={"public_token": public.json()["public_token"]}
        )
        access_token = access.json()["access_token"]
        account_id = dev.post("/accounts/get", json={"access_token": access_token}).json()[
            "accounts"
        ][0]
        token = dev.post(
            "/processor/token/create",
            json={
                "access_token": access_token,
                "account_id": account_id["account_id"],
                "processor": "dwolla",
            },
        )
    client_id, secret = create_partner(server.database_url, "dwolla")  # fmt: skip
    partner = httpx.Client(
        base_url=server.url, headers={"PLAID-CLIENT-ID": client_id, "PLAID-SECRET": secret},
        timeout=10,
    )  # fmt: skip
    return token.json()["processor_token"], partner


def wait_for_log(path: Path, text: str, seconds: float = 10.0) -> str:
    """The server's log once it holds `text` (or after `seconds`; the caller asserts)."""
    deadline = time.monotonic() + seconds
    log = ""
    while time.monotonic() < deadline:
        log = path.read_text(errors="replace")
        if text in log:
            break
        time.sleep(0.05)
    return log


@pytest.fixture
def public_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}", log_path=tmp_path / "serve.log",
                        env={"TOKENBRIDGE_WEBHOOK_HOSTS": "public"})  # fmt: skip
    server.start()
    yield server
    server.stop()


def test_public_refuses_a_loopback_webhook_at_the_api(
    public_server: LiveServer, receiver: Receiver
) -> None:
    token, partner = processor_token(public_server)
    with partner:
        for url, reason in [
            (f"http://127.0.0.1:{receiver.port}/hook", "127.0.0.1 is a loopback address"),
            (f"http://localhost:{receiver.port}/hook",
             "localhost is 127.0.0.1, which is a loopback address"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
            ("http://[::ffff:10.0.0.1]/",
             "::ffff:a00:1 stands for 10.0.0.1, which is a private address"),
        ]:  # fmt: skip
            response = partner.post("/processor/token/webhook/update",
                                    json={"processor_token": token, "webhook": url})  # fmt: skip
            message = f"webhook must be a URL this server may deliver to: {reason}"
            assert_plaid_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD", message)
        # Removing the webhook is still allowed.
        removed = partner.post("/processor/token/webhook/update",
                               json={"processor_token": token, "webhook": None})  # fmt: skip
        assert removed.status_code == 200, removed.text
    with developer(public_server) as dev:
        response = dev.post("/sandbox/public_token/create", json={
            "institution_id": "ins_109508", "initial_products": ["auth"],
            "options": {"webhook": f"http://127.0.0.1:{receiver.port}/item"}})  # fmt: skip
        assert_plaid_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD",
                           "options.webhook must be a URL this server may deliver to:"
                           " 127.0.0.1 is a loopback address")  # fmt: skip
    assert receiver.requests == []


def loopback_name() -> str:
    """This machine's host name, if it resolves only to loopback or private addresses."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
    except OSError:
        pytest.skip(f"the host name {name!r} does not resolve")
    policy = WebhookDestinations.parse("public")
    if policy.host_refusal(name) is not None or not all(policy.host_refusal(a) for a in addresses):
        pytest.skip(f"{name!r} resolves to {addresses}, not only to refused addresses")
    return name


def test_public_drops_a_name_that_resolves_to_loopback_at_delivery(
    public_server: LiveServer, receiver: Receiver
) -> None:
    name = loopback_name()
    token, partner = processor_token(public_server)
    url = f"http://user:{SECRET_WORD}@{name}:{receiver.port}/hook"
    with partner:
        # Only DNS can tell, so the API accepts the URL...
        response = partner.post("/processor/token/webhook/update",
                                json={"processor_token": token, "webhook": url})  # fmt: skip
        assert response.status_code == 200, response.text
    # ...and the delivery is refused, with a line in the server's log.
    assert public_server.log_path is not None
    log = wait_for_log(public_server.log_path, "refused")
    assert (
        f"webhook WEBHOOK_UPDATE_ACKNOWLEDGED to http://***@{name}:{receiver.port}/hook refused"
        f" by the webhook hosts setting 'public': {name} resolves to"
    ) in log, log
    assert SECRET_WORD not in log
    time.sleep(0.2)
    assert receiver.requests == []


def test_by_default_a_webhook_reaches_a_local_receiver(tmp_path: Path) -> None:
    server = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}", log_path=tmp_path / "serve.log")
    env_setting = os.environ.get("TOKENBRIDGE_WEBHOOK_HOSTS")
    if env_setting:
        server.env["TOKENBRIDGE_WEBHOOK_HOSTS"] = ""  # the default, whatever this shell says
    local = WebhookReceiver()
    server.start()
    try:
        token, partner = processor_token(server)
        with partner:
            ok = partner.post("/processor/token/webhook/update",
                              json={"processor_token": token, "webhook": local.url})  # fmt: skip
            assert ok.status_code == 200, ok.text
            local.wait(1)
            assert [w["webhook_code"] for w in local.received] == ["WEBHOOK_UPDATE_ACKNOWLEDGED"]
            assert local.received[0]["new_webhook_url"] == local.url
            # A dead receiver behind a URL with a password: the log line hides it.
            dead = f"http://user:{SECRET_WORD}@127.0.0.1:{closed_port()}/hook"
            ok = partner.post("/processor/token/webhook/update",
                              json={"processor_token": token, "webhook": dead})  # fmt: skip
            assert ok.status_code == 200, ok.text
        with developer(server) as dev:
            response = dev.post("/sandbox/public_token/create", json={
                "institution_id": "ins_109508", "initial_products": ["auth"],
                "options": {"webhook": "ftp://example.com/item"}})  # fmt: skip
            assert_plaid_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD",
                               "options.webhook must be an http or https URL")  # fmt: skip
        log = wait_for_log(tmp_path / "serve.log", "not delivered")
        assert "webhook WEBHOOK_UPDATE_ACKNOWLEDGED to http://***@127.0.0.1:" in log, log
        assert SECRET_WORD not in log
    finally:
        server.stop()
        local.close()


def test_an_unparsable_setting_stops_the_server_before_it_starts(tmp_path: Path) -> None:
    env = {**os.environ, "TOKENBRIDGE_WEBHOOK_HOSTS": "public,any",
           "TOKENBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'tb.db'}"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "serve", "--port", str(free_port())],
        env=env, capture_output=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode() == (
        "tokenbridge: TOKENBRIDGE_WEBHOOK_HOSTS: 'any' allows every destination and must stand"
        " alone\n"
    )
    assert done.stdout == b""
