"""Property-based tests: schemathesis drives every operation of docs/openapi.json against a
live server. No answer may be a 5xx, break the documented schema, or be anything but JSON.

The example budget is fixed and the generation derandomized, so a run is repeatable and
takes seconds. Credentials go in the headers; the generated body credentials are removed
(they would only ever disagree with the headers: tests/hostile covers that row).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.helpers import LiveServer
from tokenbridge.domain.catalog import DEFAULT_API_VERSION
from tokenbridge.http import openapi
from tokenbridge.http.control import CONTROL_OPERATIONS
from tokenbridge.http.routes import OPERATIONS

ROUTES = {op.path: op for op in OPERATIONS}

schema = schemathesis.openapi.from_dict(openapi.build())
INSTITUTION = "ins_109508"
OWN_ITEM = ("/item/remove", "/sandbox/item/reset_login")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@schema.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in ("client_id", "secret")}
    return body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory: Path = tmp_path_factory.mktemp("schemathesis")
    # Generated webhook URLs are refused unless they point at this machine: nothing a fuzzed
    # /item/webhook/update sets can send a webhook anywhere else.
    live = LiveServer(f"sqlite:///{directory / 'tb.db'}", extra_args=("--seed", "fuzz"),
                      env={"TOKENBRIDGE_WEBHOOK_HOSTS": "127.0.0.1"})  # fmt: skip
    live.start()
    yield live
    live.stop()


class Tokens:
    """Real tokens to put into generated bodies, so that requests also get past the lookups
    and the 200 responses are checked against the document too."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=10, headers={
            "PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret})  # fmt: skip
        self.access_token, self.account_id = self.new_item()
        self.processor_token = self.post(
            "/sandbox/processor_token/create", {"institution_id": INSTITUTION}
        )["processor_token"]
        self.link_token = self.post("/link/token/create", {
            "client_name": "App", "language": "en", "country_codes": ["US"],
            "user": {"client_user_id": "u"}, "products": ["auth"],
            "institution_data": {"routing_number": "011401533"},
            "account_filters": {"depository": {"account_subtypes": ["checking"]}},
        })["link_token"]  # fmt: skip

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def public_token(self) -> str:
        body = {"institution_id": INSTITUTION, "initial_products": ["auth", "transactions"]}
        token: str = self.post("/sandbox/public_token/create", body)["public_token"]
        return token

    def new_item(self) -> tuple[str, str]:
        access: str = self.post(
            "/item/public_token/exchange", {"public_token": self.public_token()}
        )["access_token"]
        accounts = self.post("/accounts/get", {"access_token": access})["accounts"]
        return access, accounts[0]["account_id"]

    def substitute(self, path: str, body: dict[str, Any]) -> None:
        """Replace three in four generated tokens and ids with real ones (which ones is
        decided by the generated value, so a derandomized run stays repeatable)."""
        for key, value in list(body.items()):
            if not isinstance(value, str) or len(value) % 4 == 0:
                continue
            if key == "access_token":
                # /item/remove consumes its Item and /sandbox/item/reset_login breaks it:
                # give each one of its own.
                body[key] = self.new_item()[0] if path in OWN_ITEM else self.access_token
            elif key == "public_token":
                body[key] = self.public_token()
            elif key == "link_token":
                body[key] = self.link_token
            elif key in ("processor_token", "account_id"):
                body[key] = getattr(self, key)
            elif key == "institution_id":
                body[key] = INSTITUTION


@pytest.fixture(scope="module")
def tokens(server: LiveServer) -> Iterator[Tokens]:
    real = Tokens(server)
    yield real
    real.http.close()


def test_every_operation_is_fuzzed() -> None:
    # The control API's too, without the admin key: every one must refuse, never fail.
    operations = {result.ok().path for result in schema.get_all_operations()}
    assert operations == set(ROUTES) | {op.path for op in CONTROL_OPERATIONS}


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case: schemathesis.Case, server: LiveServer, tokens: Tokens) -> None:
    if isinstance(case.body, dict):
        tokens.substitute(case.path, case.body)
    headers = {"PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret}
    # A generated Plaid-Version stops nearly every request at INVALID_HEADERS; send a valid
    # one (tests/hostile covers the invalid ones).
    case.headers = {**(case.headers or {}), "Plaid-Version": DEFAULT_API_VERSION}
    response = case.call(base_url=server.url, headers=headers, timeout=10)
    case.validate_response(response, checks=CHECKS)
    # Every answer, success or error, is a JSON object; every error a PlaidError.
    body = response.json()
    assert isinstance(body, dict)
    if response.status_code != 200:
        assert {"error_type", "error_code", "error_message", "request_id"} <= set(body)
