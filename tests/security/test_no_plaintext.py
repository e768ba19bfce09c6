"""No token or secret in plaintext: not in a log line, not in the database.

One full run of the official plaid-python client against a server started with
`--access-log`, its stdout and stderr captured; then every token and secret that the run
saw is searched for in that output and in a byte copy of the database files.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.processor_stripe_bank_account_token_create_request import (
    ProcessorStripeBankAccountTokenCreateRequest,
)
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_get_request import (
    ProcessorTokenPermissionsGetRequest,
)
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.products import Products
from plaid.model.sandbox_processor_token_create_request import SandboxProcessorTokenCreateRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.helpers import LiveServer
from tokenbridge.domain.randomness import hash_token
from tokenbridge.http.routes import OPERATIONS

ROUTES = {op.path: op for op in OPERATIONS}


def sdk(server: LiveServer, client_id: str, secret: str) -> plaid_api.PlaidApi:
    configuration = plaid.Configuration(
        host=server.url, api_key={"clientId": client_id, "secret": secret}
    )
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


@dataclass
class Run:
    secrets: dict[str, str] = field(default_factory=dict)
    log: str = ""
    database: bytes = b""
    dump: str = ""


def create_partner(database_url: str) -> tuple[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "partners", "create", "--processor", "dwolla",
         "--json", "--database-url", database_url],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    record = json.loads(out)
    return record["client_id"], record["secret"]


def full_flow(server: LiveServer, run: Run) -> None:
    """Every operation of the core, a partner read, and a few refusals, through the SDK."""
    client = sdk(server, server.client_id, server.secret)
    run.secrets["secret"] = server.secret
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("auth")]
        )
    ).public_token
    run.secrets["public_token"] = public
    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    access = exchanged.access_token
    run.secrets["access_token"] = access
    accounts = client.accounts_get(AccountsGetRequest(access_token=access)).accounts
    client.item_get(ItemGetRequest(access_token=access))
    processor = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=access, account_id=accounts[0].account_id, processor="dwolla"
        )
    ).processor_token
    run.secrets["processor_token"] = processor
    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(processor_token=processor, products=[Products("auth")])
    )
    client.processor_token_permissions_get(
        ProcessorTokenPermissionsGetRequest(processor_token=processor)
    )
    btok = client.processor_stripe_bank_account_token_create(
        ProcessorStripeBankAccountTokenCreateRequest(
            access_token=access, account_id=accounts[0].account_id
        )
    ).stripe_bank_account_token
    run.secrets["stripe_bank_account_token"] = btok
    sandbox_processor = client.sandbox_processor_token_create(
        SandboxProcessorTokenCreateRequest(institution_id="ins_109508")
    ).processor_token
    run.secrets["sandbox_processor_token"] = sandbox_processor
    link_token = client.link_token_create(
        LinkTokenCreateRequest(
            client_name="App",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="user-1"),
            products=[Products("auth")],
        )
    ).link_token
    run.secrets["link_token"] = link_token
    client.link_token_get(LinkTokenGetRequest(link_token=link_token))

    if "/processor/auth/get" in ROUTES:
        from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest

        partner_id, partner_secret = create_partner(server.database_url)
        run.secrets["partner_secret"] = partner_secret
        partner = sdk(server, partner_id, partner_secret)
        partner.processor_auth_get(ProcessorAuthGetRequest(processor_token=processor))

    # Refusals: a wrong secret, a token in a broken body, a token another client owns.
    wrong = sdk(server, server.client_id, server.secret + "x")
    with pytest.raises(plaid.ApiException):
        wrong.item_get(ItemGetRequest(access_token=access))
    headers = {"PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret,
               "Content-Type": "application/json"}  # fmt: skip
    broken = ('{"access_token": "' + access + '",').encode()
    assert httpx.post(server.url + "/item/get", content=broken, headers=headers).status_code == 400
    duplicate = f'{{"access_token": "{access}", "access_token": "{access}"}}'.encode()
    assert httpx.post(server.url + "/item/get", content=duplicate, headers=headers).is_error
    # Credentials in the body rather than the headers.
    body = {"client_id": server.client_id, "secret": server.secret, "access_token": access}
    assert httpx.post(server.url + "/item/get", json=body).status_code == 200

    client.item_remove(ItemRemoveRequest(access_token=access))
    with pytest.raises(plaid.ApiException):
        client.item_get(ItemGetRequest(access_token=access))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root: Path = tmp_path_factory.mktemp("no-plaintext")
    log_path = root / "serve.log"
    server = LiveServer(
        f"sqlite:///{root / 'tb.db'}", extra_args=("--access-log",), log_path=log_path
    )
    with warnings.catch_warnings():
        # LiveServer hands its log file to the child and drops it unclosed in this process.
        warnings.simplefilter("ignore", ResourceWarning)
        server.start()
    result = Run()
    try:
        full_flow(server, result)
    finally:
        server.stop()
    result.log = log_path.read_text(errors="replace")
    copy = root / "copy"
    copy.mkdir()
    for path in root.glob("tb.db*"):
        shutil.copy(path, copy / path.name)
    result.database = b"".join(p.read_bytes() for p in sorted(copy.glob("tb.db*")))
    connection = sqlite3.connect(copy / "tb.db")
    result.dump = "\n".join(connection.iterdump())
    connection.close()
    yield result


def test_the_log_has_the_access_lines(run: Run) -> None:
    # The search below means something only if the requests were logged at all.
    assert '"POST /item/public_token/exchange HTTP/1.1" 200' in run.log
    assert '"POST /item/get HTTP/1.1" 400' in run.log


def test_no_token_or_secret_in_any_log_line(run: Run) -> None:
    assert len(run.secrets) >= 6
    for name, value in run.secrets.items():
        assert value not in run.log, f"the {name} is in the server's output"
        # Not even its random part (a token's prefix alone is no secret).
        assert value[-20:] not in run.log, f"part of the {name} is in the server's output"


def test_a_copy_of_the_database_reveals_no_token_or_secret(run: Run) -> None:
    for name, value in run.secrets.items():
        assert value.encode() not in run.database, f"the {name} is in the database file"
        assert value[-20:] not in run.dump, f"part of the {name} is in the database dump"
    # They are there, hashed: the search above looked in the right place. The pinned
    # secret (an operator chose it) is stored salted and stretched, not as its SHA-256.
    assert hash_token(run.secrets["access_token"]) in run.dump
    assert hash_token(run.secrets["secret"]) not in run.dump
    assert "'pbkdf2_sha256$600000$" in run.dump
