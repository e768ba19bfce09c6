"""Fixtures shared by every suite."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.helpers import LiveServer, WebhookReceiver


def postgres_url() -> str | None:
    """The PostgreSQL to test against, or None (then the PostgreSQL tests skip, except in CI)."""
    return os.environ.get("TOKENBRIDGE_TEST_POSTGRES_URL") or None


_postgres_problem: list[str | None] = []


def require_postgres() -> str:
    """The PostgreSQL URL, once it is known to answer.

    Without one the test skips with the reason, except in CI (CI=true), where a PostgreSQL
    test that cannot run is a failure: a silent skip would hide a broken backend.
    """
    url = postgres_url()
    if not _postgres_problem:
        problem = None
        if url is None:
            problem = "TOKENBRIDGE_TEST_POSTGRES_URL is not set"
        else:
            try:
                psycopg.connect(url, connect_timeout=3).close()
            except psycopg.Error as exc:
                problem = f"PostgreSQL at {url} cannot be reached: {exc}"
        _postgres_problem.append(problem)
    problem = _postgres_problem[0]
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(problem + " (set it to e.g. postgresql://postgres@127.0.0.1:5432/test)")
    assert url is not None
    return url


def schema_url(base_url: str, schema: str) -> str:
    """`base_url` with every connection's search_path set to `schema` (libpq `options`)."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL over a new, empty schema of the test PostgreSQL, dropped afterwards.

    Each test (or module) gets its own schema, so tests share one database and one
    server without seeing each other's rows.
    """
    base = require_postgres()
    schema = f"tb_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def chosen_backend() -> str:
    """The backend the API and SDK suites run on: TOKENBRIDGE_TEST_BACKEND, sqlite by default."""
    backend = os.environ.get("TOKENBRIDGE_TEST_BACKEND") or "sqlite"
    if backend not in ("sqlite", "postgres"):
        raise ValueError(f"TOKENBRIDGE_TEST_BACKEND must be sqlite or postgres, not {backend!r}")
    return backend


def chosen_target() -> str:
    """Where the API suite sends its requests: TOKENBRIDGE_TEST_TARGET, `inprocess` (the ASGI
    app called directly, the default) or `live` (a real `tokenbridge serve` per test)."""
    target = os.environ.get("TOKENBRIDGE_TEST_TARGET") or "inprocess"
    if target not in ("inprocess", "live"):
        raise ValueError(f"TOKENBRIDGE_TEST_TARGET must be inprocess or live, not {target!r}")
    return target


@contextmanager
def chosen_database(directory: Path) -> Iterator[str]:
    """A fresh database URL on the chosen backend: a SQLite file in `directory`, or a new
    PostgreSQL schema (dropped afterwards). For fixtures of any scope, e.g. a module's server:
    `with chosen_database(tmp_path_factory.mktemp("sdk")) as url: LiveServer(url)`.
    """
    if chosen_backend() == "postgres":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{directory / 'tb.db'}"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on the backend chosen by TOKENBRIDGE_TEST_BACKEND."""
    with chosen_database(tmp_path) as url:
        yield url


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema, whatever TOKENBRIDGE_TEST_BACKEND says."""
    with postgres_schema() as url:
        yield url


@pytest.fixture
def live_server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    """A fresh `tokenbridge serve` on a new database (TOKENBRIDGE_TEST_BACKEND), stopped after."""
    server = LiveServer(database_url, log_path=tmp_path / "serve.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook endpoint on a loopback port."""
    r = WebhookReceiver()
    yield r
    r.close()
