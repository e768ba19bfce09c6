"""Storage: one `Store` interface, a backend chosen by the database URL."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from tokenbridge.domain.ports import Store, StoreUnavailable
from tokenbridge.domain.redaction import redact_url

__all__ = ["DatabaseMissing", "open_store", "sqlite_path"]


class DatabaseMissing(StoreUnavailable):
    """open_store(create=False) found no SQLite file at `path`."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no database at {path}")
        self.path = path


def sqlite_path(url: str) -> str | None:
    """The file a `sqlite:///PATH` URL names (`:memory:` included), as open_store reads
    it; None for any other URL."""
    if not url.startswith("sqlite:///"):
        return None
    return unquote(url[len("sqlite:///") :]) or None


async def open_store(url: str, *, create: bool = True) -> Store:
    """Open (and migrate) the store named by `url`.

    `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `sqlite:///:memory:`,
    or `postgresql://user@host:port/db`. A SQLite file that does not exist is created
    (0600, in folders made 0700), unless `create` is False: then DatabaseMissing is
    raised and nothing is made (for commands that only read). Raises ValueError for any
    other URL, and StoreUnavailable when the database cannot be opened; neither message
    holds a password.
    """
    scheme = urlsplit(url).scheme
    store: Store
    if scheme == "sqlite":
        from tokenbridge.storage.sqlite import SqliteStore

        path = sqlite_path(url)
        if not path:
            raise ValueError(f"a SQLite URL names a file: sqlite:///PATH, not {redact_url(url)!r}")
        if not create and path != ":memory:" and not os.path.exists(path):
            raise DatabaseMissing(os.path.abspath(path))
        store = SqliteStore(path, create=create)
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
