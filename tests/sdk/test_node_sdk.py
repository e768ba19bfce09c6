"""The official Plaid Node SDK (npm `plaid`) against a live server: tests/node/flow.test.mjs,
sandbox.test.mjs, sandbox_users.test.mjs and webhook_verification.test.mjs (tests/nodejs.py
installs the packages and runs them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveServer, WebhookReceiver
from tests.nodejs import installed_node, run_node_tests
from tests.sdk.conftest import create_partner
from tokenbridge.http.routes import OPERATIONS

ROUTES = {op.path: op for op in OPERATIONS}


@pytest.fixture(scope="module")
def node() -> str:
    return installed_node("the Node SDK tests")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root: Path = tmp_path_factory.mktemp("node-sdk")
    live = LiveServer(f"sqlite:///{root / 'tb.db'}").start()
    yield live
    live.stop()


def _partner(database_url: str) -> dict[str, str]:
    client_id, secret = create_partner(database_url, "dwolla")
    return {"client_id": client_id, "secret": secret}


def test_node_sdk_flow(node: str, server: LiveServer) -> None:
    env: dict[str, str] = {}
    partner_side = "/processor/auth/get" in ROUTES
    if partner_side:
        partner = _partner(server.database_url)
        env["TOKENBRIDGE_PARTNER_CLIENT_ID"] = partner["client_id"]
        env["TOKENBRIDGE_PARTNER_SECRET"] = partner["secret"]
    run = run_node_tests(node, "flow.test.mjs", server, **env)
    assert run.counts["fail"] == 0, run.report
    assert run.counts["pass"] == (4 if partner_side else 3), run.report


def test_node_sdk_sandbox_surface(node: str, server: LiveServer, receiver: WebhookReceiver) -> None:
    run = run_node_tests(node, "sandbox.test.mjs", server, TOKENBRIDGE_WEBHOOK_URL=receiver.url)
    assert run.counts["fail"] == 0 and run.counts["pass"] == 3, run.report
    # What the Node client's calls made the server send.
    receiver.wait(2)
    # In either order: each webhook is its own background delivery, and the first one
    # signed over a fresh database makes the signing key first (Plaid promises no order).
    codes = sorted(w["webhook_code"] for w in receiver.received)
    assert codes == ["SYNC_UPDATES_AVAILABLE", "WEBHOOK_UPDATE_ACKNOWLEDGED"], codes


def test_node_sdk_sandbox_users(node: str, server: LiveServer) -> None:
    partner = _partner(server.database_url)
    run = run_node_tests(
        node, "sandbox_users.test.mjs", server,
        TOKENBRIDGE_PARTNER_CLIENT_ID=partner["client_id"],
        TOKENBRIDGE_PARTNER_SECRET=partner["secret"],
    )  # fmt: skip
    assert run.counts["fail"] == 0 and run.counts["pass"] == 3, run.report


def test_node_verifies_webhooks_with_jose(node: str, server: LiveServer) -> None:
    # The test file runs its own receiver and checks every webhook it gets.
    run = run_node_tests(node, "webhook_verification.test.mjs", server)
    assert run.counts["fail"] == 0 and run.counts["pass"] == 3, run.report
