"""The `tokenbridge` command as a new user meets it: where its data lives, and how it
refuses settings it cannot use. Each test runs the real command in a temporary folder
with a temporary home."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer, WebhookReceiver, free_port
from tokenbridge import cli, settings

SERVING = re.compile(r"^tokenbridge \S+ serving (\S+) on (http://\S+)$", re.MULTILINE)


@dataclass
class Home:
    """A temporary user: HOME and XDG_DATA_HOME in `tmp_path`, no TOKENBRIDGE_* set."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "xdg-data"

    @property
    def default_db(self) -> Path:
        return self.data / "tokenbridge" / "tokenbridge.db"

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("TOKENBRIDGE_")}
        return {**base, "HOME": str(self.root / "home"), "XDG_DATA_HOME": str(self.data),
                **extra}  # fmt: skip

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(exist_ok=True)
        return path

    def run(self, *args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tokenbridge", *args],
            cwd=cwd, env=self.env(**extra), capture_output=True, text=True, timeout=60,
        )  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Home:
    (tmp_path / "home").mkdir()
    return Home(tmp_path)


def test_every_command_uses_one_default_database_whatever_the_folder(home: Home) -> None:
    created = home.run("partners", "create", "--processor", "dwolla", cwd=home.folder("one"))
    assert created.returncode == 0, created.stderr
    client_id = re.search(r"client_id: (\S+)", created.stdout)
    assert client_id is not None, created.stdout

    # Made on first write: the folder private, the file too.
    assert stat.S_IMODE(home.default_db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.default_db.stat().st_mode) == 0o600
    audit = home.run("audit", cwd=home.folder("two"))
    assert audit.returncode == 0, audit.stderr
    assert "partner.create" in audit.stdout
    assert client_id.group(1) in audit.stdout
    # Nothing was made in the folders the commands ran from.
    assert list(home.folder("one").iterdir()) == list(home.folder("two").iterdir()) == []

    upgrade = home.run("db", "upgrade", cwd=home.folder("three"))
    assert upgrade.stdout == f"database is up to date: sqlite:///{home.default_db}\n"


def test_the_database_url_still_overrides_the_default(home: Home) -> None:
    here = home.folder("here")
    made = home.run("clients", "create", "--name", "x", "--database-url", "sqlite:///mine.db",
                    cwd=here)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert (here / "mine.db").exists()
    assert not home.default_db.exists()
    # The environment's URL, and the banner-style absolute path in `db upgrade`.
    upgrade = home.run("db", "upgrade", cwd=home.folder("elsewhere"),
                       TOKENBRIDGE_DATABASE_URL=f"sqlite:///{here / 'mine.db'}")  # fmt: skip
    assert upgrade.stdout == f"database is up to date: sqlite:///{here / 'mine.db'}\n"
    assert not home.default_db.exists()


def test_audit_never_creates_a_database(home: Home) -> None:
    done = home.run("audit", cwd=home.folder("cwd"))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"tokenbridge: no database at {home.default_db}"
        " (start tokenbridge serve, or pass --database-url)\n"
    )
    assert not home.data.exists()

    explicit = home.run("audit", "--database-url", "sqlite:///none.db", cwd=home.folder("cwd"))
    assert explicit.returncode == 1
    assert f"no database at {home.folder('cwd') / 'none.db'} " in explicit.stderr
    assert list(home.folder("cwd").iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [("audit",), ("clients", "create", "--name", "x"), ("db", "upgrade"),
     ("serve", "--port", "0")],
)  # fmt: skip
def test_an_explicit_path_in_a_missing_folder_is_refused(
    home: Home, command: tuple[str, ...]
) -> None:
    cwd = home.folder("cwd")
    done = home.run(*command, "--database-url", "sqlite:///missing/x.db", cwd=cwd)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"tokenbridge: the folder {cwd / 'missing'} does not exist")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not (cwd / "missing").exists()
    assert not home.data.exists()


