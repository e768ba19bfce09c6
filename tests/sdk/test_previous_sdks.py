"""The core flow through the previous series of both official SDKs, against a live server:
plaid-python from requirements/sdk-previous.lock, in a venv of its own (it has the import
name of the test venv's plaid-python), and npm `plaid` from tests/node-previous.

Each is installed by the first run and kept: the venv in .venv-sdk-previous beside .venv,
remade when a lock changes; the npm package by tests/nodejs.py, as for the newest one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import LiveServer
from tests.nodejs import PREVIOUS_NODE_DIR, installed_node, pinned_version, run_node_tests
from tests.sdk.conftest import create_partner

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "sdk-previous.lock"
# setuptools, to build plaid-python 39 (an sdist only) without fetching an unpinned backend.
BUILD_LOCK = ROOT / "requirements" / "sdk-previous-build.lock"
VENV = ROOT / ".venv-sdk-previous"
FLOW = Path(__file__).resolve().parent / "previous" / "plaid_python_flow.py"
PINNED = re.findall(r"^plaid-python==(\S+)", LOCK.read_text(), re.M)[0]


def _previous_python() -> Path:
    """The venv's python, with the locks installed (`--require-hashes`) on first use."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".lock-sha256"
    digest = hashlib.sha256(BUILD_LOCK.read_bytes() + LOCK.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and python.exists():
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(VENV)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    if made.returncode != 0:
        message = f"python -m venv does not work here: {made.stderr.strip()}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--require-hashes"]  # fmt: skip
    subprocess.run([*pip, "-r", str(BUILD_LOCK)], check=True, timeout=600)
    subprocess.run([*pip, "--no-build-isolation", "-r", str(LOCK)], check=True, timeout=600)
    stamp.write_text(digest)
    return python


def _partner_env(server: LiveServer) -> dict[str, str]:
    client_id, secret = create_partner(server.database_url, "dwolla")
    return {"TOKENBRIDGE_PARTNER_CLIENT_ID": client_id, "TOKENBRIDGE_PARTNER_SECRET": secret}


def test_previous_plaid_python_core_flow(server: LiveServer) -> None:
    assert PINNED.startswith("39."), PINNED
    python = _previous_python()
    result = subprocess.run(
        [python, str(FLOW)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "TOKENBRIDGE_URL": server.url,
             "TOKENBRIDGE_CLIENT_ID": server.client_id, "TOKENBRIDGE_SECRET": server.secret,
             **_partner_env(server)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["sdk_version"] == PINNED
    assert summary["auth_account_ids"] == summary["account_ids"]
    assert summary["checking"] in summary["account_ids"]
    assert summary["partner_account_id"] == summary["checking"]
    assert summary["transactions_added"] > 0, summary
    assert summary["permissions"] == ["auth", "identity"]
    reads = summary["developer_reads"]
    assert reads["credit_cards"] == 2 and reads["holdings"] > 0, reads
    assert reads["recurring_outflows"] > 0 and 1 <= reads["signal_score"] <= 99, reads
    assert summary["after_remove"] == {
        "status": 400, "error_type": "INVALID_INPUT", "error_code": "INVALID_PROCESSOR_TOKEN",
    }  # fmt: skip


def test_previous_node_sdk_core_flow(server: LiveServer) -> None:
    pinned = pinned_version(PREVIOUS_NODE_DIR)
    node = installed_node("the previous Node SDK test", PREVIOUS_NODE_DIR)
    run = run_node_tests(
        node, "flow.test.mjs", server, directory=PREVIOUS_NODE_DIR,
        TOKENBRIDGE_SDK_SERIES=pinned.split(".")[0], **_partner_env(server),
    )  # fmt: skip
    assert run.counts["fail"] == 0, run.report
    assert run.counts["pass"] == 2, run.report
