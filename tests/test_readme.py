"""The README stays true: its commands exist with the flags it uses, as written in a fresh shell.

A reader copies the README's shell lines into a new shell in a fresh clone, so every
`tokenbridge` line goes through `.venv/bin/` (a bare `tokenbridge` is "command not found"
there), names a subcommand the CLI has, and uses only flags that subcommand's help lists.
The `serve` synopsis lists every option of `serve --help`, every `make` target the README
names exists, the SDK versions it states are the ones the tests pin, and the Node example
runs as written against a live server (the plaid-python one: tests/sdk/test_readme.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.helpers import LiveServer
from tests.nodejs import NODE_DIR, PREVIOUS_NODE_DIR, installed_node, pinned_version

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PROGRAM = ".venv/bin/tokenbridge"
# A long option as help and the README write it (`--database-url`, not `--` alone).
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def readme() -> str:
    return README.read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", readme(), flags=re.DOTALL)


def shell_lines() -> list[str]:
    """Each command of the README's ```sh blocks: continuations joined, comments dropped."""
    lines = []
    for block in blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line:
                lines.append(line)
    return lines


def tokenbridge_lines() -> list[str]:
    return [line for line in shell_lines() if line.split()[0].endswith("tokenbridge")]


def subcommand(line: str) -> list[str]:
    """The words naming the subcommand: those before the first option or placeholder."""
    words = []
    for word in line.split()[1:]:
        if word.startswith(("-", "[")):
            break
        words.append(word)
    return words


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("readme-home")
    return {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}


@cache
def _help(words: tuple[str, ...], home: str, data: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": home, "XDG_DATA_HOME": data}
    return subprocess.run(
        [sys.executable, "-m", "tokenbridge", *words, "--help"],
        cwd=home, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def help_text(words: list[str], env: dict[str, str]) -> str:
    result = _help(tuple(words), env["HOME"], env["XDG_DATA_HOME"])
    assert result.returncode == 0, f"`tokenbridge {' '.join(words)} --help`: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


def test_the_readme_names_tokenbridge_commands() -> None:
    # Guards the tests below from passing on a README whose blocks they no longer find.
    named = {" ".join(subcommand(line)) for line in tokenbridge_lines()}
    assert {"serve", "clients create", "partners create", "audit", "db upgrade"} <= named


def test_every_tokenbridge_command_is_written_as_typed_in_a_fresh_shell() -> None:
    bare = [line for line in tokenbridge_lines() if line.split()[0] != PROGRAM]
    assert bare == [], f"write {PROGRAM} (a fresh shell has no tokenbridge on PATH): {bare}"


def test_the_readme_says_how_tokenbridge_is_reached() -> None:
    assert "source .venv/bin/activate" in readme()


@pytest.mark.parametrize("line", tokenbridge_lines())
def test_every_readme_command_exists_with_its_flags(line: str, cli_env: dict[str, str]) -> None:
    words = subcommand(line)
    assert words, f"no subcommand in {line!r}"
    known = set(FLAG.findall(help_text(words, cli_env)))
    unknown = [flag for flag in FLAG.findall(line) if flag not in known]
    assert unknown == [], f"`tokenbridge {' '.join(words)}` has no {unknown}: {line!r}"


def test_the_serve_synopsis_lists_every_serve_option(cli_env: dict[str, str]) -> None:
    synopses = [line for line in tokenbridge_lines() if subcommand(line) == ["serve"]]
    assert len(synopses) == 1, synopses
    options = set(FLAG.findall(help_text(["serve"], cli_env))) - {"--help"}
    missing = sorted(option for option in options if option not in FLAG.findall(synopses[0]))
    assert missing == [], f"the README's serve synopsis leaves out {missing}"


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z-]+):.*## ", makefile, flags=re.MULTILINE))


def test_every_make_command_in_the_readme_is_a_target() -> None:
    named = {line.split()[1] for line in shell_lines() if line.split()[0] == "make"}
    assert {"serve", "test"} <= named
    assert named <= make_targets(), named - make_targets()
    for target in re.findall(r"`make ([a-z-]+)`", readme()):
        assert target in make_targets(), f"the README names `make {target}`, which is no target"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_prints_the_real_port() -> None:
    for args, port in (((), "8787"), (("PORT=9000",), "9000")):
        result = subprocess.run(
            ["make", "--no-print-directory", "-s", "help", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "$(" not in result.stdout, result.stdout
        assert f"http://127.0.0.1:{port} " in result.stdout, result.stdout
        assert make_targets() == {line.split()[0] for line in result.stdout.splitlines()}


def pinned_versions() -> tuple[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [p for p in project["optional-dependencies"]["test"] if p.startswith("plaid-python==")]
    assert len(pins) == 1, pins
    package = json.loads((NODE_DIR / "package.json").read_text())
    return pins[0].removeprefix("plaid-python=="), package["dependencies"]["plaid"]


def previous_versions() -> tuple[str, str]:
    """The previous series that tests/sdk/test_previous_sdks.py runs: plaid-python, npm `plaid`."""
    lock = (ROOT / "requirements" / "sdk-previous.lock").read_text()
    python_sdk = re.findall(r"^plaid-python==(\S+)", lock, re.M)
    assert len(python_sdk) == 1, python_sdk
    return python_sdk[0], pinned_version(PREVIOUS_NODE_DIR)


def test_the_readme_states_the_sdk_versions_tested() -> None:
    python_sdk, node_sdk = pinned_versions()
    previous_python, previous_node = previous_versions()
    text = " ".join(readme().split())  # a sentence may wrap anywhere
    assert f"Tested with plaid-python {python_sdk} and npm `plaid` {node_sdk}" in text
    assert f"npm install plaid@{node_sdk}" in text
    assert f"pip install plaid-python=={python_sdk}" in text
    assert (f"also runs with the previous series, plaid-python {previous_python} and npm "
            f"`plaid` {previous_node}") in text  # fmt: skip
    stated = set(re.findall(r"plaid(?:-python ?|@|` )=*(\d+\.\d+\.\d+)", text))
    assert stated == {python_sdk, node_sdk, previous_python, previous_node}, (
        f"other versions stated: {stated}"
    )


@pytest.fixture(scope="module")
def node() -> str:
    return installed_node("the README's Node example")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(f"sqlite:///{tmp_path_factory.mktemp('readme-node') / 'tb.db'}").start()
    yield live
    live.stop()


def test_the_node_example_runs_as_written(node: str, server: LiveServer) -> None:
    examples = [b for b in blocks("js") if "new Configuration(" in b]
    assert len(examples) == 1, "the README shows one npm `plaid` example"
    code = (
        examples[0]
        .replace("http://127.0.0.1:8787", server.url)
        .replace("YOUR_CLIENT_ID", server.client_id)
        .replace("YOUR_SECRET", server.secret)
    )
    # Evaluated as a module in tests/node, so `plaid` resolves to the pinned package there.
    result = subprocess.run(
        [node, "--input-type=module", "--eval", code],
        cwd=NODE_DIR, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"processor-sandbox-[0-9a-f-]{36}\n", result.stdout), result.stdout