@pytest.mark.parametrize(
    ("given", "missing"),
    [("TOKENBRIDGE_CLIENT_ID", "TOKENBRIDGE_SECRET"),
     ("TOKENBRIDGE_SECRET", "TOKENBRIDGE_CLIENT_ID")],
)  # fmt: skip
def test_one_credential_without_the_other_is_refused(home: Home, given: str, missing: str) -> None:
    done = home.run("serve", "--port", "0", cwd=home.folder("cwd"), **{given: "value-1234"})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"tokenbridge: {given} is set but {missing} is not: set both, or neither\n"
    )
    assert not home.data.exists()


def test_a_port_in_use_is_one_line_before_anything_else(home: Home) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = home.run("serve", "--port", str(port), cwd=home.folder("cwd"))
    assert done.returncode == 1
    assert done.stdout == ""  # no "serving" line, no sandbox client printed
    assert re.fullmatch(
        rf"tokenbridge: cannot listen on 127\.0\.0\.1:{port}: [^\n]+\n", done.stderr
    ), done.stderr
    assert not home.data.exists()


@dataclass
class Started:
    banner: str
    url: str
    database: str


@pytest.fixture
def serve(home: Home) -> Iterator[list[subprocess.Popen[str]]]:
    """Started servers, stopped at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        assert process.stdout is not None
        process.stdout.close()


def start(home: Home, started: list[subprocess.Popen[str]], *args: str) -> Started:
    """`tokenbridge serve ARGS` on a free port; its output up to the "serving" line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tokenbridge", "serve", "--port", str(free_port()), *args],
        cwd=home.folder("cwd"), env=home.env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    started.append(process)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if (serving := SERVING.search(line)) is not None:
            break
    banner = "".join(lines)
    assert serving is not None, banner
    # uvicorn listens just after the banner.
    for _ in range(200):
        try:
            if httpx.get(serving.group(2) + "/health", timeout=0.5).status_code == 200:
                return Started(banner, serving.group(2), serving.group(1))
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(f"no answer on {serving.group(2)}/health:\n{banner}")


def credentials(banner: str) -> tuple[str, str]:
    found = re.search(r"client_id: (\S+)\n\s+secret:\s+(\S+)", banner)
    assert found is not None, banner
    return found.group(1), found.group(2)


