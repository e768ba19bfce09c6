"""The developer-side flow through the in-process app."""

from __future__ import annotations

import asyncio

from tests.api.conftest import Api, link_item
from tests.helpers import CLIENT_ID, SECRET
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.app import create_app
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store


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


def seeded_flow(seed: str) -> list[str]:
    """Every id, token and request_id of one flow through a fresh app seeded with `seed`."""
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(open_store("sqlite:///:memory:"))
    app = create_app(Settings(client_id=CLIENT_ID, secret=SECRET, seed=seed), store=store)
    loop.run_until_complete(app.startup())
    api = Api(app, loop)
    try:
        public = api.ok(
            "/sandbox/public_token/create",
            {"institution_id": "ins_109508", "initial_products": ["auth"]},
        )
        exchanged = api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
        accounts = api.ok("/accounts/get", {"access_token": exchanged["access_token"]})
        account_id = accounts["accounts"][0]["account_id"]
        token = api.ok(
            "/processor/token/create",
            {"access_token": exchanged["access_token"], "account_id": account_id,
             "processor": "dwolla"},
        )  # fmt: skip
        btok = api.ok(
            "/processor/stripe/bank_account_token/create",
            {"access_token": exchanged["access_token"], "account_id": account_id},
        )
        return [
            *(r["request_id"] for r in (public, exchanged, accounts, token, btok)),
            public["public_token"], exchanged["access_token"], exchanged["item_id"],
            *(a["account_id"] for a in accounts["accounts"]),
            token["processor_token"], btok["stripe_bank_account_token"],
        ]  # fmt: skip
    finally:
        api.close()
        loop.run_until_complete(app.shutdown())
        loop.close()


def test_seeded_apps_answer_identically() -> None:
    # A fresh database served with the same seed hands out the same ids and tokens, so
    # users can snapshot responses.
    first = seeded_flow("snapshot")
    assert seeded_flow("snapshot") == first
    assert len(set(first)) == len(first)
    other = seeded_flow("another")
    assert not set(other) & set(first)
