"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a real
`tokenbridge serve`, with Items made through plaid-python.

A browser and a fresh context (cookies) per test. Where a test waits
for a webhook, it waits for the inbox to hold it (with a generous bound), never for a time.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.dashboard.chromium import installed_chromium
from tests.dashboard.conftest import BEARER, Linked, control, inbox_codes, link
from tests.helpers import ADMIN_KEY, LiveServer
from tokenbridge.domain.audit import token_id
from tokenbridge.domain.randomness import hash_token

# Where the screenshots of docs/DASHBOARD.md are written, when it is set.
SCREENSHOTS = os.environ.get("TOKENBRIDGE_DASHBOARD_SCREENSHOTS")


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A Chromium for one test. Not for longer: while Playwright's sync API runs, its event
    loop is the thread's running loop, and the tests that run a loop of their own (the API
    suite in process, the storage contract) cannot, even when pytest-xdist hands them to
    the same worker between two browser tests. A launch costs about a second."""
    executable = installed_chromium()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def operator(page: Page) -> Page:
    """A page logged in through the login form."""
    page.goto("/dashboard/")
    assert page.url.endswith("/dashboard/login")
    page.fill("#admin_key", ADMIN_KEY)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")
    return page


def wait_until(check: Callable[[], bool], what: str, bound: float = 30.0) -> None:
    deadline = time.monotonic() + bound
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.1)


def accounts_error(sdk: plaid_api.PlaidApi, linked: Linked) -> str | None:
    """The error_code of /accounts/get with the Item's access token, None if it answers."""
    try:
        sdk.accounts_get(AccountsGetRequest(access_token=linked.access_token))
    except plaid.ApiException as exc:
        code: str = json.loads(exc.body)["error_code"]
        return code
    return None


# Login ---------------------------------------------------------------------------------


def test_a_visitor_sees_the_login_page_and_no_data(page: Page, linked: Linked) -> None:
    page.goto(f"/dashboard/items/{linked.item_id}")
    assert page.url.endswith("/dashboard/login")
    expect(page.locator("h1")).to_have_text("Log in")
    assert linked.item_id not in page.content()


def test_a_wrong_key_is_refused_and_sets_no_cookie(page: Page, linked: Linked) -> None:
    page.goto("/dashboard/login")
    page.fill("#admin_key", "not-the-key")
    page.click("button[type=submit]")
    expect(page.locator("#error_code")).to_have_text("INVALID_ADMIN_KEY")
    expect(page.locator("#error_type")).to_have_text("INVALID_INPUT")
    assert page.context.cookies() == []
    page.goto("/dashboard/")
    assert page.url.endswith("/dashboard/login")
    assert linked.item_id not in page.content()


def test_the_session_cookie_is_http_only_and_strict(operator: Page) -> None:
    (cookie,) = operator.context.cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/dashboard"
    assert ADMIN_KEY not in cookie["value"]
    assert operator.evaluate("document.cookie") == ""


def test_logout(operator: Page) -> None:
    operator.click("text=Log out")
    expect(operator.locator(".flash")).to_have_text("Logged out.")
    operator.goto("/dashboard/")
    assert operator.url.endswith("/dashboard/login")


# Pages ---------------------------------------------------------------------------------


def test_the_overview_shows_the_items_made_through_the_sdk(
    operator: Page, linked: Linked, server: LiveServer
) -> None:
    operator.reload()
    row = operator.locator("table.items tr", has_text=linked.item_id)
    expect(row).to_contain_text("First Platypus Bank")
    expect(row).to_contain_text("healthy")
    expect(row).to_contain_text(server.client_id)
    assert int(operator.locator("#count-items").inner_text()) >= 1
    assert int(operator.locator("#count-clients").inner_text()) >= 1
    if SCREENSHOTS:
        operator.screenshot(path=str(Path(SCREENSHOTS) / "dashboard-overview.png"),
                            full_page=True)  # fmt: skip
    row.locator("a", has_text=linked.item_id).click()
    expect(operator.locator("h1")).to_contain_text(linked.item_id)


