"""Hiding secrets before a value reaches a log line, an error message or the terminal."""

from __future__ import annotations

from urllib.parse import unquote

__all__ = ["redact_password", "redact_url"]


def _userinfo_end(url: str) -> tuple[int, int]:
    """Where the userinfo of `url` starts and where its "@" is; (-1, -1) without one."""
    scheme_end = url.find("://")
    if scheme_end < 0:
        return -1, -1
    start = scheme_end + 3
    rest = url[start:]
    # The authority ends at the first "/", as libpq reads it: libpq takes a "?" or "#" before
    # that "/" as part of the password, so this must hide them too. The last "@" in the
    # authority ends the userinfo, which covers an unescaped "@" in a password. The cost: a URL
    # with no path whose query holds an "@" (`https://h?to=a@b`) is hidden up to that "@",
    # which hides too much but never leaks.
    authority_end = rest.find("/")
    at = (rest if authority_end < 0 else rest[:authority_end]).rfind("@")
    return (start, start + at) if at >= 0 else (-1, -1)


def redact_url(url: str) -> str:
    """`url` with its userinfo (user and password) replaced by `***@`; anything else kept.

    `postgresql://app:s3cret@db:5432/tb` gives `postgresql://***@db:5432/tb`, and
    `https://u:p@example.com/hook?x=1` gives `https://***@example.com/hook?x=1`. A URL without
    userinfo comes back unchanged.
    """
    start, at = _userinfo_end(url)
    return url if at < 0 else f"{url[:start]}***{url[at:]}"


def redact_password(text: str, url: str) -> str:
    """`text` (an error message about `url`) with the URL's password, as written and
    percent-decoded, replaced by `***`.

    libpq quotes the piece of a URL it cannot parse, and that piece may be the password
    (`invalid percent-encoded token: "s3cret%zz"`).
    """
    start, at = _userinfo_end(url)
    if at < 0:
        return text
    _, colon, password = url[start:at].partition(":")
    if not colon or not password:
        return text
    for form in sorted({password, unquote(password)}, key=len, reverse=True):
        text = text.replace(form, "***")
    return text
