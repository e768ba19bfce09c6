"""Every webhook tokenbridge fires, checked against the schema of Plaid's document.

One walk through what an app and a partner do (link, sync, refresh, the sandbox controls,
every code /sandbox/item/fire_webhook takes) collects every webhook written to the outbox;
each is validated against its schema in Plaid's OpenAPI document (`additionalProperties`
aside: no field of ours may be missing from the schema), and the walk must have fired every
kind of webhook the document has a schema for that tokenbridge implements.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
import yaml

from tests.api.conftest import Api, Partner, Sent
from tests.api.test_sandbox_control import link_as, set_status
from tests.api.test_transactions import account_of, token_for
from tests.helpers import plaid_document
from tokenbridge.domain import webhook_events
from tokenbridge.domain.sandbox_items import DEFAULT_UPDATE_TYPES, FIRED_AS

REPAIR = "/_tokenbridge/sandbox/item/repair"

# (webhook_type, webhook_code, form): the schema of each, from the document; form is
# "processor" for the processor forms (an account_id where the Item's name its item_id).
Kind = tuple[str, str, str]

# What tokenbridge fires that the trimmed document has no schema for.
NOT_IN_DOCUMENT: set[Kind] = {
    ("PROCESSOR_TOKEN", "WEBHOOK_UPDATE_ACKNOWLEDGED", "processor"),
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION", "item"),
    ("ITEM", "AUTHORIZATION_GRANTED", "item"),
    ("ASSETS", "PRODUCT_READY", "item"),
    ("ASSETS", "ERROR", "item"),
}
# Schemas of the document for what tokenbridge does not implement.
NOT_IMPLEMENTED: set[Kind] = {
    ("INCOME", "PRODUCT_READY", "item"),
    ("INVESTMENTS_TRANSACTIONS", "HISTORICAL_UPDATE", "item"),
    # Fires before an Item's consent expires: the sandbox's Items have no consent
    # expiration (checked below on the payload alone).
    ("ITEM", "PENDING_EXPIRATION", "item"),
}


def _nullable(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(schema, list):
        return [_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {k: _nullable(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


class Schemas:
    """The webhook schemas of Plaid's document, by kind."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components = {k: _nullable(v) for k, v in document["components"]["schemas"].items()}
        self.names: dict[Kind, str] = {}
        for name, schema in document["components"]["schemas"].items():
            examples = list((schema.get("x-examples") or {}).values())
            if not name.endswith("Webhook") or not examples:
                continue
            example = examples[0]
            form = "processor" if name.startswith("Processor") else "item"
            self.names[(example["webhook_type"], example["webhook_code"], form)] = name

    def problems(self, kind: Kind, payload: dict[str, Any]) -> list[str]:
        """Where `payload` breaks the schema of `kind`, or names a field it does not have."""
        name = self.names[kind]
        validator = jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/{name}", "components": {"schemas": self.components}}
        )
        found = [f"{name}: {e.message}" for e in validator.iter_errors(payload)]
        extra = set(payload) - set(self.components[name].get("properties", {}))
        if extra:
            found.append(f"{name}: fields the schema does not have: {sorted(extra)}")
        return found


@pytest.fixture(scope="module")
def schemas() -> Schemas:
    path = plaid_document(
        "TOKENBRIDGE_PLAID_SANDBOX_OPENAPI", "openapi-sandbox-webhooks-subset.yml"
    )
    if path is None:
        problem = "Plaid's webhook schemas (openapi-sandbox-webhooks-subset.yml) are not here"
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: the check must run)", pytrace=False)
        pytest.skip(problem + " (set TOKENBRIDGE_PLAID_SANDBOX_OPENAPI to its path)")
    return Schemas(yaml.load(path.read_text(), Loader=yaml.CSafeLoader))


def kind_of(payload: dict[str, Any]) -> Kind:
    processor = "item_id" not in payload and "account_id" in payload
    return (payload["webhook_type"], payload["webhook_code"], "processor" if processor else "item")


def _link(api: Api, products: list[str], webhook: str) -> dict[str, Any]:
    public = api.ok("/sandbox/public_token/create", {
        "institution_id": "ins_109508", "initial_products": products,
        "options": {"webhook": webhook},
    })["public_token"]  # fmt: skip
    exchanged = api.ok("/item/public_token/exchange", {"public_token": public})
    accounts = api.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    return {**exchanged, "accounts": accounts}