def test_an_item_page_shows_accounts_tokens_webhooks_and_audit(
    operator: Page, linked: Linked, server: LiveServer
) -> None:
    # The webhook update's acknowledgement reaches the inbox, and its attempt is recorded.
    wait_until(lambda: "WEBHOOK_UPDATE_ACKNOWLEDGED" in inbox_codes(server, linked.inbox_id),
               "the acknowledgement reached the inbox")  # fmt: skip
    operator.goto(f"/dashboard/items/{linked.item_id}")
    webhooks = operator.locator("table.webhooks")

    def attempt_shown() -> bool:
        if "HTTP 200" in webhooks.inner_text():
            return True
        operator.reload()
        return False

    wait_until(attempt_shown, "the delivery's attempt on the Item page")
    expect(operator.locator("#item-status")).to_have_text("healthy")
    expect(operator.locator("dl.facts")).to_contain_text(linked.inbox_id)
    expect(operator.locator("table.accounts")).to_contain_text("Plaid Checking")
    tokens = operator.locator("table.processor-tokens")
    expect(tokens).to_contain_text("dwolla")
    expect(tokens).to_contain_text("every product")
    expect(tokens).to_contain_text(token_id(hash_token(linked.processor_token)))
    expect(operator.locator("table.stripe-tokens")).to_contain_text("No Stripe tokens")
    expect(webhooks).to_contain_text("WEBHOOK_UPDATE_ACKNOWLEDGED")
    audit = operator.locator("table.audit")
    for action in ("item.create", "access_token.create", "processor_token.create"):
        expect(audit).to_contain_text(action)
    content = operator.content()
    assert linked.access_token not in content and linked.processor_token not in content
    if SCREENSHOTS:
        operator.screenshot(path=str(Path(SCREENSHOTS) / "dashboard-item.png"), full_page=True)


def test_the_client_and_partner_pages(operator: Page, server: LiveServer, linked: Linked) -> None:
    asked = {"client_id": server.client_id, "processor": "dwolla", "name": "Dwolla QA"}
    partner = control(server, "partner/create", asked)
    operator.goto(f"/dashboard/clients/{server.client_id}")
    expect(operator.locator("h1")).to_contain_text(server.client_id)
    expect(operator.locator("table.items")).to_contain_text(linked.item_id)
    operator.locator("a", has_text=partner["client_id"]).click()
    expect(operator.locator("h1")).to_contain_text(partner["client_id"])
    expect(operator.locator("dl.facts")).to_contain_text("dwolla")
    expect(operator.locator("dl.facts")).to_contain_text("never shown")
    assert partner["secret"] not in operator.content()


def test_the_webhooks_page_filters_by_item(operator: Page, linked: Linked) -> None:
    operator.goto("/dashboard/webhooks")
    operator.fill("input[name=item_id]", linked.item_id)
    operator.click("form.filters button")
    rows = operator.locator("table.webhooks tbody tr")
    expect(rows.first).to_contain_text(linked.item_id)
    for text in rows.all_inner_texts():
        assert linked.item_id in text


def test_the_audit_log_filters(operator: Page, linked: Linked, server: LiveServer) -> None:
    operator.goto("/dashboard/audit")
    operator.fill("input[name=item_id]", linked.item_id)
    operator.fill("input[name=action]", "item.create")
    operator.fill("input[name=since]", "2000-01-01T00:00")
    operator.click("form.filters button")
    rows = operator.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(server.client_id)
    operator.fill("input[name=until]", "2000-01-02T00:00")
    operator.click("form.filters button")
    expect(operator.locator("table.audit tbody")).to_contain_text("No entries.")


def test_search_finds_items_and_clients(operator: Page, linked: Linked, server: LiveServer) -> None:
    operator.fill("input[name=q]", linked.item_id)
    operator.click("form.search button")
    expect(operator.locator("table.items")).to_contain_text(linked.item_id)
    operator.fill("input[name=q]", server.client_id)
    operator.click("form.search button")
    expect(operator.locator("main table").nth(1)).to_contain_text(server.client_id)


# Actions -------------------------------------------------------------------------------


def test_reset_login_makes_the_api_answer_item_login_required(
    operator: Page, server: LiveServer, sdk: plaid_api.PlaidApi
) -> None:
    mine = link(server, sdk)
    assert accounts_error(sdk, mine) is None
    operator.goto(f"/dashboard/items/{mine.item_id}")
    operator.click("button:has-text('Reset login')")
    expect(operator.locator(".flash")).to_contain_text("ITEM_LOGIN_REQUIRED")
    expect(operator.locator("#item-status")).to_have_text("ITEM_LOGIN_REQUIRED")
    expect(operator.locator("#item-error")).to_contain_text("ITEM_ERROR / ITEM_LOGIN_REQUIRED")
    assert accounts_error(sdk, mine) == "ITEM_LOGIN_REQUIRED"
    row = operator.locator("table.audit tr", has_text="item.reset_login")
    expect(row).to_contain_text("operator")
    wait_until(lambda: "ERROR" in inbox_codes(server, mine.inbox_id), "the ITEM ERROR webhook")

    # Repair: healthy again, and LOGIN_REPAIRED goes out.
    operator.click("button:has-text('Repair')")
    expect(operator.locator(".flash")).to_contain_text("healthy again")
    expect(operator.locator("#item-status")).to_have_text("healthy")
    assert accounts_error(sdk, mine) is None
    expect(operator.locator("table.audit tr", has_text="item.repair")).to_contain_text("operator")
    wait_until(lambda: "LOGIN_REPAIRED" in inbox_codes(server, mine.inbox_id),
               "the LOGIN_REPAIRED webhook")  # fmt: skip
    operator.click("button:has-text('Repair')")
    expect(operator.locator(".flash")).to_contain_text("nothing to repair")


