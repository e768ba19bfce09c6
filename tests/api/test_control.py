"""The control API (/_tokenbridge/control/) and the webhook inboxes (/_tokenbridge/inbox/),
in process and live: the admin key and nothing else, isolated clients and the partners of
their world, resets, and inboxes that record what they receive. docs/TESTING.md."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, Caller, Partner, Sent, link_item, running_api
from tests.conftest import chosen_target
from tests.helpers import (
    ADMIN_KEY,
    CLIENT_ID,
    SECRET,
    LiveServer,
    WebhookReceiver,
    assert_plaid_error,
)
from tests.sdk.test_webhook_verification_sdk import KeyCache, verify
from tokenbridge.app import create_app
from tokenbridge.domain.clients import VERIFIED_TTL
from tokenbridge.domain.operator import INBOX_CAPACITY
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store

CONTROL = "/_tokenbridge/control/"
INBOX = "/_tokenbridge/inbox/"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def control(api: Api, operation: str, body: Any = None, headers: dict[str, str] = ADMIN,
            **kwargs: Any) -> httpx.Response:  # fmt: skip
    """POST a control operation with the admin key (or `headers`), no Plaid credentials."""
    if body is not None:
        kwargs["json"] = body
    return api.request("POST", CONTROL + operation, headers=headers, **kwargs)


def control_ok(api: Api, operation: str, body: Any = None) -> dict[str, Any]:
    response = control(api, operation, {} if body is None else body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    data: dict[str, Any] = response.json()
    return data


def new_client(api: Api) -> Caller:
    """A fresh isolated client, made through the control API."""
    made = control_ok(api, "client/create")
    return Caller(api, made["client_id"], made["secret"])


def new_partner(api: Api, client: Caller | str, processor: str = "dwolla") -> Caller:
    """A partner of `processor` in the world of `client`, made through the control API."""
    client_id = client if isinstance(client, str) else client.client_id
    made = control_ok(api, "partner/create", {"client_id": client_id, "processor": processor})
    assert made["processor"] == processor
    return Caller(api, made["client_id"], made["secret"])


def link(caller: Caller | Api) -> dict[str, Any]:
    """An Item of `caller`, exchanged: {access_token, item_id, accounts}."""
    public = caller.ok("/sandbox/public_token/create",
                       {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
    exchanged = caller.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = caller.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    return {**exchanged, "accounts": accounts}


def processor_token(caller: Caller | Api, item: dict[str, Any], processor: str = "dwolla") -> str:
    made = caller.ok("/processor/token/create", {
        "access_token": item["access_token"], "account_id": item["accounts"][0]["account_id"],
        "processor": processor,
    })  # fmt: skip
    token: str = made["processor_token"]
    return token


def client_count(api: Api) -> int:
    return len(api.loop.run_until_complete(api.services.store.list_clients()))


def invalid_access_token(caller: Caller | Api, item: dict[str, Any]) -> None:
    assert_plaid_error(caller.post("/item/get", {"access_token": item["access_token"]}),
                       400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


def invalid_processor_token(partner: Caller | Partner, token: str) -> None:
    assert_plaid_error(partner.post("/processor/auth/get", {"processor_token": token}),
                       400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip


LINK_TOKEN_REQUEST = {
    "client_name": "Plaid Test App", "language": "en", "country_codes": ["US"],
    "user": {"client_user_id": "user-1"}, "products": ["auth"],
}  # fmt: skip


def invalid_link_token(caller: Caller, link_token: str) -> None:
    assert_plaid_error(caller.post("/link/token/get", {"link_token": link_token}),
                       400, "INVALID_INPUT", "INVALID_LINK_TOKEN")  # fmt: skip


def invalid_api_keys(caller: Caller) -> None:
    assert_plaid_error(caller.post("/institutions/get_by_id", {
        "institution_id": "ins_109508", "country_codes": ["US"],
    }), 400, "INVALID_INPUT", "INVALID_API_KEYS")  # fmt: skip


# The admin key ---------------------------------------------------------------------------


def refused(response: httpx.Response) -> None:
    assert_plaid_error(response, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")
    assert response.headers["www-authenticate"] == 'Bearer realm="tokenbridge control"'


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-admin-key-0123456789"},
        {"Authorization": f"Bearer {ADMIN_KEY[:-1]}"},
        {"Authorization": f"Bearer {ADMIN_KEY}x"},
        {"Authorization": f"bearer {ADMIN_KEY}"},
        {"Authorization": f"BEARER {ADMIN_KEY}"},
        {"Authorization": f"Bearer {ADMIN_KEY.upper()}"},
        {"Authorization": f"Bearer  {ADMIN_KEY}"},
        {"Authorization": ADMIN_KEY},
        {"Authorization": f"Token {ADMIN_KEY}"},
        {"Authorization": _basic("admin", ADMIN_KEY)},
        {"Authorization": _basic(CLIENT_ID, SECRET)},
        {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET},
        {"X-Admin-Key": ADMIN_KEY},
    ],
    ids=["none", "wrong", "short", "long", "lower-scheme", "upper-scheme", "upper-key",
         "two-spaces", "no-scheme", "token-scheme", "basic-key", "basic-client",
         "plaid-headers", "other-header"],
)  # fmt: skip
def test_a_request_without_the_admin_key_is_refused_and_changes_nothing(
    api: Api, headers: dict[str, str]
) -> None:
    before = client_count(api)
    refused(control(api, "client/create", {}, headers=headers))
    refused(control(api, "inbox/create", {}, headers=headers))
    assert client_count(api) == before


def test_plaid_credentials_in_the_body_are_not_a_way_in(api: Api) -> None:
    before = client_count(api)
    body = {"client_id": CLIENT_ID, "secret": SECRET}
    refused(control(api, "client/create", body, headers={}))
    refused(control(api, "client/create", body, headers=api.headers))
    # An isolated client's own credentials are no better than the shared client's.
    made = new_client(api)
    refused(control(api, "client/create", {"client_id": made.client_id,
                                           "secret": made.headers["PLAID-SECRET"]},
                     headers=made.headers))  # fmt: skip
    assert client_count(api) == before + 1


def test_the_key_is_checked_before_anything_else(api: Api) -> None:
    # An unknown operation, a GET and a body that is not JSON: without the key, the answer
    # is the same refusal, and says nothing of which operations exist.
    refused(control(api, "no/such/operation", {}, headers={}))
    refused(api.request("GET", CONTROL + "client/create"))
    refused(control(api, "client/create", headers={}, content=b"{not json"))
    refused(control(api, "client/reset", {"client_id": CLIENT_ID}, headers=api.headers))


def test_a_server_without_an_admin_key_refuses_everything(database_url: str) -> None:
    # In process: `tokenbridge serve` always has a key (it makes one when none is set).
    async def run() -> list[httpx.Response]:
        store = await open_store(database_url)
        app = create_app(Settings(client_id=CLIENT_ID, secret=SECRET), store=store)
        await app.startup()
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://tb") as http:
                return [
                    await http.post(CONTROL + "client/create", json={}, headers=headers)
                    for headers in ({}, ADMIN, {"Authorization": "Bearer "},
                                    {"Authorization": "Bearer None"})
                ]  # fmt: skip
        finally:
            await app.shutdown()

    for response in asyncio.run(run()):
        refused(response)
        assert "this server has no admin key" in response.json()["error_message"]


def test_serve_makes_and_prints_a_key_when_none_is_set(tmp_path: Path) -> None:
    server = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}", admin_key="",
                        log_path=tmp_path / "serve.log").start()  # fmt: skip
    try:
        log = (tmp_path / "serve.log").read_text()
        line = next(x for x in log.splitlines() if x.startswith("admin key"))
        key = line.rsplit(" ", 1)[1]
        assert len(key) >= 16
        made = httpx.post(server.url + CONTROL + "client/create", json={},
                          headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        assert made.status_code == 200, made.text
        refused(httpx.post(server.url + CONTROL + "client/create", json={}, headers=ADMIN))
    finally:
        server.stop()


def test_serve_refuses_a_short_admin_key(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "serve", "--port", "0"],
        env={"PATH": "", "HOME": str(tmp_path), "TOKENBRIDGE_ADMIN_KEY": "too-short",
             "TOKENBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'tb.db'}"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "TOKENBRIDGE_ADMIN_KEY must be at least 16 printable ASCII characters" in done.stderr


# Malformed requests ----------------------------------------------------------------------


def test_an_unknown_operation_or_method_is_not_found(api: Api) -> None:
    assert_plaid_error(
        control(api, "client/delete", {}),
        404,
        "INVALID_REQUEST",
        "NOT_FOUND",
        "unknown control operation '/_tokenbridge/control/client/delete'",
    )
    assert_plaid_error(control(api, "", {}), 404, "INVALID_REQUEST", "NOT_FOUND")
    assert_plaid_error(api.request("GET", CONTROL + "client/create", headers=ADMIN),
                       404, "INVALID_REQUEST", "NOT_FOUND",
                       "/_tokenbridge/control/client/create takes POST, not GET")  # fmt: skip


@pytest.mark.parametrize(
    "raw",
    # Malformed after a value of the wrong type too: the body is judged before its fields.
    [b"{not json", b"[1, 2", b'{"name": 7, ', b"\xff\xfe", b'{"name": "a"} x', b"{" * 10_000],
)
def test_a_body_that_is_not_json_is_invalid_body(api: Api, raw: bytes) -> None:
    assert_plaid_error(control(api, "client/create", headers=ADMIN, content=raw),
                       400, "INVALID_REQUEST", "INVALID_BODY",
                       "body could not be parsed as JSON")  # fmt: skip


@pytest.mark.parametrize("raw", [b"[]", b'"name"', b"7", b"null", b"true"])
def test_json_that_is_not_an_object_is_invalid_body(api: Api, raw: bytes) -> None:
    assert_plaid_error(control(api, "client/create", headers=ADMIN, content=raw),
                       400, "INVALID_REQUEST", "INVALID_BODY",
                       "body must be a JSON object")  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("client/create", {"nmae": "typo"}),
        ("client/create", {"name": 7}),
        ("partner/create", {"client_id": CLIENT_ID}),
        ("partner/create", {"client_id": CLIENT_ID, "processor": ["dwolla"]}),
        ("client/reset", {}),
        ("client/reset", {"client_id": None}),
        ("reset", {"everything": True}),
        ("inbox/create", {"url": "https://example.com"}),
        ("inbox/deliveries/list", {"inbox_id": "0" * 32, "after": "1"}),
        ("inbox/deliveries/list", {"inbox_id": "0" * 32, "limit": 1.5}),
    ],
)  # fmt: skip
def test_an_unknown_field_or_a_wrong_type_is_invalid_field(
    api: Api, operation: str, body: Any
) -> None:
    before = client_count(api)
    assert_plaid_error(control(api, operation, body), 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert client_count(api) == before


def test_an_oversized_body_is_invalid_body(api: Api) -> None:
    raw = b'{"name": "' + b"a" * (1024 * 1024) + b'"}'
    assert_plaid_error(control(api, "client/create", headers=ADMIN, content=raw),
                       400, "INVALID_REQUEST", "INVALID_BODY",
                       f"body must be at most {1024 * 1024} bytes")  # fmt: skip


def test_an_empty_body_is_an_empty_object(api: Api) -> None:
    made = control(api, "client/create", headers=ADMIN, content=b"")
    assert made.status_code == 200, made.text
    assert set(made.json()) == {"client_id", "secret"}


# Isolated clients --------------------------------------------------------------------------


def test_an_isolated_clients_credentials_work_with_plaids_endpoints(api: Api) -> None:
    made = control_ok(api, "client/create", {"name": "checkout tests"})
    assert set(made) == {"client_id", "secret"}
    stored = api.loop.run_until_complete(api.services.store.get_client(made["client_id"]))
    assert stored is not None
    assert (stored.name, stored.processor, stored.world) == ("checkout tests", None,
                                                              made["client_id"])  # fmt: skip
    client = Caller(api, made["client_id"], made["secret"])
    item = link(client)
    assert (
        client.ok("/item/get", {"access_token": item["access_token"]})["item"]["item_id"]
        == (item["item_id"])
    )
    # A wrong secret for it is refused as for any client.
    wrong = Caller(api, made["client_id"], made["secret"] + "x")
    invalid_api_keys(wrong)


def test_two_isolated_clients_never_see_each_others_items(api: Api) -> None:
    a, b = new_client(api), new_client(api)
    assert a.client_id != b.client_id
    item_a, item_b = link(a), link(b)
    invalid_access_token(b, item_a)
    invalid_access_token(a, item_b)
    # Nor does the shared client see theirs, nor they its.
    invalid_access_token(api, item_a)
    invalid_access_token(a, link(api))
    # A processor token a client made for itself is its own too.
    own = a.ok("/sandbox/processor_token/create", {"institution_id": "ins_109508"})
    invalid_processor_token(b, own["processor_token"])
    # And so are its Link tokens.
    link_token = a.ok("/link/token/create", LINK_TOKEN_REQUEST)["link_token"]
    a.ok("/link/token/get", {"link_token": link_token})
    invalid_link_token(b, link_token)


# Partners ------------------------------------------------------------------------------


def test_a_partner_reads_the_tokens_its_client_makes_for_its_processor(api: Api) -> None:
    client = new_client(api)
    partner = new_partner(api, client)
    stored = api.loop.run_until_complete(api.services.store.get_client(partner.client_id))
    assert stored is not None
    assert (stored.processor, stored.world) == ("dwolla", client.client_id)
    item = link(client)
    token = processor_token(client, item)
    auth = partner.ok("/processor/auth/get", {"processor_token": token})
    assert auth["account"]["account_id"] == item["accounts"][0]["account_id"]
    # Only its processor's: a token for another processor is not its.
    invalid_processor_token(partner, processor_token(client, item, "galileo"))


def test_a_partner_of_another_world_cannot_use_the_token(api: Api, dwolla: Partner) -> None:
    a, b = new_client(api), new_client(api)
    partner_a, partner_b = new_partner(api, a), new_partner(api, b)
    token = processor_token(a, link(a))
    partner_a.ok("/processor/auth/get", {"processor_token": token})
    # Another isolated client's dwolla partner, and the shared world's.
    invalid_processor_token(partner_b, token)
    invalid_processor_token(dwolla, token)
    # And the isolated world's partner cannot read the shared world's tokens.
    shared = processor_token(api, link_item(api))
    dwolla.ok("/processor/auth/get", {"processor_token": shared})
    invalid_processor_token(partner_a, shared)


def test_a_partner_of_the_shared_client_reads_the_shared_worlds_tokens(
    api: Api, dwolla: Partner
) -> None:
    partner = new_partner(api, CLIENT_ID)
    shared = processor_token(api, link_item(api))
    partner.ok("/processor/auth/get", {"processor_token": shared})
    isolated = new_client(api)
    invalid_processor_token(partner, processor_token(isolated, link(isolated)))


def test_partner_create_refuses_what_is_not_a_developers_client(api: Api) -> None:
    client = new_client(api)
    partner = new_partner(api, client)
    before = client_count(api)
    for body, message in [
        ({"client_id": client.client_id, "processor": "no_such_processor"},
         "unknown processor 'no_such_processor'"),
        ({"client_id": "no-such-client", "processor": "dwolla"}, "unknown client_id"),
        ({"client_id": partner.client_id, "processor": "dwolla"},
         "client_id names a partner, not a developer's client"),
    ]:  # fmt: skip
        assert_plaid_error(control(api, "partner/create", body),
                           400, "INVALID_REQUEST", "INVALID_FIELD", message)  # fmt: skip
    assert client_count(api) == before


# Resets ---------------------------------------------------------------------------------


def test_client_reset_deletes_the_clients_data_and_keeps_its_credentials(
    api: Api, sent: Sent, receiver: WebhookReceiver
) -> None:
    a, b = new_client(api), new_client(api)
    partner_a = new_partner(api, a)
    inbox_id, _ = new_inbox(api)
    item_a, item_b = link(a), link(b)
    token_a, token_b = processor_token(a, item_a), processor_token(b, item_b)
    link_token = a.ok("/link/token/create", LINK_TOKEN_REQUEST)["link_token"]
    hook = receiver.url
    a.ok("/item/webhook/update", {"access_token": item_a["access_token"], "webhook": hook})
    b.ok("/item/webhook/update", {"access_token": item_b["access_token"], "webhook": hook})
    assert {w.item_id for w in _webhooks(api)} == {item_a["item_id"], item_b["item_id"]}

    assert control_ok(api, "client/reset", {"client_id": a.client_id}) == {"reset": True}

    invalid_access_token(a, item_a)
    invalid_processor_token(partner_a, token_a)
    invalid_link_token(a, link_token)
    assert [w.item_id for w in _webhooks(api)] == [item_b["item_id"]]
    assert [url for url, _ in sent] == [hook]
    # The client and its partner keep their credentials, and start again from nothing.
    again = link(a)
    partner_a.ok("/processor/auth/get", {"processor_token": processor_token(a, again)})
    # Another client is untouched; so is the inbox.
    b.ok("/item/get", {"access_token": item_b["access_token"]})
    new_partner(api, b).ok("/processor/auth/get", {"processor_token": token_b})
    assert deliveries(api, inbox_id) == []


def _webhooks(api: Api) -> list[Any]:
    return api.loop.run_until_complete(api.services.store.list_webhooks(limit=1000))


def test_client_reset_of_an_unknown_client_or_a_partner_is_invalid_field(api: Api) -> None:
    partner = new_partner(api, new_client(api))
    assert_plaid_error(control(api, "client/reset", {"client_id": "no-such-client"}),
                       400, "INVALID_REQUEST", "INVALID_FIELD", "unknown client_id")  # fmt: skip
    assert_plaid_error(control(api, "client/reset", {"client_id": partner.client_id}),
                       400, "INVALID_REQUEST", "INVALID_FIELD",
                       "client_id names a partner, not a developer's client")  # fmt: skip


def test_client_reset_of_the_shared_client_keeps_isolated_clients(api: Api) -> None:
    isolated = new_client(api)
    kept, gone = link(isolated), link_item(api)
    control_ok(api, "client/reset", {"client_id": CLIENT_ID})
    invalid_access_token(api, gone)
    isolated.ok("/item/get", {"access_token": kept["access_token"]})
    link_item(api)


@pytest.fixture
def limited(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The app with every rate limit at 1% (5 processor tokens a minute per client)."""
    with running_api(database_url, tmp_path / "serve.log", rate_limit_scale=0.01) as client:
        yield client


