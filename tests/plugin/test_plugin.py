"""The pytest plugin, run as its users run it: suites of their own, in a pytest of their own
(pytester, in a subprocess), against the real `tokenbridge serve` the plugin starts."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

# What every suite below imports.
IMPORTS = """
import json
import pathlib

import plaid
import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)


def link(client, webhook=None):
    options = SandboxPublicTokenCreateRequestOptions(webhook=webhook) if webhook else None
    request = SandboxPublicTokenCreateRequest(
        institution_id="ins_109508", initial_products=[Products("auth"), Products("transactions")]
    )
    if options:
        request.options = options
    public = client.sandbox_public_token_create(request).public_token
    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    accounts = client.accounts_get(AccountsGetRequest(access_token=exchanged.access_token))
    return exchanged, accounts.accounts[0].account_id


def error_code(call):
    with pytest.raises(plaid.ApiException) as caught:
        call()
    return json.loads(caught.value.body)["error_code"]
"""

# Each test links an Item, hands it to Dwolla and waits for its webhook, then tries every
# token the tests before it wrote down (on this server or another worker's): none works for
# this test's client or partner, and its inbox holds only its own Item's webhooks.
ISOLATION = (
    IMPORTS
    + """

SHARED = pathlib.Path({shared!r})


@pytest.mark.parametrize("n", range(4))
def test_isolated(n, plaid_client, plaid_partner, webhook_inbox):
    exchanged, account_id = link(plaid_client, webhook_inbox.url)
    token = plaid_client.processor_token_create(ProcessorTokenCreateRequest(
        access_token=exchanged.access_token, account_id=account_id, processor="dwolla",
    )).processor_token
    dwolla = plaid_partner("dwolla")
    assert dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=token)).account
    assert webhook_inbox.wait("INITIAL_UPDATE")["item_id"] == exchanged.item_id
    for other in SHARED.glob("*.json"):
        seen = json.loads(other.read_text())
        assert error_code(lambda: plaid_client.item_get(
            ItemGetRequest(access_token=seen["access_token"]))) == "INVALID_ACCESS_TOKEN"
        assert error_code(lambda: dwolla.processor_auth_get(
            ProcessorAuthGetRequest(processor_token=seen["processor_token"]))
        ) == "INVALID_PROCESSOR_TOKEN"
    mine = {{json.loads(d["body"]).get("item_id") for d in webhook_inbox.received}}
    assert mine == {{exchanged.item_id}}
    (SHARED / f"{{n}}-{{exchanged.item_id}}.json").write_text(json.dumps({{
        "access_token": exchanged.access_token, "processor_token": token,
    }}))
"""
)


def readme_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    found = [b for b in blocks if "plaid_client" in b]
    assert len(found) == 1, "the README shows one pytest example"
    return found[0]


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=readme_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("workers", [None, "2"])
def test_tests_never_see_each_others_items_tokens_or_webhooks(
    pytester: pytest.Pytester, tmp_path: Path, workers: str | None
) -> None:
    shared = tmp_path / "seen"
    shared.mkdir()
    pytester.makepyfile(test_isolation=ISOLATION.format(shared=str(shared)))
    args = ["-p", "no:cacheprovider"] + (["-n", workers] if workers else ["-p", "no:xdist"])
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=4)
    assert len(list(shared.glob("*.json"))) == 4
    if workers:
        # Two workers, each with its own server.
        assert "2 workers" in result.stdout.str()


def test_unused_fixtures_cost_nothing(pytester: pytest.Pytester) -> None:
    # A suite that uses none of the fixtures: the plugin is loaded (its option is known),
    # but no server runs and neither plaid-python nor the server's code is imported.
    pytester.makepyfile(
        test_plain="""
import os
import sys