def test_a_seeded_server_makes_the_same_sandbox_client(
    home: Home, serve: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    first = start(home, serve, "--seed", "s", "--database-url", f"sqlite:///{tmp_path}/1.db")
    second = start(home, serve, "--seed", "s", "--database-url", f"sqlite:///{tmp_path}/2.db")
    other = start(home, serve, "--seed", "t", "--database-url", f"sqlite:///{tmp_path}/3.db")
    assert first.database == f"sqlite:///{tmp_path}/1.db"
    client_id, secret = credentials(first.banner)
    assert credentials(second.banner) == (client_id, secret)
    other_id, other_secret = credentials(other.banner)
    assert other_id != client_id and other_secret != secret

    linked = httpx.post(first.url + "/sandbox/public_token/create", json={
        "client_id": client_id, "secret": secret, "institution_id": "ins_109508",
        "initial_products": ["auth"],
    }, timeout=10)  # fmt: skip
    assert linked.status_code == 200, linked.text
    assert linked.json()["public_token"].startswith("public-sandbox-")


def test_serve_uses_the_default_database_and_prints_its_absolute_url(
    home: Home, serve: list[subprocess.Popen[str]]
) -> None:
    started = start(home, serve)
    assert started.database == f"sqlite:///{home.default_db}"
    assert stat.S_IMODE(home.default_db.parent.stat().st_mode) == 0o700
    client_id, _ = credentials(started.banner)
    audit = home.run("audit", "--json", cwd=home.folder("elsewhere"))
    assert audit.returncode == 0, audit.stderr
    assert client_id in audit.stdout


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _subcommands(child)


def test_every_option_of_every_command_says_what_it_does() -> None:
    missing = [
        f"{command.prog} {action.option_strings[0]}"
        for command in _subcommands(cli._parser())
        for action in command._actions
        if action.option_strings and not action.help
    ]
    assert missing == []


def test_serve_help_lists_every_variable_the_settings_read() -> None:
    read = set(re.findall(r'"(TOKENBRIDGE_[A-Z_]+)"', Path(settings.__file__).read_text()))
    assert len(read) >= 7, read
    shown = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "serve", "--help"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    assert {name for name in read if name not in shown} == set()


def test_listing_commands_show_what_exists_by_id_and_never_a_token(home: Home) -> None:
    db = f"sqlite:///{home.root / 'tb.db'}"
    port = free_port()
    env = home.env(TOKENBRIDGE_DATABASE_URL=db, TOKENBRIDGE_CLIENT_ID="cli-sandbox",
                   TOKENBRIDGE_SECRET="cli-sandbox-secret-0123456789")  # fmt: skip
    partner = home.run("partners", "create", "--processor", "dwolla", "--json",
                       cwd=home.root, TOKENBRIDGE_DATABASE_URL=db)  # fmt: skip
    made = json.loads(partner.stdout)
    server = subprocess.Popen(
        [sys.executable, "-m", "tokenbridge", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/health", timeout=0.5).status_code == 200:
                    break
            time.sleep(0.05)
        developer = {"PLAID-CLIENT-ID": "cli-sandbox", "PLAID-SECRET": env["TOKENBRIDGE_SECRET"]}
        public = httpx.post(
            base + "/sandbox/public_token/create",
            headers=developer,
            json={"institution_id": "ins_109508", "initial_products": ["auth"]},
        ).json()["public_token"]
        access = httpx.post(base + "/item/public_token/exchange", headers=developer,
                            json={"public_token": public}).json()  # fmt: skip
        account = httpx.post(
            base + "/accounts/get", headers=developer, json={"access_token": access["access_token"]}
        ).json()["accounts"][0]["account_id"]
        token = httpx.post(base + "/processor/token/create", headers=developer, json={
            "access_token": access["access_token"], "account_id": account,
            "processor": "dwolla"}).json()["processor_token"]  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)

    def listed(*args: str) -> list[dict[str, Any]]:
        done = home.run(*args, "--json", cwd=home.root, TOKENBRIDGE_DATABASE_URL=db)
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    assert [c["client_id"] for c in listed("clients", "list")] == ["cli-sandbox"]
    assert [(p["client_id"], p["processor"]) for p in listed("partners", "list")] == [
        (made["client_id"], "dwolla")]  # fmt: skip
    items = listed("items", "list")
    assert [(i["item_id"], i["client_id"], i["removed"]) for i in items] == [
        (access["item_id"], "cli-sandbox", None)]  # fmt: skip
    assert listed("items", "list", "--client-id", made["client_id"]) == []
    tokens = listed("tokens", "list", "--item", access["item_id"])
    assert [(t["account_id"], t["processor"], t["permissions"]) for t in tokens] == [
        (account, "dwolla", "all")]  # fmt: skip
    assert len(tokens[0]["token_id"]) == 12
    # The text forms: a header, one row each, cut to the terminal's width; no token anywhere.
    for args in (("clients", "list"), ("partners", "list"), ("items", "list"),
                 ("tokens", "list", "--item", access["item_id"]), ("audit",)):  # fmt: skip
        done = home.run(*args, cwd=home.root, TOKENBRIDGE_DATABASE_URL=db, COLUMNS="80")
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) >= 2 and all(len(line) <= 80 for line in lines), lines
        assert token not in done.stdout and access["access_token"] not in done.stdout
    # Reading never makes a database.
    missing = home.run("items", "list", cwd=home.root,
                       TOKENBRIDGE_DATABASE_URL=f"sqlite:///{home.root / 'none.db'}")  # fmt: skip
    assert missing.returncode == 1 and "no database at" in missing.stderr
    assert not (home.root / "none.db").exists()


def test_webhook_keys_rotate_and_list_show_public_data_only(home: Home) -> None:
    db = f"sqlite:///{home.root / 'keys.db'}"
    # Listing only reads: no database is made for it.
    missing = home.run("webhook-keys", "list", "--database-url", db, cwd=home.root)
    assert missing.returncode == 1 and "no database at" in missing.stderr
    first = home.run("webhook-keys", "rotate", "--json", "--database-url", db, cwd=home.root)
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["current"] is True and made["expired_at"] is None and made["previous"] is None
    before = time.time()
    second = home.run("webhook-keys", "rotate", "--grace-seconds", "60", "--json",
                      "--database-url", db, cwd=home.root)  # fmt: skip
    assert second.returncode == 0, second.stderr
    rotated = json.loads(second.stdout)
    previous = rotated["previous"]
    assert previous["kid"] == made["kid"] and previous["current"] is False
    expires = datetime.fromisoformat(previous["expired_at"]).timestamp()
    assert before + 59 <= expires <= time.time() + 61
    listed = home.run("webhook-keys", "list", "--json", "--database-url", db, cwd=home.root)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["kid"], r["current"]) for r in rows] == [(made["kid"], False),
                                                       (rotated["kid"], True)]  # fmt: skip
    assert all(set(r) == {"kid", "created_at", "expired_at", "current"} for r in rows)
    table = home.run("webhook-keys", "list", "--database-url", db, cwd=home.root).stdout
    assert table.splitlines()[0].split() == ["kid", "created_at", "expired_at", "current"]
    assert "PRIVATE" not in table + listed.stdout + first.stdout + second.stdout
    refused = home.run("webhook-keys", "rotate", "--grace-seconds", "-1", "--database-url", db,
                       cwd=home.root)  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr == "tokenbridge: --grace-seconds must not be negative, not -1\n"


