"""The route table: Plaid's operations, our own endpoints, and surfaces mounted under our prefix."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.helpers import CLIENT_ID, SECRET
from tokenbridge.app import create_app
from tokenbridge.domain.ports import Store
from tokenbridge.http.router import Message, Mount, Operation, Receive, Router, Scope, Send
from tokenbridge.http.routes import OPERATIONS
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store


async def _ours(scope: Scope, receive: Receive, send: Send) -> None:
    start: Message = {"type": "http.response.start", "status": 200, "headers": []}
    await send(start)
    await send({"type": "http.response.body", "body": ("ours " + scope["path"]).encode()})


def test_a_mount_must_live_under_our_prefix() -> None:
    for prefix in ("/item/", "/processor/", "/tokenbridge/", "/_tokenbridge"):
        with pytest.raises(ValueError, match="/_tokenbridge/"):
            Mount(prefix, _ours)


def test_an_operation_is_in_the_table_once() -> None:
    with pytest.raises(ValueError, match="twice"):
        Router([*OPERATIONS, OPERATIONS[0]])


def test_the_request_type_comes_from_the_handler() -> None:
    table = {op.path: op for op in OPERATIONS}
    assert table["/item/get"].shape.type.__name__ == "ItemGetRequest"
    assert all(isinstance(op, Operation) for op in OPERATIONS)


def test_mounted_surface_answers_under_its_prefix(tmp_path: Any) -> None:
    loop = asyncio.new_event_loop()
    store: Store = loop.run_until_complete(open_store(f"sqlite:///{tmp_path}/tb.db"))
    app = create_app(
        Settings(client_id=CLIENT_ID, secret=SECRET),
        store=store,
        mounts=[Mount("/_tokenbridge/test/", _ours)],
    )
    loop.run_until_complete(app.startup())
    api = Api(app, loop)
    try:
        response = api.request("GET", "/_tokenbridge/test/hello")
        assert response.status_code == 200
        assert response.text == "ours /_tokenbridge/test/hello"
        # Outside the mount, our prefix is an unknown path like any other.
        missing = api.request("GET", "/_tokenbridge/other")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "NOT_FOUND"
        assert missing.json()["error_type"] == "INVALID_REQUEST"
        # Plaid's operations and our GET endpoints are unchanged by the mount.
        assert api.request("GET", "/health").json() == {"status": "ok"}
        item = api.post("/item/get", {"access_token": "access-sandbox-unknown"})
        assert item.status_code == 400
        assert item.json()["error_code"] == "INVALID_ACCESS_TOKEN"
    finally:
        api.close()
        loop.run_until_complete(app.shutdown())
        loop.run_until_complete(store.close())
        loop.close()
