"""The developer-side flow through the in-process app."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Api, link_item


def assert_error(
    response: httpx.Response, status: int, error_type: str, error_code: str
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert (body["error_type"], body["error_code"]) == (error_type, error_code)
    assert body["request_id"]
    return body


def test_link_and_list_accounts(api: Api) -> None:
    item = link_item(api)
    assert item["access_token"].startswith("access-sandbox-")
    names = [a["name"] for a in item["accounts"]]
    assert names[:2] == ["Plaid Checking", "Plaid Saving"]
    assert len(names) == 12
    checking = item["accounts"][0]
    assert checking["mask"] == "0000"
    assert checking["balances"] == {
        "available": 100, "current": 110, "limit": None,
        "iso_currency_code": "USD", "unofficial_currency_code": None,
    }  # fmt: skip


def test_processor_token_permissions_round_trip(api: Api) -> None:
    item = link_item(api)
    account_id = item["accounts"][0]["account_id"]
    token = api.ok(
        "/processor/token/create",
        {"access_token": item["access_token"], "account_id": account_id, "processor": "dwolla"},
    )["processor_token"]
    assert token.startswith("processor-sandbox-")
    assert api.ok("/processor/token/permissions/get", {"processor_token": token})["products"] == []
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": ["auth"]})
    got = api.ok("/processor/token/permissions/get", {"processor_token": token})
    assert got["products"] == ["auth"]


def test_item_remove_revokes_every_token(api: Api) -> None:
    item = link_item(api)
    account_id = item["accounts"][0]["account_id"]
    access = item["access_token"]
    token = api.ok(
        "/processor/token/create",
        {"access_token": access, "account_id": account_id, "processor": "moov"},
    )["processor_token"]
    api.ok("/item/remove", {"access_token": access})
    assert_error(api.post("/item/get", {"access_token": access}),
                 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip
    assert_error(api.post("/processor/token/permissions/get", {"processor_token": token}),
                 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip


def test_unknown_path_is_not_found(api: Api) -> None:
    assert_error(api.post("/no/such/path", {}), 404, "INVALID_REQUEST", "NOT_FOUND")


def test_missing_fields_are_listed(api: Api) -> None:
    body = assert_error(api.post("/processor/token/create", {}),
                        400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert "access_token, account_id, processor" in body["error_message"]
