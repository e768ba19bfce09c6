"""A rotated pinned secret reaches every server over one PostgreSQL (issue 11).

Servers A and B start with one TOKENBRIDGE_SECRET; B restarts with another. A has the old
secret cached, and must honour the new one: at once when a request brings it (a failed
comparison reads the row before refusing), and within VERIFIED_TTL for the old one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import postgres_schema
from tests.helpers import CLIENT_ID, LiveServer, assert_plaid_error
from tokenbridge.domain.clients import VERIFIED_TTL

S1, S2, S3 = (f"rotated-secret-{n}-0123456789abcdef" for n in (1, 2, 3))
# Slack for a loaded machine on top of VERIFIED_TTL.
SLACK = 3.0


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def _server(database_url: str, log: Path, secret: str) -> LiveServer:
    return LiveServer(
        database_url, secret=secret, log_path=log, extra_args=("--rate-limits", "off")
    ).start()


def _post(http: httpx.Client, server: LiveServer, secret: str) -> httpx.Response:
    return http.post(
        server.url + "/sandbox/public_token/create",
        json={"institution_id": "ins_109508", "initial_products": ["auth"]},
        headers={"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": secret},
    )


def _accepted(http: httpx.Client, server: LiveServer, secret: str) -> None:
    response = _post(http, server, secret)
    assert response.status_code == 200, response.text


def _refused(http: httpx.Client, server: LiveServer, secret: str) -> None:
    assert_plaid_error(_post(http, server, secret), 400, "INVALID_INPUT", "INVALID_API_KEYS")


def _restart(server: LiveServer, secret: str) -> float:
    """Restart `server` with `secret`; returns when (monotonic) it answered again."""
    server.stop()
    server.secret = secret
    server.start()
    return time.monotonic()


def test_a_rotated_secret_reaches_the_other_server(database_url: str, tmp_path: Path) -> None:
    a = _server(database_url, tmp_path / "a.log", S1)
    b = None
    try:
        b = _server(database_url, tmp_path / "b.log", S1)
        with httpx.Client(timeout=30.0) as http:
            for server in (a, b):
                _accepted(http, server, S1)
                _refused(http, server, S2)
            # A's cache holds S1 now.
            _accepted(http, a, S1)

            # B restarts with S2: A takes S2 at its first request, then refuses S1.
            _restart(b, S2)
            _accepted(http, b, S2)
            _refused(http, b, S1)
            _accepted(http, a, S2)
            _refused(http, a, S1)
            _accepted(http, a, S2)

            # B restarts with S3 while A keeps S2 cached: within VERIFIED_TTL (and some
            # slack) A refuses S2 without being shown S3, then takes S3 at once.
            _accepted(http, a, S2)
            up = _restart(b, S3)
            while True:
                response = _post(http, a, S2)
                if response.status_code != 200:
                    break
                assert time.monotonic() - up < VERIFIED_TTL + SLACK, "A still takes S2"
                time.sleep(0.1)
            assert_plaid_error(response, 400, "INVALID_INPUT", "INVALID_API_KEYS")
            _accepted(http, a, S3)
            _refused(http, a, S2)
            _refused(http, a, S1)
    finally:
        a.stop()
        if b is not None:
            b.stop()
    # No secret, in clear, reached either server's output.
    for log in (tmp_path / "a.log", tmp_path / "b.log"):
        text = log.read_text(errors="replace")
        for secret in (S1, S2, S3):
            assert secret not in text
