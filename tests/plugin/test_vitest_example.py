"""The Vitest example of docs/TESTING.md (tests/node-vitest), run as its users run it: its
global setup starts `tokenbridge serve` (this environment's), every test gets a client of its
own through the control API, and the webhooks arrive in an inbox, verified. Then the same
suite against a server already running, whose URL and admin key it is given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import LiveServer
from tests.nodejs import VITEST_DIR, installed_node

# The tests of each file, in their order.
EXAMPLE_TESTS = {
    "example.test.mjs": [
        "an app hands an account to Dwolla",
        "another test's tokens are unknown to this test's client and partner",
    ],
    "clock.test.mjs": [
        "an Item needs a new login after 30 days",
        "each test's clock starts at real time",
    ],
}
COUNT = sum(len(titles) for titles in EXAMPLE_TESTS.values())
ADMIN_KEY = "vitest-example-admin-key-0123456789"


@pytest.fixture(scope="module")
def node() -> str:
    return installed_node("the Vitest example", VITEST_DIR)


def vitest(node: str, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`vitest run` in tests/node-vitest with `env` added, its JSON report in
    `folder`/report.json and its TMPDIR `folder`/tmp."""
    (folder / "tmp").mkdir(parents=True)
    outside = ("TOKENBRIDGE_URL", "TOKENBRIDGE_ADMIN_KEY")
    base = {k: v for k, v in os.environ.items() if k not in outside}
    # What `npx vitest run` runs, with the node that installed_node checked.
    return subprocess.run(
        [node, "node_modules/vitest/vitest.mjs", "run", "--reporter=json",
         f"--outputFile={folder / 'report.json'}"],
        cwd=VITEST_DIR, capture_output=True, text=True, timeout=180,
        env={**base, "TMPDIR": str(folder / "tmp"), "NO_COLOR": "1", **env},
    )  # fmt: skip


def run_vitest(node: str, folder: Path, **env: str) -> dict[str, Any]:
    """The JSON report of a `vitest` run that exited 0."""
    result = vitest(node, folder, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads((folder / "report.json").read_text())
    return report


def passed(report: dict[str, Any]) -> dict[str, list[str]]:
    """The titles of the tests that passed, by file, in their order."""
    return {
        Path(file["name"]).name: [
            test["title"] for test in file["assertionResults"] if test["status"] == "passed"
        ]
        for file in report["testResults"]
    }


def test_the_vitest_example_starts_its_server_and_passes(node: str, tmp_path: Path) -> None:
    tokenbridge = Path(sys.executable).parent / "tokenbridge"
    report = run_vitest(node, tmp_path, TOKENBRIDGE_COMMAND=str(tokenbridge))
    assert report["success"] is True
    assert (report["numPassedTests"], report["numFailedTests"]) == (COUNT, 0)
    assert passed(report) == EXAMPLE_TESTS
    # The global setup's teardown stopped the server and removed its database's folder.
    assert list((tmp_path / "tmp").glob("tokenbridge-*")) == []


@pytest.fixture
def running(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(database_url, env={"TOKENBRIDGE_ADMIN_KEY": ADMIN_KEY})
    server.start()
    yield server
    server.stop()


def test_the_vitest_example_uses_a_running_server(
    node: str, tmp_path: Path, running: LiveServer
) -> None:
    # No command to start one with: the suite must use the server it is given.
    given = {"TOKENBRIDGE_URL": running.url, "TOKENBRIDGE_COMMAND": str(tmp_path / "none")}
    report = run_vitest(node, tmp_path / "keyed", TOKENBRIDGE_ADMIN_KEY=ADMIN_KEY, **given)
    assert (report["numPassedTests"], report["numFailedTests"]) == (COUNT, 0)
    assert passed(report) == EXAMPLE_TESTS
    # With another key, the control API refuses to make the tests' clients, and they fail.
    refused = vitest(node, tmp_path / "unkeyed", TOKENBRIDGE_ADMIN_KEY="not-the-admin-key", **given)
    assert refused.returncode == 1
    report = json.loads((tmp_path / "unkeyed" / "report.json").read_text())
    assert (report["numPassedTests"], report["numFailedTests"]) == (0, COUNT)
    messages = [m for file in report["testResults"] for t in file["assertionResults"]
                for m in t["failureMessages"]]  # fmt: skip
    assert len(messages) == COUNT and all("401 INVALID_ADMIN_KEY" in m for m in messages), messages
