"""Debian's Chromium for the browser tests, installed by the tests when it is missing (as
tests/nodejs.py installs the npm packages): `apt-get install chromium` as root. Playwright
drives it through `executable_path`; its own browser downloads are never used.

Without it (not root, no apt-get) a test skips, except in CI, where it fails: a skipped
browser suite must not pass for a green run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def installed_chromium() -> str:
    """The system Chromium's path, installing the Debian package first if it is missing."""
    if not CHROMIUM.exists():
        apt = shutil.which("apt-get")
        if apt is None or os.geteuid() != 0:
            message = "Chromium is missing: run `apt-get install chromium` as root"
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(message)
            pytest.skip(message)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-q"], check=True, env=env, timeout=600,
                       capture_output=True)  # fmt: skip
        subprocess.run([apt, "install", "-y", "-q", "--no-install-recommends", "chromium"],
                       check=True, env=env, timeout=900, capture_output=True)  # fmt: skip
    return str(CHROMIUM)
