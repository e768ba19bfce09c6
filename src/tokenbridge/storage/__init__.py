"""Storage: one `Store` interface, a backend chosen by the database URL."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from tokenbridge.domain.ports import Store

__all__ = ["open_store"]


async def open_store(url: str) -> Store:
    """Open (and migrate) the store named by `url`.

    `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `sqlite:///:memory:`,
    or `postgresql://user@host:port/db`. Raises ValueError for any other scheme.
    """
    scheme = urlsplit(url).scheme
    store: Store
    if scheme == "sqlite":
        from tokenbridge.storage.sqlite import SqliteStore

        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"a SQLite URL names a file: sqlite:///PATH, not {url!r}")
        store = SqliteStore(path)
    elif scheme in ("postgresql", "postgres"):
        from tokenbridge.storage.postgres import PostgresStore

        pg = PostgresStore(url)
        await pg.open()
        store = pg
    else:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
    await store.migrate()
    return store
