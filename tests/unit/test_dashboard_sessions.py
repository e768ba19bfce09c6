"""The dashboard's gate (dashboard/sessions.py): the admin key, session cookies and CSRF
tokens, without a server."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from tokenbridge.dashboard.sessions import COOKIE, Gate
from tokenbridge.domain import errors

KEY = "the-admin-key-0123456789"


def cookie_header(set_cookie: str) -> dict[bytes, bytes]:
    return {b"cookie": set_cookie.split(";")[0].encode()}


def test_the_bearer_key_opens_a_session_and_a_wrong_one_is_refused() -> None:
    gate = Gate(KEY)
    session = gate.session({b"authorization": f"Bearer {KEY}".encode()})
    assert session is not None and len(session.csrf) == 64
    for sent in (b"Bearer wrong", f"bearer {KEY}".encode(), KEY.encode(), b""):
        with pytest.raises(errors.InvalidAdminKey):
            gate.session({b"authorization": sent})
    assert gate.session({}) is None


def test_a_login_cookie_is_a_signed_session_of_this_key_only() -> None:
    gate = Gate(KEY)
    with pytest.raises(errors.InvalidAdminKey):
        gate.login("wrong")
    set_cookie = gate.login(KEY)
    assert set_cookie.startswith(COOKIE + "=")
    assert KEY not in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "Path=/dashboard" in set_cookie
    session = gate.session(cookie_header(set_cookie))
    assert session is not None
    # Another worker process over the same key accepts it; a server with another key not.
    assert Gate(KEY).session(cookie_header(set_cookie)) == session
    assert Gate(KEY + "x").session(cookie_header(set_cookie)) is None
    # Each login is a session of its own, with a CSRF token of its own.
    other = gate.session(cookie_header(gate.login(KEY)))
    assert other is not None and other.csrf != session.csrf


def test_a_cookie_that_is_not_ours_is_no_session() -> None:
    gate = Gate(KEY)
    forged = URLSafeTimedSerializer(b"guess", salt="tokenbridge.dashboard.session").dumps("s")
    for header in (b"tokenbridge_dashboard=x", f"{COOKIE}={forged}".encode(), b"a=b",
                   b"\x00;;==", f"{COOKIE}=".encode()):  # fmt: skip
        assert gate.session({b"cookie": header}) is None


def test_the_csrf_token_is_the_sessions_own() -> None:
    gate = Gate(KEY)
    mine = gate.session(cookie_header(gate.login(KEY)))
    theirs = gate.session(cookie_header(gate.login(KEY)))
    assert mine is not None and theirs is not None
    gate.check_csrf(mine, mine.csrf)
    for sent in (None, "", theirs.csrf, mine.csrf.upper(), mine.csrf + "0"):
        with pytest.raises(errors.CsrfTokenInvalid):
            gate.check_csrf(mine, sent)


def test_without_an_admin_key_nothing_opens() -> None:
    gate = Gate(None)
    with pytest.raises(errors.InvalidAdminKey, match="no admin key"):
        gate.session({})
    with pytest.raises(errors.InvalidAdminKey, match="no admin key"):
        gate.login("")
