"""Storage: one `Store` interface, a backend chosen by the database URL."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from tokenbridge.domain.ports import Store
from tokenbridge.domain.redaction import redact_url

__all__ = ["open_store"]


async def open_store(url: str) -> Store:
    """Open (and migrate) the store named by `url`.

    `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `sqlite:///:memory:`,
    or `postgresql://user@host:port/db`. Raises ValueError for any other URL, and
    StoreUnavailable when the database cannot be opened; neither message holds a password.
    """
    scheme = urlsplit(url).scheme
    store: Store
    if scheme == "sqlite":
        from tokenbridge.storage.sqlite import SqliteStore

        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"a SQLite URL names a file: sqlite:///PATH, not {redact_url(url)!r}")
        store = SqliteStore(path)
    elif scheme in ("postgresql", "postgres"):
        from tokenbridge.storage.postgres import PostgresStore

        if not url.startswith(f"{scheme}://"):
            # libpq would read anything else as "key=value" settings and quote it back in
            # its error, password and all.
            raise ValueError(f"a PostgreSQL URL starts with {scheme}://")
        pg = PostgresStore(url)
        await pg.open()
        store = pg
    else:
        # Only the scheme is shown: what is not a URL (a libpq "host=... password=..."
        # string) has no userinfo that redact_url could find.
        named = f"scheme {scheme!r}" if scheme else "no scheme"
        raise ValueError(
            f"unsupported database URL ({named}): use sqlite:///PATH or postgresql://..."
        )
    await store.migrate()
    return store