def test_nothing_of_tokenbridge_runs(pytestconfig):
    assert pytestconfig.getoption("--tokenbridge-url", default="absent") != "absent"
    assert "tokenbridge.testing.plugin" in sys.modules
    for name in ("plaid", "jwt", "httpx", "msgspec", "tokenbridge.app", "tokenbridge.domain"):
        assert name not in sys.modules, name
    children = [
        pid for task in os.listdir("/proc/self/task")
        for pid in open(f"/proc/self/task/{task}/children").read().split()
    ]
    assert children == []
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(f"sqlite:///{tmp_path / 'tb.db'}", env={"TOKENBRIDGE_ADMIN_KEY": ADMIN_KEY})
    server.start()
    yield server
    server.stop()


ADMIN_KEY = "plugin-test-admin-key-0123456789"


def test_a_running_server_is_used_with_its_admin_key(
    pytester: pytest.Pytester, running: LiveServer
) -> None:
    pytester.makepyfile(
        test_running=IMPORTS
        + f"""

def test_on_the_running_server(plaid_credentials, plaid_client, tokenbridge_server):
    assert plaid_credentials.url == {running.url!r}
    assert tokenbridge_server.process is None
    exchanged, _ = link(plaid_client)
    assert plaid_client.item_get(ItemGetRequest(access_token=exchanged.access_token)).item
"""
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--tokenbridge-url", running.url,
        "--tokenbridge-admin-key", ADMIN_KEY,
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    # Without the key the fixtures refuse to start, saying why.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--tokenbridge-url", running.url
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--tokenbridge-url needs the server's admin key*"])
    # With a wrong one, the control API's refusal.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--tokenbridge-url", running.url,
        "--tokenbridge-admin-key", "not-the-admin-key-of-it",
    )  # fmt: skip
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*401 INVALID_ADMIN_KEY*"])


def test_wait_fails_saying_what_arrived_and_refuses_what_is_not_signed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_waits=IMPORTS
        + """
import urllib.request


def post(url, body, headers):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    urllib.request.urlopen(request).close()


def test_nothing_of_that_code(plaid_client, webhook_inbox):
    link(plaid_client, webhook_inbox.url)
    webhook_inbox.wait("INITIAL_UPDATE")
    webhook_inbox.wait("NO_SUCH_CODE", timeout=0.5)


def test_unsigned(webhook_inbox):
    post(webhook_inbox.url, b'{"webhook_code": "FORGED"}', {})
    webhook_inbox.wait("FORGED")


def test_tampered(plaid_client, webhook_inbox):
    link(plaid_client, webhook_inbox.url)
    webhook_inbox.wait("INITIAL_UPDATE")
    real = next(d for d in webhook_inbox.received if "INITIAL_UPDATE" in d["body"])
    body = real["body"].replace('"new_transactions":', '"new_transactions":1')
    post(webhook_inbox.url, body.replace("INITIAL_UPDATE", "TAMPERED").encode(),
         {"Plaid-Verification": real["headers"]["plaid-verification"]})
    webhook_inbox.wait("TAMPERED")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*no NO_SUCH_CODE webhook arrived within 0.5 s; arrived: *HISTORICAL_UPDATE*",
        "*the webhook has no Plaid-Verification header*",
        "*the webhook's body is not the one that was signed*",
    ], consecutive=False)  # fmt: skip


@pytest.mark.postgres
def test_the_server_runs_over_the_database_given(pytester: pytest.Pytester) -> None:
    url = os.environ.get("TOKENBRIDGE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("TOKENBRIDGE_TEST_POSTGRES_URL is not set (CI=true)", pytrace=False)
        pytest.skip("TOKENBRIDGE_TEST_POSTGRES_URL is not set")
    pytester.makepyfile(test_readme_example=readme_example())
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--tokenbridge-database-url", url
    )
    result.assert_outcomes(passed=1)


TESTING = ROOT / "docs" / "TESTING.md"


def clock_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", TESTING.read_text(), flags=re.DOTALL)
    found = [b for b in blocks if "tokenbridge_clock.advance" in b]
    assert len(found) == 1, "docs/TESTING.md shows one clock example"
    return found[0]


def test_tokenbridge_clock_moves_one_tests_world(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_clock=clock_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=2)
