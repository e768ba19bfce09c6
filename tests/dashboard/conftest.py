"""The dashboard against a real `tokenbridge serve`, with Items made through plaid-python.

One server for the whole directory: the plain-HTTP tests and the browser tests read the
same world, and each test that changes an Item links an Item of its own first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.conftest import chosen_database
from tests.helpers import ADMIN_KEY, LiveServer

BEARER = {"Authorization": f"Bearer {ADMIN_KEY}"}


@dataclass(frozen=True)
class Linked:
    access_token: str
    item_id: str
    processor_token: str
    inbox_id: str


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root: Path = tmp_path_factory.mktemp("dashboard")
    with chosen_database(root) as url:
        live = LiveServer(url, log_path=root / "serve.log").start()
        yield live
        live.stop()


@pytest.fixture(scope="session")
def sdk(server: LiveServer) -> plaid_api.PlaidApi:
    cfg = plaid.Configuration(
        host=server.url, api_key={"clientId": server.client_id, "secret": server.secret}
    )
    return plaid_api.PlaidApi(plaid.ApiClient(cfg))


def control(server: LiveServer, operation: str, body: dict[str, str] | None = None) -> dict:
    answer = httpx.post(f"{server.url}/_tokenbridge/control/{operation}", json=body or {},
                        headers=BEARER, timeout=10)  # fmt: skip
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()
    return result


def link(server: LiveServer, sdk: plaid_api.PlaidApi) -> Linked:
    """An Item through the SDK, with a webhook to an inbox and a dwolla processor token."""
    inbox = control(server, "inbox/create")
    public = sdk.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_109508", initial_products=[Products("auth")],
    )).public_token  # fmt: skip
    exchanged = sdk.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    sdk.item_webhook_update(ItemWebhookUpdateRequest(
        access_token=exchanged.access_token, webhook=inbox["url"]))  # fmt: skip
    accounts = sdk.accounts_get(AccountsGetRequest(access_token=exchanged.access_token)).accounts
    token = sdk.processor_token_create(ProcessorTokenCreateRequest(
        access_token=exchanged.access_token, account_id=accounts[0].account_id,
        processor="dwolla",
    )).processor_token  # fmt: skip
    return Linked(exchanged.access_token, exchanged.item_id, token, inbox["inbox_id"])


def inbox_codes(server: LiveServer, inbox_id: str) -> list[str]:
    """The webhook codes the inbox received, oldest first."""
    found = control(server, "inbox/deliveries/list", {"inbox_id": inbox_id})["deliveries"]
    return [json.loads(d["body"])["webhook_code"] for d in found]


@pytest.fixture(scope="session")
def linked(server: LiveServer, sdk: plaid_api.PlaidApi) -> Linked:
    """An Item the read-only tests look at (no test changes it)."""
    return link(server, sdk)
