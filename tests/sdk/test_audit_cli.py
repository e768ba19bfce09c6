"""`tokenbridge audit` after an SDK run, and `serve --rate-limits` as the SDK meets it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from plaid.api import plaid_api
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest

from tests.helpers import CLIENT_ID, LiveServer
from tests.sdk.conftest import api_error, link, sdk_client


def audit(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "tokenbridge", "audit", *args],
        check=True, capture_output=True, text=True, timeout=30,
        # Not cut to a terminal's width (COLUMNS): the test reads whole lines.
        env={k: v for k, v in os.environ.items() if k != "COLUMNS"},
    ).stdout  # fmt: skip


def test_audit_prints_the_sdk_runs_changes(server: LiveServer, client: plaid_api.PlaidApi) -> None:
    linked = link(client)
    created = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=linked.access_token, account_id=linked.account_ids[0], processor="dwolla"
        )
    )
    removed = client.item_remove(ItemRemoveRequest(access_token=linked.access_token))

    lines = audit("--database-url", server.database_url, "--item", linked.item_id, "--json")
    records: list[dict[str, Any]] = [json.loads(line) for line in lines.splitlines()]
    assert [r["action"] for r in records] == [
        "item.create", "access_token.create", "processor_token.create", "item.remove",
    ]  # fmt: skip
    assert {r["actor"] for r in records} == {CLIENT_ID}
    assert {r["item_id"] for r in records} == {linked.item_id}
    assert records[2]["request_id"] == created.request_id
    assert records[3]["request_id"] == removed.request_id
    assert records[2]["processor"] == "dwolla"
    assert records[2]["account_id"] == linked.account_ids[0]
    assert len(records[2]["token_id"]) == 12
    assert records[0]["time"].endswith("+00:00")
    for token in (linked.access_token, created.processor_token):
        assert token not in lines

    # The text table: a header, then one row per entry, the same rows as the JSON.
    table = audit("--database-url", server.database_url, "--item", linked.item_id).splitlines()
    assert table[0].split() == ["time", "actor", "action", "item_id", "token_id", "processor",
                                "detail"]  # fmt: skip
    assert [row.split()[2] for row in table[1:]] == [r["action"] for r in records]
    assert records[2]["token_id"] in table[3]
    assert created.processor_token not in "\n".join(table)

    # Without --item every Item's entries are shown, the sandbox client's start-up first.
    everything = audit("--database-url", server.database_url, "--json").splitlines()
    assert json.loads(everything[0])["action"] == "client.put"
    assert len(everything) >= len(records) + 1


def test_audit_of_an_unknown_item_prints_only_the_header(server: LiveServer) -> None:
    out = audit("--database-url", server.database_url, "--item", "no-such-item")
    assert out.splitlines() == ["time  actor  action  item_id  token_id  processor  detail"]
    assert audit("--database-url", server.database_url, "--item", "no-such-item", "--json") == ""


def test_serve_rate_limits_on_by_default_and_off_by_flag(
    client: plaid_api.PlaidApi, tmp_path: Path
) -> None:
    # On (the module's server): /item/get allows 40 per Item per minute in the Sandbox.
    linked = link(client)
    for _ in range(40):
        client.item_get(ItemGetRequest(access_token=linked.access_token))
    body = api_error(lambda: client.item_get(ItemGetRequest(access_token=linked.access_token)),
                     429, "RATE_LIMIT_EXCEEDED", "ITEM_GET_LIMIT")  # fmt: skip
    assert body["error_message"] == (
        "rate limit exceeded for attempts to access this item. please try again later"
    )

    off = LiveServer(f"sqlite:///{tmp_path / 'off.db'}", extra_args=("--rate-limits", "off"))
    off.start()
    try:
        unlimited = sdk_client(off)
        item = link(unlimited)
        for _ in range(45):
            unlimited.item_get(ItemGetRequest(access_token=item.access_token))
    finally:
        off.stop()
    # Off means not one counter was written.
    with closing(sqlite3.connect(tmp_path / "off.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM rate_limit_counters").fetchone() == (0,)
