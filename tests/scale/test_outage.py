"""The database goes away under a running server, then comes back.

The server's connections are cut the way an outage cuts them: its role may no longer log
in and its backends are terminated. Requests in flight get Plaid's 500 error with nothing
of the cause in it; once the role may log in again, the same server process answers
again, without a restart. A role and a schema of the test's own keep every other test's
connections out of it.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from tests.conftest import require_postgres, schema_url
from tests.helpers import assert_plaid_error as assert_error
from tests.scale.conftest import ok, post, server

RECOVERY_TIMEOUT = 40.0


def _as_role(base: str, role: str) -> str:
    parts = urlsplit(base)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


def _cut(admin: psycopg.Connection[tuple[object, ...]], role: str) -> None:
    admin.execute(f"ALTER ROLE {role} NOLOGIN")
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role]
    )


@pytest.fixture
def outage_url() -> Iterator[tuple[str, str]]:
    """(database URL as a role of its own, the role), dropped afterwards."""
    base = require_postgres()
    role = f"tb_outage_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"CREATE SCHEMA {role} AUTHORIZATION {role}")
    try:
        yield schema_url(_as_role(base, role), role), role
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            _cut(admin, role)
            admin.execute(f"DROP SCHEMA {role} CASCADE")
            admin.execute(f"DROP ROLE {role}")


def test_requests_fail_cleanly_during_an_outage_and_recover_after(
    outage_url: tuple[str, str], tmp_path: Path
) -> None:
    url, role = outage_url
    live = server(url, tmp_path / "serve.log")
    try:
        with httpx.Client(timeout=30.0) as http:
            token = ok(http, live.url, "/sandbox/processor_token/create",
                       {"institution_id": "ins_109508"})["processor_token"]  # fmt: skip
            read = {"processor_token": token}
            ok(http, live.url, "/processor/token/permissions/get", read)

            with psycopg.connect(require_postgres(), autocommit=True) as admin:
                _cut(admin, role)

                def during(i: int) -> httpx.Response:
                    if i % 2:
                        return post(http, live.url, "/processor/token/permissions/get", read)
                    return post(http, live.url, "/sandbox/processor_token/create",
                                {"institution_id": "ins_109508"})  # fmt: skip

                with ThreadPoolExecutor(max_workers=4) as pool:
                    failed = list(pool.map(during, range(4)))
                for response in failed:
                    assert_error(response, 500, "API_ERROR", "INTERNAL_SERVER_ERROR")
                    body = response.json()
                    assert set(body) >= {"error_type", "error_code", "error_message",
                                         "display_message", "request_id"}  # fmt: skip
                    for leak in ("Traceback", "psycopg", "connection", role):
                        assert leak not in response.text

                admin.execute(f"ALTER ROLE {role} LOGIN")

            # The same process recovers by itself; bounded wait for its pool to reconnect.
            deadline = time.monotonic() + RECOVERY_TIMEOUT
            response = post(http, live.url, "/processor/token/permissions/get", read)
            while response.status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                response = post(http, live.url, "/processor/token/permissions/get", read)
            assert response.status_code == 200, response.text
            created = ok(http, live.url, "/sandbox/processor_token/create",
                         {"institution_id": "ins_109508"})  # fmt: skip
            ok(http, live.url, "/processor/token/permissions/get",
               {"processor_token": created["processor_token"]})  # fmt: skip
        assert live.process is not None
        assert live.process.poll() is None  # never restarted
    finally:
        live.stop()
    log = (tmp_path / "serve.log").read_text()
    assert "database unavailable" in log


def test_dropped_connections_are_replaced_without_a_failed_request(
    outage_url: tuple[str, str], tmp_path: Path
) -> None:
    # A database restart or failover drops every connection but takes new ones at once:
    # the first statement on each dead connection fails, and the store retries it on a
    # fresh one (reads always; writes whose BEGIN failed), so no client sees an error.
    url, role = outage_url
    live = server(url, tmp_path / "serve.log")
    try:
        with httpx.Client(timeout=30.0) as http:
            token = ok(http, live.url, "/sandbox/processor_token/create",
                       {"institution_id": "ins_109508"})["processor_token"]  # fmt: skip
            read = {"processor_token": token}
            for _ in range(3):
                with psycopg.connect(require_postgres(), autocommit=True) as admin:
                    terminated = admin.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE usename = %s",
                        [role],
                    ).fetchone()
                assert terminated is not None
                assert terminated[0] >= 1
                ok(http, live.url, "/processor/token/permissions/get", read)
                ok(http, live.url, "/sandbox/processor_token/create",
                   {"institution_id": "ins_109508"})  # fmt: skip
    finally:
        live.stop()


def test_cli_reports_an_unreachable_database_without_a_traceback(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    unreachable = "postgresql://postgres@127.0.0.1:1/test?connect_timeout=3"
    done = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "db", "upgrade", "--database-url", unreachable],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "tokenbridge: database unavailable: cannot connect to PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr
