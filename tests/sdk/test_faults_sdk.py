"""Fault rules through plaid-python against a live `tokenbridge serve` (docs/TESTING.md,
Faults): each kind of fault for one client's world, while another client at the same
moment gets its answers as usual; the control API's refusals; and a server's own rules
(`serve --faults FILE`)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import plaid
import pytest
import urllib3
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest

from tests.conftest import chosen_database
from tests.helpers import ADMIN_KEY, LiveServer, assert_plaid_error, free_port
from tests.sdk.conftest import Linked, api_error, link, sdk_client

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def control(server: LiveServer, operation: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/_tokenbridge/control/{operation}", json=body,
                      headers=ADMIN, timeout=10)  # fmt: skip


def control_ok(server: LiveServer, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = control(server, operation, body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


class World:
    """An isolated client (through the control API), its SDK client and one Item."""

    def __init__(self, server: LiveServer) -> None:
        made = control_ok(server, "client/create", {})
        self.server = server
        self.client_id: str = made["client_id"]
        self.secret: str = made["secret"]
        self.sdk = sdk_client(server, self.client_id, self.secret)
        self.item: Linked = link(self.sdk)

    def add(self, path: str, **rule: Any) -> str:
        made = control_ok(self.server, "fault/add", {"client_id": self.client_id, "path": path,
                                                     **rule})  # fmt: skip
        rule_id: str = made["rule_id"]
        return rule_id

    def accounts(self) -> Any:
        return self.sdk.accounts_get(AccountsGetRequest(access_token=self.item.access_token))

    def partner(self, processor: str = "dwolla") -> plaid_api.PlaidApi:
        made = control_ok(self.server, "partner/create",
                          {"client_id": self.client_id, "processor": processor})  # fmt: skip
        return sdk_client(self.server, made["client_id"], made["secret"])


@pytest.fixture
def world(server: LiveServer) -> Iterator[World]:
    made = World(server)
    yield made
    control_ok(server, "client/reset", {"client_id": made.client_id})


@pytest.fixture
def bystander(server: LiveServer) -> World:
    """Another client, calling at the same moment: it must see no fault."""
    return World(server)


# Each kind of fault ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "error_type", "message"),
    [
        ("INSTITUTION_DOWN", 400, "INSTITUTION_ERROR",
         "this institution is not currently responding to this request. please try again soon"),
        ("INSTITUTION_NOT_RESPONDING", 400, "INSTITUTION_ERROR",
         "this institution is not currently responding to this request. please try again soon"),
        ("ITEM_LOGIN_REQUIRED", 400, "ITEM_ERROR", None),
        ("INTERNAL_SERVER_ERROR", 500, "API_ERROR", "an unexpected error occurred"),
        ("PLANNED_MAINTENANCE", 503, "API_ERROR", None),
        ("PRODUCT_NOT_READY", 400, "ITEM_ERROR",
         "the requested product is not yet ready. please provide a webhook or try the request"
         " again later"),
        ("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", 400, "TRANSACTIONS_ERROR", None),
        ("INVALID_ACCESS_TOKEN", 400, "INVALID_INPUT", "could not find matching access token"),
        ("TRANSACTIONS_SYNC_LIMIT", 429, "RATE_LIMIT_EXCEEDED",
         "rate limit exceeded for attempts to access this item. please try again later"),
    ],
)  # fmt: skip
def test_an_error_by_its_code(
    world: World, bystander: World, code: str, status: int, error_type: str, message: str | None
) -> None:
    world.add("/accounts/get", error_code=code)
    body = api_error(world.accounts, status, error_type, code)
    if message is not None:
        assert body["error_message"] == message
    assert body["error_message"]
    assert body["documentation_url"].startswith("https://plaid.com/docs/errors/")
    assert body["request_id"]
    # times defaults to 1: the next call is answered as usual, and the other client's
    # calls never saw the rule.
    assert len(world.accounts().accounts) == len(world.item.account_ids)
    assert len(bystander.accounts().accounts) == len(bystander.item.account_ids)


def test_rate_limit_exceeded_names_plaids_generic_code(world: World) -> None:
    world.add("/item/get", error_code="RATE_LIMIT_EXCEEDED")
    request = ItemGetRequest(access_token=world.item.access_token)
    body = api_error(lambda: world.sdk.item_get(request), 429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT")
    assert body["error_message"] == (
        "rate limit exceeded for attempts to access this item. please try again later"
    )


def test_a_status_overrides_the_errors(world: World) -> None:
    world.add("/accounts/get", error_code="INSTITUTION_DOWN", status=503)
    api_error(world.accounts, 503, "INSTITUTION_ERROR", "INSTITUTION_DOWN")
    world.add("/accounts/get", status=502)
    api_error(world.accounts, 502, "API_ERROR", "INTERNAL_SERVER_ERROR")
    world.accounts()


def test_times_then_the_usual_answer(world: World, bystander: World) -> None:
    world.add("/accounts/get", error_code="INTERNAL_SERVER_ERROR", times=3)
    for _ in range(3):
        api_error(world.accounts, 500, "API_ERROR", "INTERNAL_SERVER_ERROR")
        bystander.accounts()
    world.accounts()
    world.accounts()
    assert control_ok(world.server, "fault/list", {"client_id": world.client_id}) == {"rules": []}


def test_a_rule_for_every_call_lasts_until_removed(world: World) -> None:
    rule_id = world.add("/accounts/get", error_code="INSTITUTION_DOWN", times=None)
    for _ in range(5):
        api_error(world.accounts, 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")
    listed = control_ok(world.server, "fault/list", {"client_id": world.client_id})["rules"]
    assert [(r["rule_id"], r["times_left"]) for r in listed] == [(rule_id, None)]
    removed = control_ok(world.server, "fault/remove",
                         {"client_id": world.client_id, "rule_id": rule_id})  # fmt: skip
    assert removed == {"removed": 1}
    world.accounts()


def test_a_share_of_the_calls(world: World) -> None:
    world.add("/accounts/get", error_code="INSTITUTION_DOWN", times=None, probability=0.5)
    failed = 0
    # 120 calls: the ~60 answered stay under the Sandbox's 100 /accounts/get a minute per
    # Item (domain/ratelimits.py); a faulted call is not counted.
    for _ in range(120):
        try:
            world.accounts()
        except plaid.ApiException as exc:
            assert exc.status == 400
            assert json.loads(exc.body)["error_code"] == "INSTITUTION_DOWN"
            failed += 1
    # Binomial(120, 0.5): outside 30..90 (5.4 standard deviations) with a chance below 1e-7.
    assert 30 <= failed <= 90


def test_latency_delays_the_usual_answer(world: World) -> None:
    world.add("/accounts/get", latency_ms=300)
    started = time.monotonic()
    accounts = world.accounts().accounts
    # A lower bound only: it cannot fail on a slow machine.
    assert time.monotonic() - started >= 0.3
    assert [a.account_id for a in accounts] == world.item.account_ids


def test_latency_with_an_error(world: World) -> None:
    world.add("/accounts/get", latency_ms=100, error_code="INSTITUTION_NOT_RESPONDING")
    started = time.monotonic()
    api_error(world.accounts, 400, "INSTITUTION_ERROR", "INSTITUTION_NOT_RESPONDING")
    assert time.monotonic() - started >= 0.1


def test_drop_closes_the_connection_without_an_answer(world: World, bystander: World) -> None:
    world.add("/accounts/get", drop=True)
    with pytest.raises(urllib3.exceptions.HTTPError):
        world.accounts()
    bystander.accounts()
    assert len(world.accounts().accounts) == len(world.item.account_ids)


def test_drop_sends_not_a_byte(world: World) -> None:
    world.add("/accounts/get", drop=True)
    body = json.dumps({"access_token": world.item.access_token}).encode()
    request = (
        b"POST /accounts/get HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"PLAID-CLIENT-ID: {world.client_id}\r\nPLAID-SECRET: {world.secret}\r\n".encode()
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )
    with socket.create_connection(("127.0.0.1", world.server.port), timeout=10) as sock:
        sock.sendall(request)
        assert sock.recv(65536) == b""  # closed, nothing sent


def test_a_partners_call_is_faulted_through_its_clients_rule(
    world: World, bystander: World
) -> None:
    dwolla = world.partner()
    others = bystander.partner()
    token = world.sdk.processor_token_create(ProcessorTokenCreateRequest(
        access_token=world.item.access_token, account_id=world.item.account_ids[0],
        processor="dwolla",
    )).processor_token  # fmt: skip
    theirs = bystander.sdk.processor_token_create(ProcessorTokenCreateRequest(
        access_token=bystander.item.access_token, account_id=bystander.item.account_ids[0],
        processor="dwolla",
    )).processor_token  # fmt: skip
    world.add("/processor/auth/get", error_code="INSTITUTION_DOWN", times=2)
    for _ in range(2):
        api_error(lambda: dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=token)),
                  400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")  # fmt: skip
        others.processor_auth_get(ProcessorAuthGetRequest(processor_token=theirs))
    auth = dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=token))
    assert auth.account.account_id == world.item.account_ids[0]


def test_a_rule_names_one_path(world: World) -> None:
    world.add("/item/get", error_code="ITEM_LOGIN_REQUIRED")
    world.accounts()
    api_error(lambda: world.sdk.item_get(ItemGetRequest(access_token=world.item.access_token)),
              400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")  # fmt: skip


def test_a_client_reset_ends_its_rules(server: LiveServer) -> None:
    made = World(server)
    made.add("/accounts/get", error_code="INSTITUTION_DOWN", times=None)
    control_ok(server, "client/reset", {"client_id": made.client_id})
    assert control_ok(server, "fault/list", {"client_id": made.client_id}) == {"rules": []}
    item = link(made.sdk)
    made.sdk.accounts_get(AccountsGetRequest(access_token=item.access_token))


def test_the_shared_sandbox_client_may_have_rules(server: LiveServer, client: Any) -> None:
    item = link(client)
    control_ok(server, "fault/add", {"client_id": server.client_id, "path": "/accounts/get",
                                     "error_code": "INSTITUTION_DOWN"})  # fmt: skip
    api_error(lambda: client.accounts_get(AccountsGetRequest(access_token=item.access_token)),
              400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")  # fmt: skip
    client.accounts_get(AccountsGetRequest(access_token=item.access_token))


# The control API's refusals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"path": "/accounts/gett", "error_code": "INSTITUTION_DOWN"}, "path must be one of"),
        ({"path": "/_tokenbridge/control/reset", "drop": True}, "path must be one of"),
        ({"path": "/accounts/get", "error_code": "NOT_A_CODE"}, "unknown error_code"),
        ({"path": "/accounts/get", "error_code": 7}, "error_code"),
        ({"path": "/accounts/get", "error_code": "INSTITUTION_DOWN", "times": 0}, "times"),
        ({"path": "/accounts/get", "error_code": "INSTITUTION_DOWN", "times": 1.5}, "times"),
        ({"path": "/accounts/get", "error_code": "INSTITUTION_DOWN", "probability": 0},
         "probability"),
        ({"path": "/accounts/get", "error_code": "INSTITUTION_DOWN", "probability": 1.01},
         "probability"),
        ({"path": "/accounts/get", "error_code": "INSTITUTION_DOWN", "probability": "1"},
         "probability"),
        ({"path": "/accounts/get", "error_code": "INSTITUTION_DOWN", "times": True}, "times"),
        ({"path": "/accounts/get", "error_code": "INSTITUTION_DOWN", "colour": "red"}, "colour"),
        ({"path": "/accounts/get", "status": 399}, "status"),
        ({"path": "/accounts/get", "status": 600}, "status"),
        ({"path": "/accounts/get", "latency_ms": -1}, "latency_ms"),
        ({"path": "/accounts/get", "latency_ms": 60001}, "latency_ms"),
        ({"path": "/accounts/get", "drop": "yes"}, "drop"),
        ({"path": "/accounts/get", "drop": True, "error_code": "INSTITUTION_DOWN"}, "drops"),
        ({"path": "/accounts/get"}, "a rule needs"),
    ],
)  # fmt: skip
def test_a_rule_that_is_not_one_is_refused(world: World, rule: dict[str, Any], words: str) -> None:
    response = control(world.server, "fault/add", {"client_id": world.client_id, **rule})
    body = assert_plaid_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert words in body["error_message"]
    assert control_ok(world.server, "fault/list", {"client_id": world.client_id}) == {"rules": []}


def test_an_unknown_client_or_a_partner_is_refused(world: World) -> None:
    rule = {"path": "/accounts/get", "error_code": "INSTITUTION_DOWN"}
    body = assert_plaid_error(
        control(world.server, "fault/add", {"client_id": "no-such-client", **rule}),
        400, "INVALID_REQUEST", "INVALID_FIELD",
    )  # fmt: skip
    assert body["error_message"] == "unknown client_id"
    partner = control_ok(world.server, "partner/create",
                         {"client_id": world.client_id, "processor": "dwolla"})  # fmt: skip
    for operation, extra in (("fault/add", rule), ("fault/list", {}),
                             ("fault/remove", {"all": True})):  # fmt: skip
        assert_plaid_error(
            control(world.server, operation, {"client_id": partner["client_id"], **extra}),
            400, "INVALID_REQUEST", "INVALID_FIELD",
        )  # fmt: skip


def test_remove_takes_a_rule_id_or_all(world: World) -> None:
    world.add("/accounts/get", error_code="INSTITUTION_DOWN")
    world.add("/item/get", error_code="INSTITUTION_DOWN")
    for body in ({}, {"rule_id": "x", "all": True}):
        assert_plaid_error(control(world.server, "fault/remove",
                                   {"client_id": world.client_id, **body}),
                           400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert_plaid_error(control(world.server, "fault/remove",
                               {"client_id": world.client_id, "rule_id": "fault-unknown"}),
                       400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert control_ok(
        world.server, "fault/remove", {"client_id": world.client_id, "all": True}
    ) == {"removed": 2}
    world.accounts()


def test_the_control_api_needs_the_admin_key(world: World) -> None:
    response = httpx.post(f"{world.server.url}/_tokenbridge/control/fault/add", json={
        "client_id": world.client_id, "path": "/accounts/get", "drop": True,
    }, headers={"PLAID-CLIENT-ID": world.client_id, "PLAID-SECRET": world.secret})  # fmt: skip
    assert_plaid_error(response, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")
    world.accounts()


# Two servers over one database ----------------------------------------------------------


def test_times_counts_across_servers(server: LiveServer, tmp_path: Path) -> None:
    second = LiveServer(server.database_url, log_path=tmp_path / "second.log").start()
    try:
        made = World(server)
        made.add("/accounts/get", error_code="INTERNAL_SERVER_ERROR", times=3)
        there = sdk_client(second, made.client_id, made.secret)
        calls = [made.sdk, there] * 4
        failed = 0
        for sdk in calls:
            try:
                sdk.accounts_get(AccountsGetRequest(access_token=made.item.access_token))
            except plaid.ApiException as exc:
                assert exc.status == 500
                failed += 1
        assert failed == 3
    finally:
        second.stop()


# A server's own rules (--faults FILE) ---------------------------------------------------


def test_a_faults_file_applies_to_every_client(tmp_path: Path) -> None:
    rules = tmp_path / "faults.json"
    rules.write_text(json.dumps([
        {"path": "/item/get", "error_code": "PLANNED_MAINTENANCE"},
        {"path": "/auth/get", "error_code": "INSTITUTION_DOWN", "times": 2},
    ]))  # fmt: skip
    with chosen_database(tmp_path) as url:
        live = LiveServer(url, log_path=tmp_path / "serve.log",
                          extra_args=("--faults", str(rules))).start()  # fmt: skip
        try:
            sandbox = sdk_client(live)
            other = World(live)
            item = link(sandbox)
            for sdk, token in ((sandbox, item.access_token),
                               (other.sdk, other.item.access_token)):  # fmt: skip
                api_error(lambda: sdk.item_get(ItemGetRequest(access_token=token)),  # noqa: B023
                          503, "API_ERROR", "PLANNED_MAINTENANCE")  # fmt: skip
                api_error(lambda: sdk.auth_get(AuthGetRequest(access_token=token)),  # noqa: B023
                          400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")  # fmt: skip
            # times=2 is spent, by every client together; the rule without times lasts.
            sandbox.auth_get(AuthGetRequest(access_token=item.access_token))
            api_error(lambda: sandbox.item_get(ItemGetRequest(access_token=item.access_token)),
                      503, "API_ERROR", "PLANNED_MAINTENANCE")  # fmt: skip
        finally:
            live.stop()


def test_the_workers_of_a_server_read_its_faults_file(tmp_path: Path) -> None:
    rules = tmp_path / "faults.json"
    rules.write_text(json.dumps([{"path": "/item/get", "error_code": "INTERNAL_SERVER_ERROR"}]))
    with chosen_database(tmp_path) as url:
        args = ("--workers", "2", "--faults", str(rules))
        live = LiveServer(url, log_path=tmp_path / "serve.log", extra_args=args).start()
        try:
            item = link(sdk_client(live))
            # A new connection for each call: the workers share them out between them.
            for _ in range(8):
                with plaid.ApiClient(plaid.Configuration(host=live.url, api_key={
                    "clientId": live.client_id, "secret": live.secret,
                })) as api_client:  # fmt: skip
                    sdk = plaid_api.PlaidApi(api_client)
                    api_error(lambda: sdk.item_get(ItemGetRequest(access_token=item.access_token)),  # noqa: B023
                              500, "API_ERROR", "INTERNAL_SERVER_ERROR")  # fmt: skip
        finally:
            live.stop()
        assert "fault rules for every client: 1" in (tmp_path / "serve.log").read_text()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json", "not JSON"),
        ('{"path": "/item/get"}', "must be a JSON list"),
        ('[{"path": "/item/gett", "drop": true}]', "rule 1: path must be one of"),
        ('[{"path": "/item/get", "drop": true}, {"path": "/item/get", "error_code": "NOPE"}]',
         "rule 2: unknown error_code"),
        ('[{"path": "/item/get", "drop": true, "client_id": "x"}]', "unknown fields client_id"),
        (None, "cannot read it"),
    ],
)  # fmt: skip
def test_a_bad_faults_file_stops_the_server(tmp_path: Path, text: str | None, words: str) -> None:
    rules = tmp_path / "faults.json"
    if text is not None:
        rules.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "tokenbridge", "serve", "--port", str(free_port()),
         "--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}", "--faults", str(rules)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr
    assert str(rules) in done.stderr
    assert "Traceback" not in done.stderr
