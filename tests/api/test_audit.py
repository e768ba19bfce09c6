"""The audit log: one entry per change, with actor, object and request_id, and no token."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.conftest import Api, link_item
from tests.helpers import CLIENT_ID, SECRET
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.app import create_app
from tokenbridge.domain.audit import AuditEntry
from tokenbridge.domain.randomness import hash_token
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store
from tokenbridge.storage.sql import SqlStore


def entries(api: Api, item_id: str | None = None) -> list[AuditEntry]:
    return api.loop.run_until_complete(api.services.store.list_audit(item_id))


def raw_log(api: Api) -> str:
    """Every stored audit row as text, to search for secrets."""
    store = api.services.store
    assert isinstance(store, SqlStore)
    rows = api.loop.run_until_complete(store.fetchall("SELECT * FROM audit_log"))
    return "\n".join(repr(r) for r in rows)


def post(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A 200 response's JSON, whose request_id the log must carry."""
    data = api.ok(path, body)
    assert data["request_id"]
    return data


def test_every_change_of_the_core_flow_is_logged(api: Api) -> None:
    public = post(api, "/sandbox/public_token/create",
                  {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
    exchanged = post(api, "/item/public_token/exchange", {"public_token": public["public_token"]})
    access, item_id = exchanged["access_token"], exchanged["item_id"]
    account_id = api.ok("/accounts/get", {"access_token": access})["accounts"][0]["account_id"]
    created = post(
        api,
        "/processor/token/create",
        {"access_token": access, "account_id": account_id, "processor": "dwolla"},
    )
    permissions = post(api, "/processor/token/permissions/set",
                       {"processor_token": created["processor_token"],
                        "products": ["auth", "balance"]})  # fmt: skip
    stripe = post(api, "/processor/stripe/bank_account_token/create",
                  {"access_token": access, "account_id": account_id})  # fmt: skip
    removed = post(api, "/item/remove", {"access_token": access})

    log = entries(api, item_id)
    assert [(e.action, e.request_id) for e in log] == [
        ("item.create", public["request_id"]),
        ("access_token.create", exchanged["request_id"]),
        ("processor_token.create", created["request_id"]),
        ("processor_token.permissions.set", permissions["request_id"]),
        ("stripe_bank_account_token.create", stripe["request_id"]),
        ("item.remove", removed["request_id"]),
    ]
    assert {e.actor for e in log} == {CLIENT_ID}
    assert all(e.item_id == item_id for e in log)
    item_create, access_create, token_create, perms, btok, remove = log
    assert item_create.products == ("auth",)
    assert item_create.detail == "ins_109508"
    assert access_create.token_id == hash_token(access)[:12]
    assert remove.token_id == hash_token(access)[:12]
    assert (token_create.account_id, token_create.processor) == (account_id, "dwolla")
    assert token_create.token_id == hash_token(created["processor_token"])[:12]
    assert perms.token_id == token_create.token_id
    assert perms.products == ("auth", "balance")
    assert (btok.account_id, btok.processor) == (account_id, "stripe")
    assert btok.token_id == hash_token(stripe["stripe_bank_account_token"])[:12]
    assert all(e.at > 0 for e in log)

    # No token and no secret is written anywhere in the log.
    text = raw_log(api)
    for secret in (public["public_token"], access, created["processor_token"],
                   stripe["stripe_bank_account_token"], SECRET):  # fmt: skip
        assert secret not in text
        assert secret.split("-")[-1] not in text  # not even the random part alone
        assert hash_token(secret) not in text  # nor the whole stored hash


def test_sandbox_processor_token_logs_the_item_and_the_token(api: Api) -> None:
    made = post(api, "/sandbox/processor_token/create", {"institution_id": "ins_109508"})
    log = [e for e in entries(api) if e.request_id == made["request_id"]]
    assert [e.action for e in log] == ["item.create", "processor_token.create"]
    assert log[0].item_id == log[1].item_id is not None
    assert log[1].token_id == hash_token(made["processor_token"])[:12]
    assert log[1].account_id is not None
    assert made["processor_token"] not in raw_log(api)


def test_client_and_partner_creation_are_logged(api: Api) -> None:
    service = api.services
    client, secret = api.loop.run_until_complete(service.clients.create_client("acme"))
    partner, partner_secret = api.loop.run_until_complete(
        service.clients.create_client("dwolla", processor="dwolla")
    )
    log = entries(api)
    # The pinned sandbox client of the fixture was put at start-up.
    assert (log[0].action, log[0].actor) == ("client.put", CLIENT_ID)
    made = {e.actor: e for e in log[1:]}
    assert (made[client.client_id].action, made[client.client_id].detail) == (
        "client.create", "acme",
    )  # fmt: skip
    assert (made[partner.client_id].action, made[partner.client_id].processor) == (
        "partner.create", "dwolla",
    )  # fmt: skip
    text = raw_log(api)
    assert secret not in text and partner_secret not in text


def test_refused_requests_change_nothing_and_log_nothing(api: Api) -> None:
    item = link_item(api)
    before = entries(api)
    unknown = {"processor_token": "processor-sandbox-unknown", "products": []}
    response = api.post("/processor/token/permissions/set", unknown)
    assert_error(response, 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")
    response = api.post("/processor/token/create",
                        {"access_token": item["access_token"], "account_id": "nope",
                         "processor": "dwolla"})  # fmt: skip
    assert_error(response, 400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")
    response = api.post("/item/public_token/exchange", {"public_token": "public-sandbox-x"})
    assert_error(response, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")
    api.ok("/item/remove", {"access_token": item["access_token"]})
    response = api.post("/item/remove", {"access_token": item["access_token"]})
    assert_error(response, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
    added = entries(api)[len(before) :]
    assert [e.action for e in added] == ["item.remove"]


def test_an_entry_that_cannot_be_written_undoes_its_change(api: Api) -> None:
    # The entry is written in the transaction of the change: without the log table the
    # whole change fails, and no Item is left behind without its entry.
    store = api.services.store
    assert isinstance(store, SqlStore)

    async def drop() -> None:
        async with store.transaction() as tx:
            await tx.execute("DROP TABLE audit_log")

    api.loop.run_until_complete(drop())
    response = api.post("/sandbox/public_token/create",
                        {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
    body = assert_error(response, 500, "API_ERROR", "INTERNAL_SERVER_ERROR")
    assert body["error_message"] == "an unexpected error occurred"
    count = api.loop.run_until_complete(store.fetchone("SELECT COUNT(*) FROM items"))
    assert count == (0,)


def test_webhook_update_is_logged(api: Api) -> None:
    # A token made with a developer's own credentials names no processor; that developer
    # may set its webhook. None removes the webhook (and sends nothing anywhere).
    made = post(api, "/sandbox/processor_token/create", {"institution_id": "ins_109508"})
    token = made["processor_token"]
    updated = post(api, "/processor/token/webhook/update",
                   {"processor_token": token, "webhook": None})  # fmt: skip
    log = [e for e in entries(api) if e.request_id == updated["request_id"]]
    assert [e.action for e in log] == ["processor_token.webhook.update"]
    assert log[0].actor == CLIENT_ID
    assert log[0].token_id == hash_token(token)[:12]
    assert log[0].item_id is not None and log[0].account_id is not None
    assert log[0].detail is None
    unknown = {"processor_token": "processor-sandbox-unknown", "webhook": None}
    response = api.post("/processor/token/webhook/update", unknown)
    assert_error(response, 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")
    assert [e.action for e in entries(api)].count("processor_token.webhook.update") == 1


@pytest.mark.postgres
def test_audit_on_postgres(postgres_database_url: str) -> None:
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(open_store(postgres_database_url))
    app = create_app(Settings(client_id=CLIENT_ID, secret=SECRET), store=store)
    loop.run_until_complete(app.startup())
    api = Api(app, loop)
    try:
        item = link_item(api)
        created = post(api, "/processor/token/create", {
            "access_token": item["access_token"], "processor": "dwolla",
            "account_id": item["accounts"][0]["account_id"],
        })  # fmt: skip
        log = entries(api, item["item_id"])
        assert [e.action for e in log] == [
            "item.create", "access_token.create", "processor_token.create",
        ]  # fmt: skip
        assert log[2].request_id == created["request_id"]
        assert log[2].token_id == hash_token(created["processor_token"])[:12]
        assert created["processor_token"] not in raw_log(api)
    finally:
        api.close()
        loop.run_until_complete(app.shutdown())
        loop.close()
