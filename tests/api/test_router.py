"""The route table: Plaid's operations, our own endpoints, and surfaces mounted under our prefix."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.helpers import CLIENT_ID, SECRET, assert_plaid_error
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
    for prefix in ("/item/", "/processor/", "/tokenbridge/", "/_tokenbridge", "/dashboard",
                   "/dashboardx/", "/"):  # fmt: skip
        with pytest.raises(ValueError, match="/_tokenbridge/"):
            Mount(prefix, _ours)
    # The dashboard's folder is the one of ours outside it.
    assert Mount("/dashboard/", _ours).prefix == "/dashboard/"
    assert Mount("/dashboard/sub/", _ours).prefix == "/dashboard/sub/"


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
        # A doubled "/" still reaches the mount, which sees the path with one; so does its
        # folder without the final "/".
        doubled = api.request("GET", "http://tokenbridge//_tokenbridge//test/hello")
        assert doubled.text == "ours /_tokenbridge/test/hello"
        assert api.request("GET", "/_tokenbridge/test").text == "ours /_tokenbridge/test/"
        # Outside the mount, our prefix is an unknown path like any other.
        missing = api.request("GET", "/_tokenbridge/tset")
        near = "; did you mean /_tokenbridge/test/?"
        assert_plaid_error(missing, 404, "INVALID_REQUEST", "NOT_FOUND",
                           "unknown path '/_tokenbridge/tset'" + near)  # fmt: skip
        typo = api.request("GET", "/_tokenbridge/tset/hello")
        assert_plaid_error(typo, 404, "INVALID_REQUEST", "NOT_FOUND",
                           "unknown path '/_tokenbridge/tset/hello'" + near)  # fmt: skip
        far = api.request("GET", "/_tokenbridge/dashboard/index.html")
        assert_plaid_error(far, 404, "INVALID_REQUEST", "NOT_FOUND",
                           "unknown path '/_tokenbridge/dashboard/index.html'")  # fmt: skip
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


# Paths as clients send them, and 404s that name the path ---------------------------------


def _url(api: Api, path: str) -> str:
    # An absolute URL: httpx would read a relative `//item/get` as a host, and strips the
    # leading "/" of a path it joins to its base URL.
    return str(api._http.base_url).rstrip("/") + path


@pytest.mark.parametrize("path", ["/item/get/", "//item/get", "/item//get", "///item///get//"])
def test_a_doubled_or_trailing_slash_is_the_same_operation(api: Api, path: str) -> None:
    # `http://127.0.0.1:8787/` as the SDK's host makes it send //item/get.
    response = api.post(_url(api, path), {"access_token": "access-sandbox-unknown"})
    assert_plaid_error(response, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")


def test_a_doubled_or_trailing_slash_reaches_our_get_endpoints(api: Api) -> None:
    for path in ("/health/", "//health", "/openapi.json/"):
        response = api.request("GET", _url(api, path))
        assert response.status_code == 200, path
    assert api.request("GET", _url(api, "//health")).json() == {"status": "ok"}


def test_an_operation_through_a_doubled_slash_does_its_work(api: Api) -> None:
    public = api.ok(
        _url(api, "//sandbox/public_token/create"),
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
    )
    exchanged = api.ok(
        _url(api, "/item/public_token/exchange/"), {"public_token": public["public_token"]}
    )
    item = api.ok(_url(api, "/item//get"), {"access_token": exchanged["access_token"]})
    assert item["item"]["item_id"] == exchanged["item_id"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/item/gte", "unknown path '/item/gte'; did you mean /item/get?"),
        ("/ITEM/GET", "unknown path '/ITEM/GET'; did you mean /item/get?"),
        ("/processor/auth/gett/",
         "unknown path '/processor/auth/gett/'; did you mean /processor/auth/get?"),
        ("/nope", "unknown path '/nope'"),
        ("/", "unknown path '/'"),
        ("/_tokenbridge/nothing/here/at/all", "unknown path '/_tokenbridge/nothing/here/at/all'"),
    ],
)  # fmt: skip
def test_an_unknown_path_is_named_with_the_nearest_known_one(
    api: Api, path: str, message: str
) -> None:
    response = api.post(_url(api, path), {"access_token": "a"})
    assert_plaid_error(response, 404, "INVALID_REQUEST", "NOT_FOUND", message)


def test_an_unprintable_path_is_shown_escaped(api: Api) -> None:
    # %00, ESC (a terminal's colour sequence), DEL, a quote and a non-ASCII letter.
    response = api.post(_url(api, "/item/get%00%1b[31m%7f'%C3%A9"), {"access_token": "a"})
    body = assert_plaid_error(response, 404, "INVALID_REQUEST", "NOT_FOUND")
    assert body["error_message"] == "unknown path '/item/get\\x00\\x1b[31m\\x7f\\'\\xe9'"
    assert all(" " <= c <= "~" for c in body["error_message"])


def test_a_long_path_is_cut_in_the_message(api: Api) -> None:
    response = api.post(_url(api, "/item/" + "x" * 2000), {"access_token": "a"})
    body = assert_plaid_error(response, 404, "INVALID_REQUEST", "NOT_FOUND")
    assert body["error_message"] == "unknown path '/item/" + "x" * 111 + "...'"


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/item/get", "/item/get takes POST, not GET"),
        ("PUT", "/item/get/", "/item/get takes POST, not PUT"),
        ("DELETE", "//processor/token/create", "/processor/token/create takes POST, not DELETE"),
        ("POST", "/health", "/health takes GET, not POST"),
        ("POST", "/openapi.json/", "/openapi.json takes GET, not POST"),
    ],
)
def test_a_wrong_method_names_the_one_served(
    api: Api, method: str, path: str, message: str
) -> None:
    headers = {**api.headers, "Content-Type": "application/json"}
    response = api.request(method, _url(api, path), headers=headers, content=b"{}")
    assert_plaid_error(response, 404, "INVALID_REQUEST", "NOT_FOUND", message)
