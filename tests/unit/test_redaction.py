"""redact_url: a URL fit for a log line, an error message or the terminal."""

from __future__ import annotations

import pytest

from tokenbridge.domain.redaction import redact_password, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/tb", "postgresql://***@db:5432/tb"),
        ("postgresql://app@db/tb", "postgresql://***@db/tb"),
        ("https://u:p@example.com/hook?x=1&y=2", "https://***@example.com/hook?x=1&y=2"),
        # An unescaped "@", "?" or "#" in a password: libpq reads the userinfo up to the
        # last "@" before the first "/", so all of it is hidden.
        ("postgresql://app:p@ss@db/tb", "postgresql://***@db/tb"),
        ("postgresql://app:pa?ss#x@db/tb", "postgresql://***@db/tb"),
        ("postgresql://app:p%40ss@db/tb?sslmode=require", "postgresql://***@db/tb?sslmode=require"),
        # An "@" after the authority is not userinfo.
        ("https://example.com/users/@me?to=a@b.c", "https://example.com/users/@me?to=a@b.c"),
    ],
)
def test_userinfo_is_hidden_and_the_rest_kept(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///tokenbridge.db",
        "sqlite:////var/lib/tb/tb.db",
        "https://example.com/hook",
        "postgresql://db:5432/tb",
        "not a url",
        "",
    ],
)
def test_a_url_without_userinfo_is_unchanged(url: str) -> None:
    assert redact_url(url) == url


def test_the_password_never_survives() -> None:
    for password in ("hunter2", "p@ss", "a:b", "x?y", "#z"):
        url = f"postgresql://user:{password}@127.0.0.1:5432/db"
        assert password not in redact_url(url)
        assert "user" not in redact_url(url)


@pytest.mark.parametrize(
    ("text", "url", "shown"),
    [
        ('invalid percent-encoded token: "s3cret%zz"', "postgresql://u:s3cret%zz@h/db",
         'invalid percent-encoded token: "***"'),
        ('unexpected spaces found in "a b"', "postgresql://u:a b@h/db",
         'unexpected spaces found in "***"'),
        # The decoded form too, and the longer form first so no piece of it is left.
        ("failed for p@ss and p%40ss", "postgresql://u:p%40ss@h/db", "failed for *** and ***"),
        ("role u does not exist", "postgresql://u@h/db", "role u does not exist"),
        ("no password here", "postgresql://h/db", "no password here"),
        ("host=h password=x", "host=h password=x", "host=h password=x"),
    ],
)  # fmt: skip
def test_redact_password_hides_the_password_in_a_message(text: str, url: str, shown: str) -> None:
    assert redact_password(text, url) == shown