def _every_fire_webhook() -> Iterator[tuple[str, str]]:
    """Every (webhook_code, webhook_type) /sandbox/item/fire_webhook takes."""
    for webhook_type in DEFAULT_UPDATE_TYPES:
        yield "DEFAULT_UPDATE", webhook_type
    for code, (types, _) in FIRED_AS.items():
        for webhook_type in types:
            yield code, webhook_type


def _walk(api: Api, dwolla: Partner) -> None:
    """Everything that fires a webhook, once at least."""
    # Linked with Transactions (and Recurring Transactions): INITIAL_UPDATE and
    # HISTORICAL_UPDATE; a partner's token with a webhook: its acknowledgement.
    item = _link(api, ["transactions", "recurring_transactions"], "https://example.com/item")
    token = token_for(api, item)
    dwolla.ok("/processor/token/webhook/update",
              {"processor_token": token, "webhook": "https://example.com/partner"})  # fmt: skip
    # The partner syncs, then refreshes: the round's webhooks in both forms.
    dwolla.ok("/processor/transactions/sync", {"processor_token": token})
    dwolla.ok("/processor/transactions/refresh", {"processor_token": token})
    # Transactions started by a partner's sync: the processor forms of its start.
    later = _link(api, ["auth"], "https://example.com/later")
    second = token_for(api, later)
    dwolla.ok("/processor/token/webhook/update",
              {"processor_token": second, "webhook": "https://example.com/second"})  # fmt: skip
    dwolla.ok("/processor/transactions/sync", {"processor_token": second})
    # The Item's own events.
    access = item["access_token"]
    api.ok("/item/webhook/update", {"access_token": access, "webhook": "https://example.com/new"})
    api.ok("/sandbox/item/reset_login", {"access_token": access})
    api.ok(REPAIR, {"access_token": access})
    # Micro-deposits.
    for status in ("automatically_verified", "verification_expired"):
        waiting = link_as(api, "user_good", "microdeposits_good", webhook="https://example.com/md")
        assert set_status(api, waiting, status).status_code == 200
    # Every test webhook, from an Item with every product they need.
    everything = _link(
        api, ["auth", "transactions", "identity", "investments", "liabilities", "assets"],
        "https://example.com/everything",
    )  # fmt: skip
    for code, webhook_type in _every_fire_webhook():
        api.ok(
            "/sandbox/item/fire_webhook",
            {
                "access_token": everything["access_token"],
                "webhook_code": code,
                "webhook_type": webhook_type,
            },
        )


def test_every_webhook_has_the_shape_of_plaids_schema(
    api: Api, dwolla: Partner, sent: Sent, schemas: Schemas
) -> None:
    _walk(api, dwolla)
    fired: set[Kind] = set()
    problems: list[str] = []
    for url, payload in sent:
        kind = kind_of(payload)
        fired.add(kind)
        if kind in schemas.names:
            problems += [f"{url}: {p}" for p in schemas.problems(kind, payload)]
        else:
            assert kind in NOT_IN_DOCUMENT, f"no schema for {kind} in Plaid's document"
    assert problems == []
    # Every schema of the document is fired, but for what tokenbridge does not implement.
    assert set(schemas.names) - fired == NOT_IMPLEMENTED
    assert fired - set(schemas.names) == NOT_IN_DOCUMENT


def test_pending_expiration_has_the_shape_of_plaids_schema(schemas: Schemas) -> None:
    payload = webhook_events.pending_expiration("item-1", "2027-01-15T13:25:17Z", "sandbox")
    assert kind_of(payload) == ("ITEM", "PENDING_EXPIRATION", "item")
    assert schemas.problems(kind_of(payload), payload) == []


def test_transactions_starting_on_a_linked_item(api: Api, sent: Sent) -> None:
    item = _link(api, ["transactions"], "https://example.com/item")
    pulled = {p["webhook_code"]: p for _, p in sent}
    assert set(pulled) == {"INITIAL_UPDATE", "HISTORICAL_UPDATE"}
    assert {p["item_id"] for p in pulled.values()} == {item["item_id"]}
    body = {"access_token": item["access_token"], "start_date": "2000-01-01",
            "end_date": "2100-01-01", "options": {"count": 1}}  # fmt: skip
    total = api.ok("/transactions/get", body)["total_transactions"]
    # The whole history, and the part of it in the last 30 days.
    assert pulled["HISTORICAL_UPDATE"]["new_transactions"] == total
    assert 0 < pulled["INITIAL_UPDATE"]["new_transactions"] < total
    # The developer's first sync of an Item linked with Transactions fires nothing more.
    sent.clear()
    api.ok("/transactions/sync", {"access_token": item["access_token"]})
    assert list(sent) == []


