"""Node.js for the tests that drive the official npm `plaid`: the pinned package installed
in tests/node (or in tests/node-previous, the previous series, or tests/node-vitest, the
Vitest example), and a run of one of that directory's `node:test` files against a live
server.

The npm package is installed from the committed lock file with `npm ci` the first time
(node_modules is not committed), so `make test` alone suffices on a fresh machine that has
Node.js 20 and npm. Without them a test skips, except in CI, where it fails: a skipped
second SDK must not pass for a green run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import LiveServer

NODE_DIR = Path(__file__).resolve().parent / "node"
# The previous npm `plaid` series, with a package.json and lock file of its own.
PREVIOUS_NODE_DIR = NODE_DIR.with_name("node-previous")
# The Vitest example of docs/TESTING.md, with a package.json and lock file of its own.
VITEST_DIR = NODE_DIR.with_name("node-vitest")


def pinned_version(directory: Path = NODE_DIR) -> str:
    """The npm `plaid` version that `directory`'s package.json pins."""
    version: str = json.loads((directory / "package.json").read_text())["dependencies"]["plaid"]
    return version


PINNED = pinned_version()


def _tool(name: str, needed_by: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed ({needed_by} needs Node.js 20 and npm)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def installed_version(directory: Path = NODE_DIR, package: str = "plaid") -> str | None:
    """The version of npm `package` in `directory`/node_modules, or None if none is there."""
    manifest = directory / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


def _all_installed(directory: Path) -> bool:
    """Whether every dependency `directory`'s package.json pins (devDependencies too) is
    installed at its pin."""
    manifest = json.loads((directory / "package.json").read_text())
    pins: dict[str, str] = {**manifest["dependencies"], **manifest.get("devDependencies", {})}
    return all(installed_version(directory, name) == pin for name, pin in pins.items())


def installed_node(needed_by: str = "this test", directory: Path = NODE_DIR) -> str:
    """node's path, Node.js 20 or newer, with the pinned npm `plaid` (and every other pinned
    package) installed in `directory` (`npm ci` when one is missing or another version)."""
    node = _tool("node", needed_by)
    npm = _tool("npm", needed_by)
    major = int(subprocess.run([node, "--version"], capture_output=True, text=True,
                               check=True).stdout.strip().lstrip("v").split(".")[0])  # fmt: skip
    assert major >= 20, f"Node.js {major} is too old; the tests use node:test of Node.js 20"
    pinned = pinned_version(directory)
    if not _all_installed(directory):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=directory, check=True, timeout=600)  # fmt: skip
    assert installed_version(directory) == pinned and _all_installed(directory)
    return node


@dataclass(frozen=True)
class NodeRun:
    """A run of one `node:test` file: its TAP counts (pass, fail, skipped) and its output."""

    counts: dict[str, int]
    report: str


def run_node_tests(node: str, name: str, server: LiveServer, *, directory: Path = NODE_DIR,
                   **env: str) -> NodeRun:  # fmt: skip
    """Run `directory`/`name` against `server` (TOKENBRIDGE_URL, TOKENBRIDGE_CLIENT_ID and
    TOKENBRIDGE_SECRET in its environment, with `env` added), and assert it exited 0."""
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", name],
        cwd=directory, capture_output=True, text=True, timeout=300,
        env={**os.environ, "TOKENBRIDGE_URL": server.url,
             "TOKENBRIDGE_CLIENT_ID": server.client_id, "TOKENBRIDGE_SECRET": server.secret,
             **env},
    )  # fmt: skip
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    counts = {k: int(v) for k, v in re.findall(r"^# (pass|fail|skipped) (\d+)$", report, re.M)}
    return NodeRun(counts, report)
