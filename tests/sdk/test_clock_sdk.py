"""The virtual clock through plaid-python against a real `tokenbridge serve`, with the pytest
plugin's own clock and inbox (the classes behind `tokenbridge_clock` and `webhook_inbox`):
each clock-driven behaviour for one client while another client, at the same moment, sees
real time. docs/TESTING.md, "Time"."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_transactions_sync_request import ProcessorTransactionsSyncRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from tests.helpers import ADMIN_KEY, LiveServer
from tests.sdk.conftest import api_error, sdk_client
from tokenbridge.testing.plugin import Control, PlaidCredentials, VirtualClock, WebhookInbox


class World:
    """An isolated client made through the control API, as the plugin makes one per test:
    its PlaidApi, its clock, and an inbox for its webhooks."""

    def __init__(self, server: LiveServer) -> None:
        self.control = Control(server.url, ADMIN_KEY)
        made = self.control.post("client/create", {"name": "clock"})
        self.credentials = PlaidCredentials(made["client_id"], made["secret"], server.url)
        self.plaid = sdk_client(server, made["client_id"], made["secret"])
        self.clock = VirtualClock(self.control, made["client_id"])
        inbox = self.control.post("inbox/create")
        self.inbox = WebhookInbox(inbox["url"], inbox["inbox_id"], self.control, server.url,
                                  self.credentials)  # fmt: skip

    def partner(self, server: LiveServer, processor: str) -> plaid_api.PlaidApi:
        made = self.control.post(
            "partner/create", {"client_id": self.credentials.client_id, "processor": processor}
        )
        return sdk_client(server, made["client_id"], made["secret"])

    def link(self, products: tuple[str, ...] = ("transactions",)) -> str:
        public = self.plaid.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products(p) for p in products],
            options=SandboxPublicTokenCreateRequestOptions(webhook=self.inbox.url),
        )).public_token  # fmt: skip
        exchanged = self.plaid.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=public)
        )
        return str(exchanged.access_token)

    def codes(self) -> list[str]:
        return [json.loads(d["body"])["webhook_code"] for d in self.inbox.received]


@pytest.fixture
def world(server: LiveServer) -> World:
    return World(server)


@pytest.fixture
def other(server: LiveServer) -> World:
    return World(server)


def _synced(api: plaid_api.PlaidApi, access_token: str, cursor: str = "") -> Any:
    page = api.transactions_sync(TransactionsSyncRequest(access_token=access_token, cursor=cursor))
    added, removed = list(page.added), list(page.removed)
    while page.has_more:
        page = api.transactions_sync(
            TransactionsSyncRequest(access_token=access_token, cursor=page.next_cursor)
        )
        added += page.added
        removed += page.removed
    return page.next_cursor, added, removed


def _wait_for(world: World, code: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while world.codes().count(code) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert world.codes().count(code) >= count, world.codes()


def test_a_fresh_clock_is_real_time_and_moves_for_its_world_only(
    world: World, other: World
) -> None:
    before = datetime.now(UTC)
    assert before - timedelta(seconds=2) <= world.clock.now() <= datetime.now(UTC)
    moved = world.clock.advance(days=10, hours=2)
    assert moved.tzinfo is not None
    assert moved - datetime.now(UTC) > timedelta(days=10, hours=1, minutes=59)
    assert abs(other.clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    # Item times follow the clock of their client.
    mine = world.plaid.item_get(ItemGetRequest(access_token=world.link(("auth",))))
    theirs = other.plaid.item_get(ItemGetRequest(access_token=other.link(("auth",))))
    assert abs(mine.item.created_at - moved) < timedelta(minutes=1)
    assert abs(theirs.item.created_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_link_tokens_and_public_tokens_expire_on_the_clock(world: World, other: World) -> None:
    request = LinkTokenCreateRequest(
        client_name="clock", language="en", country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"), products=[Products("auth")],
    )  # fmt: skip
    world.clock.advance(days=3)
    made = world.plaid.link_token_create(request)
    assert abs(made.expiration - (world.clock.now() + timedelta(hours=4))) < timedelta(minutes=1)
    theirs = other.plaid.link_token_create(request)
    assert abs(theirs.expiration - (datetime.now(UTC) + timedelta(hours=4))) < timedelta(minutes=1)

    create = SandboxPublicTokenCreateRequest(
        institution_id="ins_109508", initial_products=[Products("auth")]
    )
    public = world.plaid.sandbox_public_token_create(create).public_token
    their_public = other.plaid.sandbox_public_token_create(create).public_token
    world.clock.advance(minutes=31)
    api_error(
        lambda: world.plaid.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=public)
        ),
        400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
    )  # fmt: skip
    other.plaid.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=their_public)
    )


def test_days_passing_post_and_add_transactions_with_their_webhooks(
    server: LiveServer, world: World, other: World
) -> None:
    token = world.link()
    their_token = other.link()
    cursor, _, _ = _synced(world.plaid, token)
    their_cursor, _, _ = _synced(other.plaid, their_token)
    accounts = world.plaid.accounts_get(AccountsGetRequest(access_token=token)).accounts
    checking = next(a for a in accounts if str(a.subtype) == "checking")
    processor_token = world.plaid.processor_token_create(ProcessorTokenCreateRequest(
        access_token=token, account_id=checking.account_id, processor="dwolla",
    )).processor_token  # fmt: skip
    dwolla = world.partner(server, "dwolla")
    first = dwolla.processor_transactions_sync(
        ProcessorTransactionsSyncRequest(processor_token=processor_token)
    )
    while first.has_more:
        first = dwolla.processor_transactions_sync(ProcessorTransactionsSyncRequest(
            processor_token=processor_token, cursor=first.next_cursor
        ))  # fmt: skip
    before_days = world.codes().count("SYNC_UPDATES_AVAILABLE")

    now = world.clock.advance(days=1)
    _, added, removed = _synced(world.plaid, token, cursor)
    today = now.date()
    assert any(t.pending and t.date == today for t in added)
    posted = [t for t in added if t.pending_transaction_id]
    assert {t.pending_transaction_id for t in posted} <= {r.transaction_id for r in removed}
    assert posted
    _wait_for(world, "SYNC_UPDATES_AVAILABLE", before_days + 1)
    _wait_for(world, "DEFAULT_UPDATE", 1)
    update = next(
        json.loads(d["body"]) for d in world.inbox.received
        if json.loads(d["body"])["webhook_code"] == "DEFAULT_UPDATE"
    )  # fmt: skip
    assert update["new_transactions"] > 0
    # The partner of the world reads the day too, on its one account.
    later = dwolla.processor_transactions_sync(ProcessorTransactionsSyncRequest(
        processor_token=processor_token, cursor=first.next_cursor
    ))  # fmt: skip
    assert any(t.pending and t.date == today for t in later.added)
    assert {t.account_id for t in later.added} == {checking.account_id}
    # The other client, at the same moment, has nothing new.
    _, their_added, their_removed = _synced(other.plaid, their_token, their_cursor)
    assert their_added == their_removed == []


def test_an_item_needs_a_new_login_after_30_days(world: World, other: World) -> None:
    token = world.link(("auth",))
    their_token = other.link(("auth",))
    world.clock.advance(days=23, minutes=1)
    world.inbox.wait("PENDING_EXPIRATION")
    world.plaid.accounts_get(AccountsGetRequest(access_token=token))
    world.clock.advance(days=7)
    error = world.inbox.wait("ERROR")
    assert error["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"
    api_error(
        lambda: world.plaid.accounts_get(AccountsGetRequest(access_token=token)),
        400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED",
    )  # fmt: skip
    other.plaid.accounts_get(AccountsGetRequest(access_token=their_token))
    assert "ERROR" not in other.codes()
