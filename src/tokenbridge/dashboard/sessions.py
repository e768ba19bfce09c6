"""Who may see the dashboard: the holder of the admin key, and nobody else.

The key is sent either as `Authorization: Bearer <key>` (a script, curl) or once, to the
login form, which answers with a session cookie. The cookie is not the key: it is a
random session id signed (itsdangerous, with its time) by a key derived from the admin
key, so every worker process of the server accepts it, a server restarted with another
admin key accepts none, and a stolen cookie expires. It is HttpOnly (no script reads it),
SameSite=Strict (no other site's page sends it) and limited to /dashboard.

Every form that changes something carries a CSRF token, an HMAC of the session id, checked
in constant time; a POST whose Origin is another site's is refused before that. A bearer
request has a session of its own ("bearer") and the same rule, so that no form is ever
accepted without its token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from itsdangerous import BadSignature, URLSafeTimedSerializer

from tokenbridge.domain import errors

COOKIE = "tokenbridge_dashboard"
# How long a login lasts: a working day.
SESSION_TTL = 12 * 3600
_BEARER_SESSION = "bearer"


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    csrf: str


class Gate:
    """Checks the admin key, makes and reads session cookies, and CSRF tokens. Without
    an admin key (None), every request is refused."""

    def __init__(self, admin_key: str | None) -> None:
        self._bearer = b"Bearer " + admin_key.encode() if admin_key else None
        self._key = admin_key.encode() if admin_key else None
        derived = (
            hmac.new(self._key, b"tokenbridge dashboard session", hashlib.sha256).digest()
            if self._key else secrets.token_bytes(32)
        )  # fmt: skip
        self._csrf_key = hmac.new(derived, b"csrf", hashlib.sha256).digest()
        self._signer = URLSafeTimedSerializer(derived, salt="tokenbridge.dashboard.session")

    def _refuse_unconfigured(self) -> None:
        if self._key is None:
            raise errors.InvalidAdminKey(
                "this server has no admin key: start it with TOKENBRIDGE_ADMIN_KEY set"
                " (tokenbridge serve makes one when it is not)"
            )

    def session(self, headers: dict[bytes, bytes]) -> Session | None:
        """The request's session: a bearer key's, or the cookie's; None without either (or
        with a cookie that is not ours, or expired). INVALID_ADMIN_KEY for a wrong key."""
        self._refuse_unconfigured()
        sent = headers.get(b"authorization")
        if sent is not None:
            assert self._bearer is not None
            if not hmac.compare_digest(sent, self._bearer):
                raise errors.InvalidAdminKey(
                    "the dashboard needs the admin key (TOKENBRIDGE_ADMIN_KEY) as"
                    " 'Authorization: Bearer <key>', or a login"
                )
            return self._of(_BEARER_SESSION)
        value = _cookie(headers.get(b"cookie", b""))
        if value is None:
            return None
        try:
            sid = self._signer.loads(value, max_age=SESSION_TTL)
        except BadSignature:  # a bad signature, or an expired one
            return None
        if not isinstance(sid, str) or sid == _BEARER_SESSION:
            return None
        return self._of(sid)

    def login(self, key: str) -> str:
        """The Set-Cookie value of a new session, for the right admin key;
        INVALID_ADMIN_KEY otherwise."""
        self._refuse_unconfigured()
        assert self._key is not None
        if not hmac.compare_digest(key.encode(), self._key):
            raise errors.InvalidAdminKey("that is not this server's admin key")
        value = self._signer.dumps(secrets.token_hex(16))
        return f"{COOKIE}={value}; {_ATTRIBUTES}; Max-Age={SESSION_TTL}"

    @staticmethod
    def logout() -> str:
        """The Set-Cookie value that ends the browser's session."""
        return f"{COOKIE}=; {_ATTRIBUTES}; Max-Age=0"

    def check_csrf(self, session: Session, sent: str | None) -> None:
        """CSRF_TOKEN_INVALID unless `sent` is the session's token."""
        if sent is None or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise errors.CsrfTokenInvalid()

    def _of(self, sid: str) -> Session:
        token = hmac.new(self._csrf_key, sid.encode(), hashlib.sha256).hexdigest()
        return Session(sid, token)


_ATTRIBUTES = "Path=/dashboard; HttpOnly; SameSite=Strict"


def _cookie(header: bytes) -> str | None:
    try:
        jar: SimpleCookie = SimpleCookie(header.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None
