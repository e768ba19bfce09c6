"""The storage contract suite runs once per backend.

Each test gets an empty, migrated store: a new SQLite file, or a new PostgreSQL schema.
Tests are coroutines run by anyio's pytest plugin (anyio comes with httpx), on asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import postgres_schema
from tokenbridge.domain.ports import Store
from tokenbridge.storage import open_store

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on each backend in turn."""
    if request.param == "postgres":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """An open, migrated, empty store; closed after the test."""
    opened = await open_store(store_url)
    yield opened
    await opened.close()
