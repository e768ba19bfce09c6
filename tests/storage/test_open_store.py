"""open_store's refusals: a clear message, and never the password of the URL."""

from __future__ import annotations

import re
import subprocess
import sys
import traceback

import pytest

from tokenbridge.domain.ports import StoreUnavailable
from tokenbridge.storage import open_store

pytestmark = pytest.mark.anyio

PASSWORD = "Hunter2-s3cret"


def shown(exc: BaseException) -> str:
    """Everything a log line or a traceback would print about `exc`."""
    return "".join(traceback.format_exception(exc))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"mysql://app:{PASSWORD}@db/tb", "unsupported database URL (scheme 'mysql')"),
        (f"host=db password={PASSWORD}", "unsupported database URL (no scheme)"),
        (f"sqlite://app:{PASSWORD}@db/tb.db", "a SQLite URL names a file"),
        (f"postgresql:app:{PASSWORD}@db/tb", "a PostgreSQL URL starts with postgresql://"),
    ],
)
async def test_a_refused_url_is_named_without_its_password(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        await open_store(url)
    assert PASSWORD not in shown(caught.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # libpq quotes the piece it cannot parse, here the password itself; the parse fails
        # before any connection is tried.
        (f"postgresql://app:{PASSWORD}%zz@127.0.0.1:1/tb", 'invalid percent-encoded token: "***"'),
        (f"postgresql://app:{PASSWORD} x@127.0.0.1:1/tb", 'unexpected spaces found in "***"'),
    ],
)
async def test_libpq_errors_are_given_without_the_password(url: str, reason: str) -> None:
    with pytest.raises(StoreUnavailable, match="cannot connect to PostgreSQL") as caught:
        await open_store(url)
    assert reason in str(caught.value)
    assert PASSWORD not in shown(caught.value)


def test_tokenbridge_serve_never_prints_the_password() -> None:
    for url in (f"postgresql://app:{PASSWORD}%zz@127.0.0.1:1/tb", f"mysql://app:{PASSWORD}@db/tb"):
        done = subprocess.run(
            [sys.executable, "-m", "tokenbridge", "serve", "--port", "0", "--database-url", url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode != 0
        assert done.stderr.startswith("tokenbridge: "), done.stderr
        assert PASSWORD not in done.stdout + done.stderr
