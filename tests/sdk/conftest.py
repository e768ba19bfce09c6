"""The official plaid-python client against a real `tokenbridge serve` process.

One server per test module: starting a process costs far more than the tests it serves,
and each test links its own Items, so tests do not depend on one another's state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.conftest import chosen_database
from tests.helpers import LiveServer, assert_plaid_exception


def sdk_client(server: LiveServer, client_id: str | None = None, secret: str | None = None
               ) -> plaid_api.PlaidApi:  # fmt: skip
    """A PlaidApi pointed at the server: the only change a user makes is the host."""
    cfg = plaid.Configuration(
        host=server.url,
        api_key={"clientId": client_id or server.client_id, "secret": secret or server.secret},
    )
    return plaid_api.PlaidApi(plaid.ApiClient(cfg))


@dataclass(frozen=True)
class Linked:
    access_token: str
    item_id: str
    account_ids: list[str]


def link(client: plaid_api.PlaidApi, institution_id: str = "ins_109508",
         products: Sequence[str] = ("auth",)) -> Linked:  # fmt: skip
    """A sandbox Item through the SDK: public token, exchange, accounts."""
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id=institution_id, initial_products=[Products(p) for p in products]
        )
    ).public_token
    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    accounts = client.accounts_get(AccountsGetRequest(access_token=exchanged.access_token))
    return Linked(
        exchanged.access_token, exchanged.item_id, [a.account_id for a in accounts.accounts]
    )


def api_error(call: Callable[[], Any], status: int, error_type: str, error_code: str
              ) -> dict[str, Any]:  # fmt: skip
    """Run an SDK call that must fail; check its status and Plaid error, return the body."""
    with pytest.raises(plaid.ApiException) as info:
        call()
    return assert_plaid_exception(info.value, status, error_type, error_code)


def create_client(database_url: str, name: str) -> tuple[str, str]:
    """`tokenbridge clients create --json`, as a user runs it beside a running server."""
    out = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "clients", "create", "--name", name, "--json",
         "--database-url", database_url],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    record = json.loads(out)
    return record["client_id"], record["secret"]


def create_partner(database_url: str, processor: str) -> tuple[str, str]:
    """`tokenbridge partners create --processor NAME --json`, beside the running server."""
    out = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "partners", "create", "--processor", processor,
         "--json", "--database-url", database_url],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    record = json.loads(out)
    assert record["processor"] == processor
    return record["client_id"], record["secret"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root: Path = tmp_path_factory.mktemp("sdk")
    with chosen_database(root) as url:
        live = LiveServer(url, log_path=root / "serve.log").start()
        yield live
        live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> plaid_api.PlaidApi:
    return sdk_client(server)


@pytest.fixture(scope="module")
def dwolla(server: LiveServer) -> plaid_api.PlaidApi:
    """A processor partner's client, the partner created with the CLI."""
    return sdk_client(server, *create_partner(server.database_url, "dwolla"))
