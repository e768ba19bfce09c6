"""Fixtures shared by every suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveServer


def postgres_url() -> str | None:
    """The PostgreSQL to test against, or None (then the PostgreSQL tests skip, except in CI)."""
    return os.environ.get("TOKENBRIDGE_TEST_POSTGRES_URL") or None


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh `tokenbridge serve` on a new SQLite file, stopped after the test."""
    server = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}", log_path=tmp_path / "serve.log")
    server.start()
    yield server
    server.stop()