def test_fire_a_chosen_webhook(operator: Page, server: LiveServer, sdk: plaid_api.PlaidApi) -> None:
    mine = link(server, sdk)
    operator.goto(f"/dashboard/items/{mine.item_id}")
    operator.select_option("select[name=webhook_code]", "NEW_ACCOUNTS_AVAILABLE")
    operator.click("button:has-text('Fire webhook')")
    expect(operator.locator(".flash")).to_contain_text("outbox")
    wait_until(lambda: "NEW_ACCOUNTS_AVAILABLE" in inbox_codes(server, mine.inbox_id),
               "the fired webhook")  # fmt: skip
    row = operator.locator("table.audit tr", has_text="item.webhook.fire")
    expect(row).to_contain_text("operator")
    expect(row).to_contain_text("ITEM NEW_ACCOUNTS_AVAILABLE")
    # A code the Item's products do not allow is refused with the API's error.
    operator.select_option("select[name=webhook_code]", "SYNC_UPDATES_AVAILABLE")
    operator.click("button:has-text('Fire webhook')")
    expect(operator.locator("#error_code")).to_have_text("SANDBOX_PRODUCT_NOT_ENABLED")


def test_remove_the_item(operator: Page, server: LiveServer, sdk: plaid_api.PlaidApi) -> None:
    mine = link(server, sdk)
    operator.goto(f"/dashboard/items/{mine.item_id}")
    operator.click("button:has-text('Remove Item')")
    expect(operator.locator(".flash")).to_contain_text("removed")
    expect(operator.locator("#item-status")).to_have_text("removed")
    expect(operator.locator(".actions")).to_have_count(0)
    assert accounts_error(sdk, mine) == "INVALID_ACCESS_TOKEN"
    expect(operator.locator("table.audit tr", has_text="item.remove")).to_contain_text("operator")


def test_a_post_without_the_csrf_token_changes_nothing(
    operator: Page, server: LiveServer, sdk: plaid_api.PlaidApi
) -> None:
    mine = link(server, sdk)
    # The browser's own cookie, but no token (as another page's script would send it).
    for form in ({}, {"csrf_token": "f" * 64}):
        answer = operator.request.post(f"/dashboard/items/{mine.item_id}/remove",
                                       form={"other": "1", **form})  # fmt: skip
        assert answer.status == 403
        assert "CSRF_TOKEN_INVALID" in answer.text()
    assert accounts_error(sdk, mine) is None
    page = httpx.get(f"{server.url}/dashboard/items/{mine.item_id}", headers=BEARER).text
    assert "<td>item.remove</td>" not in page


def test_advance_a_clients_clock_and_add_a_fault(operator: Page, server: LiveServer) -> None:
    made = control(server, "client/create", {"name": "browser clock"})
    cfg = plaid.Configuration(
        host=server.url, api_key={"clientId": made["client_id"], "secret": made["secret"]}
    )
    theirs = plaid_api.PlaidApi(plaid.ApiClient(cfg))
    mine = link(server, theirs)
    operator.goto(f"/dashboard/clients/{made['client_id']}")
    expect(operator.locator("#client-clock")).to_contain_text("real time")
    operator.select_option("select[name=advance]", "30 days")
    operator.click("button:has-text('Advance clock')")
    expect(operator.locator(".flash")).to_contain_text("clock moved on")
    expect(operator.locator("#client-clock")).to_contain_text("2592000 s ahead")
    assert accounts_error(theirs, mine) == "ITEM_LOGIN_REQUIRED"
    wait_until(lambda: "ERROR" in inbox_codes(server, mine.inbox_id), "the ITEM ERROR webhook")

    operator.select_option("select[name=path]", "/item/get")
    operator.select_option("select[name=error_code]", "INTERNAL_SERVER_ERROR")
    operator.click("button:has-text('Add fault')")
    expect(operator.locator(".flash")).to_contain_text("fault rule is added")
    expect(operator.locator("table.faults")).to_contain_text("/item/get")
    operator.click("button:has-text('Clear faults')")
    expect(operator.locator(".flash")).to_contain_text("fault rules are removed")
