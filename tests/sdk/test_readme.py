"""The README's plaid-python example, run as written against a live server.

Only the host and the credentials placeholders are replaced, as a reader would do.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import LiveServer

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def run_as_a_reader(code: str, server: LiveServer) -> subprocess.CompletedProcess[str]:
    """Run README Python as a reader does: with the host and the credentials replaced."""
    code = (
        code.replace("http://127.0.0.1:8787", server.url)
        .replace("YOUR_CLIENT_ID", server.client_id)
        .replace("YOUR_SECRET", server.secret)
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_readme_example_runs(server: LiveServer) -> None:
    blocks = [b for b in python_blocks() if "plaid.Configuration(" in b]
    assert blocks, "the README shows a plaid-python example"
    result = run_as_a_reader(blocks[0], server)
    assert result.returncode == 0, result.stderr
    assert re.search(r"processor-sandbox-[0-9a-f-]{36}", result.stdout), result.stdout


def test_readme_make_it_fail_runs(server: LiveServer) -> None:
    blocks = python_blocks()
    first = next(b for b in blocks if "plaid.Configuration(" in b)
    failing = next(b for b in blocks if "sandbox_item_reset_login" in b)
    result = run_as_a_reader(first + failing, server)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == ["ITEM_LOCKED", "ITEM_LOGIN_REQUIRED"], result.stdout
