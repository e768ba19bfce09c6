"""The official Plaid Node SDK (npm `plaid`) against a live server: tests/node/flow.test.mjs.

The npm package is installed from the committed lock file with `npm ci` the first time
(tests/node/node_modules is not committed), so `make test` alone suffices on a fresh
machine that has Node.js 20 and npm. Without them the test skips, except in CI, where it
fails: a skipped second SDK must not pass for a green run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveServer, WebhookReceiver
from tokenbridge.http.routes import OPERATIONS

ROUTES = {op.path: op for op in OPERATIONS}

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
PINNED = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["plaid"]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (the Node SDK tests need Node.js 20 and npm)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "plaid" / "package.json"
    if not manifest.exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


@pytest.fixture(scope="module")
def node() -> str:
    node = _tool("node")
    npm = _tool("npm")
    major = int(subprocess.run([node, "--version"], capture_output=True, text=True,
                               check=True).stdout.strip().lstrip("v").split(".")[0])  # fmt: skip
    assert major >= 20, f"Node.js {major} is too old; the tests use node:test of Node.js 20"
    if _installed_version() != PINNED:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NODE_DIR, check=True, timeout=600)  # fmt: skip
    assert _installed_version() == PINNED
    return node


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root: Path = tmp_path_factory.mktemp("node-sdk")
    live = LiveServer(f"sqlite:///{root / 'tb.db'}").start()
    yield live
    live.stop()


def _partner(database_url: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "partners", "create", "--processor", "dwolla",
         "--json", "--database-url", database_url],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    record: dict[str, str] = json.loads(out)
    return record


def test_node_sdk_flow(node: str, server: LiveServer) -> None:
    env = {
        **os.environ,
        "TOKENBRIDGE_URL": server.url,
        "TOKENBRIDGE_CLIENT_ID": server.client_id,
        "TOKENBRIDGE_SECRET": server.secret,
    }
    partner_side = "/processor/auth/get" in ROUTES
    if partner_side:
        partner = _partner(server.database_url)
        env["TOKENBRIDGE_PARTNER_CLIENT_ID"] = partner["client_id"]
        env["TOKENBRIDGE_PARTNER_SECRET"] = partner["secret"]
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", "flow.test.mjs"],
        cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    counts = {k: int(v) for k, v in re.findall(r"^# (pass|fail|skipped) (\d+)$", report, re.M)}
    assert counts["fail"] == 0, report
    assert counts["pass"] == (4 if partner_side else 3), report


def test_node_sdk_sandbox_surface(node: str, server: LiveServer, receiver: WebhookReceiver) -> None:
    env = {
        **os.environ,
        "TOKENBRIDGE_URL": server.url,
        "TOKENBRIDGE_CLIENT_ID": server.client_id,
        "TOKENBRIDGE_SECRET": server.secret,
        "TOKENBRIDGE_WEBHOOK_URL": receiver.url,
    }
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", "sandbox.test.mjs"],
        cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    counts = {k: int(v) for k, v in re.findall(r"^# (pass|fail|skipped) (\d+)$", report, re.M)}
    assert counts["fail"] == 0 and counts["pass"] == 3, report
    # What the Node client's calls made the server send.
    receiver.wait(2)
    codes = [w["webhook_code"] for w in receiver.received]
    assert codes == ["WEBHOOK_UPDATE_ACKNOWLEDGED", "SYNC_UPDATES_AVAILABLE"], codes


def test_node_sdk_sandbox_users(node: str, server: LiveServer) -> None:
    partner = _partner(server.database_url)
    env = {
        **os.environ,
        "TOKENBRIDGE_URL": server.url,
        "TOKENBRIDGE_CLIENT_ID": server.client_id,
        "TOKENBRIDGE_SECRET": server.secret,
        "TOKENBRIDGE_PARTNER_CLIENT_ID": partner["client_id"],
        "TOKENBRIDGE_PARTNER_SECRET": partner["secret"],
    }
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", "sandbox_users.test.mjs"],
        cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    counts = {k: int(v) for k, v in re.findall(r"^# (pass|fail|skipped) (\d+)$", report, re.M)}
    assert counts["fail"] == 0 and counts["pass"] == 3, report