def test_transactions_started_by_a_partners_sync(api: Api, dwolla: Partner, sent: Sent) -> None:
    item = _link(api, ["auth"], "https://example.com/item")
    token = token_for(api, item, "0000")
    other = token_for(api, item, "1111")
    for t, url in ((token, "https://example.com/p1"), (other, "https://example.com/p2")):
        dwolla.ok("/processor/token/webhook/update", {"processor_token": t, "webhook": url})
    sent.clear()
    dwolla.ok("/processor/transactions/sync", {"processor_token": token})
    codes: dict[str, list[tuple[str, Any]]] = {}
    for url, p in sent:
        flag = p.get("historical_update_complete")
        codes.setdefault(url, []).append((p["webhook_code"], flag))
    legacy = [("HISTORICAL_UPDATE", None), ("INITIAL_UPDATE", None)]
    # SYNC_UPDATES_AVAILABLE twice to the one whose sync started it: first 30 days, then all.
    assert {url: sorted(c, key=str) for url, c in codes.items()} == {
        "https://example.com/item": legacy,
        "https://example.com/p1": sorted(
            [*legacy, ("SYNC_UPDATES_AVAILABLE", False), ("SYNC_UPDATES_AVAILABLE", True)],
            key=str,
        ),
        "https://example.com/p2": legacy,
    }
    # Each partner hears of its own account only.
    partner = [p for url, p in sent if url.endswith("/p2")]
    assert {p["account_id"] for p in partner} == {account_of(item, "1111")}
    # Once started, a sync from the other side starts nothing again.
    sent.clear()
    api.ok("/transactions/sync", {"access_token": item["access_token"]})
    dwolla.ok("/processor/transactions/sync", {"processor_token": other})
    assert list(sent) == []


def test_a_token_without_the_transactions_permission_hears_nothing(
    api: Api, dwolla: Partner, sent: Sent
) -> None:
    item = _link(api, ["auth", "transactions"], "https://example.com/item")
    token = token_for(api, item)
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": ["auth"]})
    dwolla.ok("/processor/token/webhook/update",
              {"processor_token": token, "webhook": "https://example.com/partner"})  # fmt: skip
    sent.clear()
    api.ok("/transactions/refresh", {"access_token": item["access_token"]})
    api.ok("/sandbox/item/fire_webhook", {"access_token": item["access_token"],
                                          "webhook_code": "SYNC_UPDATES_AVAILABLE"})  # fmt: skip
    # The Item's webhook hears of the round (legacy webhooks) and of the test webhook.
    assert {url for url, _ in sent} == {"https://example.com/item"}


def test_fire_webhook_sends_the_processor_forms_of_transactions_webhooks(
    api: Api, dwolla: Partner, sent: Sent
) -> None:
    item = _link(api, ["transactions"], "https://example.com/item")
    token = token_for(api, item)
    dwolla.ok("/processor/token/webhook/update",
              {"processor_token": token, "webhook": "https://example.com/partner"})  # fmt: skip
    sent.clear()
    api.ok("/sandbox/item/fire_webhook", {"access_token": item["access_token"],
                                          "webhook_code": "DEFAULT_UPDATE"})  # fmt: skip
    assert sorted((url, kind_of(p)) for url, p in sent) == [
        ("https://example.com/item", ("TRANSACTIONS", "DEFAULT_UPDATE", "item")),
        ("https://example.com/partner", ("TRANSACTIONS", "DEFAULT_UPDATE", "processor")),
    ]
    sent.clear()
    api.ok("/sandbox/item/fire_webhook", {"access_token": item["access_token"],
                                          "webhook_code": "NEW_ACCOUNTS_AVAILABLE"})  # fmt: skip
    assert [url for url, _ in sent] == ["https://example.com/item"]


def test_the_check_refuses_what_breaks_the_schema(schemas: Schemas) -> None:
    good = webhook_events.transactions_pulled("DEFAULT_UPDATE", "item_id", "i", 3, "sandbox")
    kind = kind_of(good)
    assert schemas.problems(kind, good) == []
    missing = {k: v for k, v in good.items() if k != "new_transactions"}
    assert any("new_transactions" in p for p in schemas.problems(kind, missing))
    assert schemas.problems(kind, {**good, "new_transactions": "3"}) != []
    assert any("surplus" in p for p in schemas.problems(kind, {**good, "surplus": 1}))