def _webhooks(home: Home, db: str, *args: str) -> list[dict[str, Any]]:
    done = home.run("webhooks", "list", "--json", *args, "--database-url", db, cwd=home.root)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _until(check: Any, seconds: float = 20.0) -> None:
    """Wait until `check()` is true, for at most `seconds` (the caller asserts)."""
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_webhooks_list_shows_attempts_without_passwords_and_redeliver_sends_again(
    home: Home,
) -> None:
    db = f"sqlite:///{home.root / 'hooks.db'}"
    receiver = WebhookReceiver()
    # Both URLs carry a user and password (sent as Basic auth); the second has no one
    # listening, so its webhook stays pending with a connection error.
    good = receiver.url.replace("http://", "http://hook-user:hook-pass-1@")
    dead = f"http://dead-user:dead-pass-2@127.0.0.1:{free_port()}/hook"
    server = LiveServer(db, log_path=home.root / "serve.log").start()
    try:
        headers = {"PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret}

        def ok(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = httpx.post(server.url + path, headers=headers, json=body, timeout=10)
            assert response.status_code == 200, response.text
            data: dict[str, Any] = response.json()
            return data

        item_ids = []
        for url in (good, dead):
            public = ok("/sandbox/public_token/create",
                        {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
            access = ok("/item/public_token/exchange", {"public_token": public["public_token"]})
            ok("/item/webhook/update", {"access_token": access["access_token"], "webhook": url})
            item_ids.append(access["item_id"])
        _until(lambda: all(w["attempts"] for w in _webhooks(home, db)))
        delivered, pending = (_webhooks(home, db, "--item", item_id) for item_id in item_ids)
        assert receiver.deliveries[0].headers["authorization"].startswith("Basic ")

        # The shape of a record, newest first; URLs and errors without the password.
        assert [w["webhook_id"] for w in _webhooks(home, db)] == [
            pending[0]["webhook_id"], delivered[0]["webhook_id"]]  # fmt: skip
        (sent,) = delivered
        assert set(sent) == {"webhook_id", "webhook_type", "webhook_code", "item_id",
                             "account_id", "url", "status", "created_at", "next_attempt_at",
                             "attempts", "body"}  # fmt: skip
        assert (sent["status"], sent["webhook_code"], sent["next_attempt_at"]) == (
            "delivered", "WEBHOOK_UPDATE_ACKNOWLEDGED", None)  # fmt: skip
        assert sent["url"] == good.replace("hook-user:hook-pass-1@", "***@")
        # The body as posted, except the URL it quotes (the receiver gets it whole).
        assert receiver.received[0]["new_webhook_url"] == good
        assert sent["body"] == {**receiver.received[0], "new_webhook_url": sent["url"]}
        (attempt,) = sent["attempts"]
        assert set(attempt) == {"attempt", "at", "status_code", "error", "latency_ms"}
        assert (attempt["attempt"], attempt["status_code"], attempt["error"]) == (1, 200, None)
        (waiting,) = pending
        assert waiting["status"] == "pending" and waiting["next_attempt_at"] is not None
        assert waiting["url"] == dead.replace("dead-user:dead-pass-2@", "***@")
        assert [(a["status_code"], bool(a["error"])) for a in waiting["attempts"]] == [
            (None, True)]  # fmt: skip
        assert [w["item_id"] for w in _webhooks(home, db, "--status", "pending")] == [
            item_ids[1]]  # fmt: skip
        assert _webhooks(home, db, "--item", item_ids[0], "--status", "failed") == []
        table = home.run("webhooks", "list", "--database-url", db, cwd=home.root, COLUMNS="500")
        assert table.returncode == 0, table.stderr
        assert table.stdout.splitlines()[0].split() == [
            "webhook_id", "webhook_code", "item_id", "status", "tries", "last", "created_at",
            "url"]  # fmt: skip
        everything = table.stdout + json.dumps(_webhooks(home, db))
        for secret in ("hook-user", "hook-pass-1", "dead-user", "dead-pass-2"):
            assert secret not in everything

        # A redelivery is a new attempt, made by the running server.
        again = home.run("webhooks", "redeliver", sent["webhook_id"], "--database-url", db,
                         cwd=home.root)  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert again.stdout == (
            f"webhook {sent['webhook_id']} will be sent again by the running servers\n"
        )
        receiver.wait(2)
        _until(lambda: len(_webhooks(home, db, "--item", item_ids[0])[0]["attempts"]) == 2)
        (resent,) = _webhooks(home, db, "--item", item_ids[0])
    finally:
        server.stop()
        receiver.close()
    assert len(receiver.deliveries) == 2
    assert receiver.deliveries[1].body == receiver.deliveries[0].body
    assert resent["status"] == "delivered"
    assert [(a["attempt"], a["status_code"]) for a in resent["attempts"]] == [(1, 200), (2, 200)]
    audit = home.run("audit", "--json", "--database-url", db, cwd=home.root)
    assert '"webhook.redeliver"' in audit.stdout

    # Refusals: one line, a nonzero exit, no traceback.
    unknown = home.run("webhooks", "redeliver", "no-such-webhook", "--database-url", db,
                       cwd=home.root)  # fmt: skip
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == "tokenbridge: no webhook 'no-such-webhook'\n"
    bad = home.run("webhooks", "list", "--status", "lost", "--database-url", db, cwd=home.root)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "argument --status: invalid choice: 'lost'" in bad.stderr
    assert "pending" in bad.stderr and "Traceback" not in bad.stderr
    limit = home.run("webhooks", "list", "--limit", "0", "--database-url", db, cwd=home.root)
    assert (limit.returncode, limit.stderr) == (
        2, "tokenbridge: --limit must be between 1 and 10000, not 0\n")  # fmt: skip
