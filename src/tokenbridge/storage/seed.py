"""`tokenbridge db seed`: load many synthetic Items and tokens fast, for the benchmark.

Each Item gets one account (Plaid Checking), one access token and one processor token,
written with the backend's bulk path (COPY on PostgreSQL, executemany on SQLite) in
transactions of `batch` Items, so that a million tokens load in well under a minute or
two. Tokens are random and stored only as hashes, like every other token; the plaintext
of the first `sample` Items' tokens is written out as JSON lines, so a benchmark can use
them against the loaded store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from tokenbridge.domain.ids import bulk_ids, bulk_tokens
from tokenbridge.domain.models import AccountTemplate
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import RandomSource, hash_token

Row = tuple[Any, ...]

_ITEM_COLUMNS = ("item_id", "client_id", "institution_id", "products", "webhook",
                 "created_at", "removed_at")  # fmt: skip
_ACCOUNT_COLUMNS = ("account_id", "item_id", "position", "name", "official_name", "mask",
                    "type", "subtype", "available", "current_balance", "credit_limit",
                    "iso_currency_code", "unofficial_currency_code", "holder_category")  # fmt: skip
_ACCESS_COLUMNS = ("token_hash", "item_id", "client_id", "created_at")
_PROCESSOR_COLUMNS = ("token_hash", "item_id", "account_id", "client_id", "processor",
                      "products", "webhook", "created_at")  # fmt: skip


class BulkTransaction(Protocol):
    async def copy(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None: ...


class BulkLoader(Protocol):
    def bulk(self) -> AbstractAsyncContextManager[BulkTransaction]: ...


@dataclass(frozen=True, slots=True)
class SeedReport:
    items: int
    seconds: float
    sampled: int


async def seed(
    store: Store,
    client_id: str,
    items: int,
    *,
    random: RandomSource,
    account: AccountTemplate,
    institution_id: str,
    tokens_out: IO[str] | None = None,
    sample: int = 1000,
    processor: str | None = None,
    environment: str = "sandbox",
    batch: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Load `items` Items at `institution_id`, each with one `account` and its tokens, for
    `client_id`.

    Raises ValueError if the client does not exist or the store has no bulk path.
    """
    if not hasattr(store, "bulk"):
        raise ValueError("this store cannot bulk-load")
    loader: BulkLoader = store  # type: ignore[assignment]
    if await store.get_client(client_id) is None:
        raise ValueError(f"no client {client_id!r}: create it first (tokenbridge clients create)")
    checking = account
    b = checking.balances
    products = json.dumps(["auth"])
    started = time.monotonic()
    done = sampled = 0
    while done < items:
        n = min(batch, items - done)
        now = time.time()
        item_ids = bulk_ids(random, n)
        account_ids = bulk_ids(random, n)
        access = bulk_tokens(random, "access", environment, n)
        processor_tokens = bulk_tokens(random, "processor", environment, n)
        item_rows = [(i, client_id, institution_id, products, None, now, None) for i in item_ids]
        account_rows = [
            (a, i, 0, checking.name, checking.official_name, checking.mask, checking.type,
             checking.subtype, b.available, b.current, b.limit, b.iso_currency_code,
             b.unofficial_currency_code, checking.holder_category)
            for a, i in zip(account_ids, item_ids, strict=True)
        ]  # fmt: skip
        access_rows = [
            (hash_token(t), i, client_id, now) for t, i in zip(access, item_ids, strict=True)
        ]
        processor_rows = [
            (hash_token(t), i, a, client_id, processor, "[]", None, now)
            for t, i, a in zip(processor_tokens, item_ids, account_ids, strict=True)
        ]
        # Parents before children, for the foreign keys; one transaction per batch, so a
        # batch is either all there or not at all. Rows go in primary-key order, so each
        # index page is visited once per batch rather than once per row.
        async with loader.bulk() as tx:
            await tx.copy("items", _ITEM_COLUMNS, sorted(item_rows))
            await tx.copy("accounts", _ACCOUNT_COLUMNS, sorted(account_rows))
            await tx.copy("access_tokens", _ACCESS_COLUMNS, sorted(access_rows))
            await tx.copy("processor_tokens", _PROCESSOR_COLUMNS, sorted(processor_rows))
        if tokens_out is not None and sampled < sample:
            take = min(sample - sampled, n)
            for k in range(take):
                record = {
                    "item_id": item_ids[k],
                    "account_id": account_ids[k],
                    "access_token": access[k],
                    "processor_token": processor_tokens[k],
                }
                tokens_out.write(json.dumps(record) + "\n")
            sampled += take
        done += n
        if progress is not None:
            progress(done)
    return SeedReport(items=items, seconds=time.monotonic() - started, sampled=sampled)


def open_tokens_out(path: str | None) -> IO[str] | None:
    """The JSON lines file for the sampled tokens (created with owner-only permissions)."""
    if path is None:
        return None
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    return target.open("w", encoding="utf-8")
