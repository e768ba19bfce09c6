"""Helpers for the scale-out, crash and outage tests: real servers over one database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import postgres_schema
from tests.helpers import CLIENT_ID, SECRET, LiveServer

HEADERS = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}
# These tests send bursts far above Plaid's Sandbox rate limits on purpose.
SERVE_ARGS = ("--rate-limits", "off")


@pytest.fixture(scope="module")
def shared_postgres_url() -> Iterator[str]:
    """One PostgreSQL schema for every server of a test module."""
    with postgres_schema() as url:
        yield url


def server(database_url: str, log: Path, *extra: str) -> LiveServer:
    return LiveServer(database_url, log_path=log, extra_args=(*SERVE_ARGS, *extra)).start()


def post(http: httpx.Client, base: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return http.post(base + path, json=body, headers=HEADERS)


def ok(http: httpx.Client, base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = post(http, base, path, body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


# Every way the database could hold half-made state; each query must return no row.
CONSISTENCY_QUERIES = {
    "item without accounts": "SELECT i.item_id FROM items i WHERE NOT EXISTS"
    " (SELECT 1 FROM accounts a WHERE a.item_id = i.item_id)",
    "processor token without its Item": "SELECT p.token_hash FROM processor_tokens p"
    " LEFT JOIN items i ON i.item_id = p.item_id WHERE i.item_id IS NULL",
    "processor token without its account": "SELECT p.token_hash FROM processor_tokens p"
    " LEFT JOIN accounts a ON a.account_id = p.account_id AND a.item_id = p.item_id"
    " WHERE a.account_id IS NULL",
    "processor token without permissions": "SELECT token_hash FROM processor_tokens"
    " WHERE products IS NULL OR products NOT LIKE '[%]'",
    "access token without its Item": "SELECT t.token_hash FROM access_tokens t"
    " LEFT JOIN items i ON i.item_id = t.item_id WHERE i.item_id IS NULL",
    "public token without its Item": "SELECT t.token_hash FROM public_tokens t"
    " LEFT JOIN items i ON i.item_id = t.item_id WHERE i.item_id IS NULL",
}


def inconsistencies(database_url: str) -> dict[str, int]:
    """How many rows break each consistency rule (an empty dict when all hold)."""
    found: dict[str, int] = {}
    if database_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(database_url[len("sqlite:///") :])) as conn:
            for name, query in CONSISTENCY_QUERIES.items():
                if rows := conn.execute(query).fetchall():
                    found[name] = len(rows)
    else:
        with psycopg.connect(database_url) as conn:
            for name, query in CONSISTENCY_QUERIES.items():
                if rows := conn.execute(query).fetchall():
                    found[name] = len(rows)
    return found


def count_rows(database_url: str, table: str) -> int:
    query = f"SELECT count(*) FROM {table}"
    if database_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(database_url[len("sqlite:///") :])) as conn:
            count: int = conn.execute(query).fetchone()[0]
            return count
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        value: int = row[0]
        return value