def test_client_reset_resets_the_clients_rate_limit_counters(limited: Api) -> None:
    api = limited
    # The counters are per minute: the test runs within one.
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    a, b = new_client(api), new_client(api)
    item_a, item_b = link(a), link(b)
    for _ in range(5):
        processor_token(a, item_a)
        processor_token(b, item_b)
    for caller, item in ((a, item_a), (b, item_b)):
        body = {
            "access_token": item["access_token"],
            "account_id": item["accounts"][0]["account_id"],
            "processor": "dwolla",
        }
        assert_plaid_error(caller.post("/processor/token/create", body),
                           429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT")  # fmt: skip
    control_ok(api, "client/reset", {"client_id": a.client_id})
    processor_token(a, link(a))
    # The other client's count stands.
    body = {
        "access_token": item_b["access_token"],
        "account_id": item_b["accounts"][0]["account_id"],
        "processor": "dwolla",
    }
    assert_plaid_error(b.post("/processor/token/create", body),
                       429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT")  # fmt: skip


def test_reset_deletes_every_isolated_world_and_keeps_the_shared_clients(
    api: Api, dwolla: Partner
) -> None:
    a = new_client(api)
    partner_a = new_partner(api, a)
    shared_partner = new_partner(api, CLIENT_ID)
    isolated_item, shared_item = link(a), link_item(api)
    shared_token = processor_token(api, shared_item)
    # Each has authenticated, so the server trusts their secrets for VERIFIED_TTL.
    partner_a.ok("/processor/auth/get", {"processor_token": processor_token(a, isolated_item)})
    dwolla.ok("/processor/auth/get", {"processor_token": shared_token})
    inbox_id = control_ok(api, "inbox/create")["inbox_id"]

    assert control_ok(api, "reset") == {"reset": True}

    # At once, well within VERIFIED_TTL: the server has forgotten the secrets it trusted.
    started = time.monotonic()
    invalid_api_keys(a)
    invalid_api_keys(partner_a)
    assert time.monotonic() - started < VERIFIED_TTL
    # The shared world's clients stay, with nothing.
    invalid_access_token(api, shared_item)
    invalid_processor_token(dwolla, shared_token)
    fresh = processor_token(api, link_item(api))
    dwolla.ok("/processor/auth/get", {"processor_token": fresh})
    shared_partner.ok("/processor/auth/get", {"processor_token": fresh})
    assert _webhooks(api) == []
    # The inboxes are gone.
    assert_plaid_error(control(api, "inbox/deliveries/list", {"inbox_id": inbox_id}),
                       400, "INVALID_REQUEST", "INVALID_FIELD", "unknown inbox_id")  # fmt: skip
    assert_plaid_error(api.request("POST", INBOX + inbox_id, content=b"{}"),
                       404, "INVALID_REQUEST", "NOT_FOUND")  # fmt: skip
    # The isolated client's id is unknown now: no reset of it, no partner for it.
    assert_plaid_error(control(api, "client/reset", {"client_id": a.client_id}),
                       400, "INVALID_REQUEST", "INVALID_FIELD", "unknown client_id")  # fmt: skip


def test_resets_are_in_the_audit_log_as_the_operators(api: Api) -> None:
    client = new_client(api)
    control_ok(api, "client/reset", {"client_id": client.client_id})
    control_ok(api, "reset")
    log = api.loop.run_until_complete(api.services.store.list_audit())
    done = [(e.actor, e.action, e.detail) for e in log if e.action in ("client.reset", "reset")]
    assert done == [("operator", "client.reset", client.client_id), ("operator", "reset", None)]
    # The log itself is kept: the client's creation is still in it.
    assert any(e.action == "client.create" and e.actor == client.client_id for e in log)


# Inboxes --------------------------------------------------------------------------------


def new_inbox(api: Api) -> tuple[str, str]:
    made = control_ok(api, "inbox/create")
    inbox_id, url = made["inbox_id"], made["url"]
    return inbox_id, url


def deliveries(api: Api, inbox_id: str, **page: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = control_ok(
        api, "inbox/deliveries/list", {"inbox_id": inbox_id, **page}
    )["deliveries"]
    return found


def test_an_inbox_is_a_url_under_the_servers_own_host(api: Api) -> None:
    inbox_id, url = new_inbox(api)
    assert len(inbox_id) == 32 and int(inbox_id, 16) >= 0
    assert url == f"{api.url}{INBOX}{inbox_id}"
    assert new_inbox(api)[0] != inbox_id
    assert deliveries(api, inbox_id) == []


def test_an_inbox_records_headers_and_the_raw_body(api: Api) -> None:
    inbox_id, url = new_inbox(api)
    raw = '{"note":  "Café ✓ 東京" ,\n  "n":[1,2 ,3] }\r\n'.encode()
    started = time.time()
    answer = api.request("POST", url.removeprefix(api.url), content=raw, headers={
        "Content-Type": "application/json", "X-Test-Header": "Mixed Case Value",
        "Plaid-Verification": "a.b.c",
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}
    (delivery,) = deliveries(api, inbox_id)
    assert delivery["seq"] == 1
    assert started - 1 <= delivery["received_at"] <= time.time() + 1
    assert delivery["body"].encode() == raw
    headers = delivery["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-test-header"] == "Mixed Case Value"
    assert headers["plaid-verification"] == "a.b.c"
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(raw))


def test_an_inboxs_deliveries_are_read_by_pages(api: Api) -> None:
    inbox_id, _ = new_inbox(api)
    for n in range(1, 6):
        posted = api.request("POST", INBOX + inbox_id, content=f'{{"n": {n}}}'.encode())
        assert posted.status_code == 200, posted.text
    assert [d["seq"] for d in deliveries(api, inbox_id)] == [1, 2, 3, 4, 5]
    assert [d["body"] for d in deliveries(api, inbox_id, after=1, limit=2)] == [
        '{"n": 2}',
        '{"n": 3}',
    ]
    assert [d["seq"] for d in deliveries(api, inbox_id, after=3)] == [4, 5]
    assert deliveries(api, inbox_id, after=5) == []
    for page, message in [
        ({"after": -1}, "after must be a non-negative integer"),
        ({"limit": 0}, "limit must be an integer between 1 and 1000"),
        ({"limit": 1001}, "limit must be an integer between 1 and 1000"),
    ]:
        assert_plaid_error(control(api, "inbox/deliveries/list", {"inbox_id": inbox_id, **page}),
                           400, "INVALID_REQUEST", "INVALID_FIELD", message)  # fmt: skip


def test_an_unknown_inbox_is_not_found(api: Api) -> None:
    unknown = "0123456789abcdef" * 2
    assert_plaid_error(api.request("POST", INBOX + unknown, content=b"{}"),
                       404, "INVALID_REQUEST", "NOT_FOUND", "unknown inbox")  # fmt: skip
    assert_plaid_error(control(api, "inbox/deliveries/list", {"inbox_id": unknown}),
                       400, "INVALID_REQUEST", "INVALID_FIELD", "unknown inbox_id")  # fmt: skip


def test_a_malformed_inbox_id_or_a_get_is_not_found(api: Api) -> None:
    inbox_id, _ = new_inbox(api)
    for path in [inbox_id[:-1], inbox_id + "0", inbox_id.upper(), inbox_id + "/", "x" * 32, ""]:
        assert_plaid_error(api.request("POST", INBOX + path, content=b"{}"),
                           404, "INVALID_REQUEST", "NOT_FOUND")  # fmt: skip
    assert_plaid_error(api.request("GET", INBOX + inbox_id), 404, "INVALID_REQUEST", "NOT_FOUND",
                       "an inbox takes POST, not GET")  # fmt: skip
    assert deliveries(api, inbox_id) == []


def test_an_inbox_refuses_a_body_that_is_not_utf8(api: Api) -> None:
    inbox_id, _ = new_inbox(api)
    assert_plaid_error(api.request("POST", INBOX + inbox_id, content=b'{"a": "\xff"}'),
                       400, "INVALID_REQUEST", "INVALID_BODY",
                       "an inbox takes UTF-8 bodies")  # fmt: skip
    assert deliveries(api, inbox_id) == []


def test_an_inbox_refuses_a_body_with_a_nul(api: Api) -> None:
    # PostgreSQL's text cannot hold one: refused on every backend alike.
    inbox_id, _ = new_inbox(api)
    assert_plaid_error(api.request("POST", INBOX + inbox_id, content=b"a\x00b"),
                       400, "INVALID_REQUEST", "INVALID_BODY",
                       "an inbox takes bodies without NUL characters")  # fmt: skip
    posted = api.request("POST", INBOX + inbox_id, content=b'{"a": "\\u0000"}')
    assert posted.status_code == 200, posted.text
    assert [d["body"] for d in deliveries(api, inbox_id)] == ['{"a": "\\u0000"}']


def test_a_full_inbox_answers_429(api: Api) -> None:
    inbox_id, _ = new_inbox(api)
    store = api.services.store
    for _ in range(INBOX_CAPACITY - 1):
        api.loop.run_until_complete(
            store.add_inbox_delivery(inbox_id, time.time(), "{}", "{}", INBOX_CAPACITY)
        )
    assert api.request("POST", INBOX + inbox_id, content=b"last").status_code == 200
    assert_plaid_error(
        api.request("POST", INBOX + inbox_id, content=b"one more"),
        429,
        "RATE_LIMIT_EXCEEDED",
        "INBOX_FULL",
        f"the inbox holds {INBOX_CAPACITY} deliveries, the most it keeps",
    )
    last = deliveries(api, inbox_id, after=INBOX_CAPACITY - 1)
    assert [(d["seq"], d["body"]) for d in last] == [(INBOX_CAPACITY, "last")]


def test_a_webhook_to_an_inbox_arrives_signed(api: Api) -> None:
    if chosen_target() != "live":
        pytest.skip("the server posts to its inbox over a socket: live only")
    client = new_client(api)
    inbox_id, url = new_inbox(api)
    item = link(client)
    client.ok("/item/webhook/update", {"access_token": item["access_token"], "webhook": url})
    deadline = time.monotonic() + 10
    while not (found := deliveries(api, inbox_id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(found) == 1, found
    (delivery,) = found

    def fetch(kid: str) -> dict[str, Any]:
        key: dict[str, Any] = client.ok("/webhook_verification_key/get", {"key_id": kid})["key"]
        return key

    claims = verify(delivery["body"].encode(), delivery["headers"], KeyCache(fetch), time.time())
    assert set(claims) == {"iat", "request_body_sha256"}
    body = json.loads(delivery["body"])
    assert (body["webhook_type"], body["webhook_code"], body["item_id"], body["new_webhook_url"]
            ) == ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", item["item_id"], url)  # fmt: skip
