"""The dashboard's edges over plain HTTP: who gets in, which forms are refused, and the
headers every page carries. Fast: no browser."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import httpx
import plaid
import pytest
from itsdangerous import URLSafeTimedSerializer
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tests.dashboard.conftest import BEARER, Linked, control, link
from tests.helpers import ADMIN_KEY, LiveServer
from tokenbridge.domain.audit import token_id
from tokenbridge.domain.randomness import hash_token

COOKIE = "tokenbridge_dashboard"


def assert_error_page(
    response: httpx.Response, status: int, error_type: str, error_code: str
) -> None:
    """A refusal: the status, and the page's error_type and error_code."""
    assert response.status_code == status, response.text
    shown = dict(re.findall(r'id="(error_type|error_code)"[^>]*>(?:<code>)?([A-Z_]+)',
                            response.text))  # fmt: skip
    assert shown == {"error_type": error_type, "error_code": error_code}, response.text


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    """A logged-in client: the session cookie the login form sets."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        answer = client.post("/dashboard/login", data={"admin_key": ADMIN_KEY})
        assert answer.status_code == 303
        yield client


def csrf_of(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert found is not None
    return found.group(1)


def healthy(sdk: plaid_api.PlaidApi, linked: Linked) -> bool:
    try:
        sdk.accounts_get(AccountsGetRequest(access_token=linked.access_token))
    except plaid.ApiException as exc:
        assert "ITEM_LOGIN_REQUIRED" in exc.body
        return False
    return True


# Who gets in ---------------------------------------------------------------------------


def test_a_visitor_without_the_key_is_sent_to_the_login_page(
    server: LiveServer, linked: Linked
) -> None:
    for path in ("/dashboard/", f"/dashboard/items/{linked.item_id}", "/dashboard/audit"):
        answer = httpx.get(server.url + path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/login"
        assert linked.item_id not in answer.text
    login = httpx.get(server.url + "/dashboard/login")
    assert login.status_code == 200
    assert 'name="admin_key"' in login.text
    assert linked.item_id not in login.text


def test_dashboard_without_its_slash_is_the_dashboard(server: LiveServer) -> None:
    answer = httpx.get(server.url + "/dashboard", headers=BEARER)
    assert answer.status_code == 200
    assert "Overview" in answer.text


def test_a_wrong_bearer_key_is_refused_with_401_and_no_data(
    server: LiveServer, linked: Linked
) -> None:
    for path in ("/dashboard/", f"/dashboard/items/{linked.item_id}", "/dashboard/webhooks"):
        answer = httpx.get(server.url + path, headers={"Authorization": "Bearer wrong"})
        assert_error_page(answer, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert linked.item_id not in answer.text


def test_the_right_bearer_key_shows_the_items(server: LiveServer, linked: Linked) -> None:
    answer = httpx.get(server.url + "/dashboard/", headers=BEARER)
    assert answer.status_code == 200
    assert linked.item_id in answer.text


def test_a_wrong_key_at_the_login_form_sets_no_cookie(server: LiveServer) -> None:
    answer = httpx.post(server.url + "/dashboard/login", data={"admin_key": "nope"})
    assert_error_page(answer, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")
    assert "set-cookie" not in answer.headers
    empty = httpx.post(server.url + "/dashboard/login", data={"admin_key": ""})
    assert_error_page(empty, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")


def test_the_login_cookie_is_a_strict_http_only_session_not_the_key(
    server: LiveServer, linked: Linked
) -> None:
    answer = httpx.post(server.url + "/dashboard/login", data={"admin_key": ADMIN_KEY})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/"
    cookie = answer.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert ADMIN_KEY not in value
    page = httpx.get(server.url + "/dashboard/", cookies={COOKIE: value})
    assert page.status_code == 200
    assert linked.item_id in page.text


def test_a_forged_or_foreign_cookie_is_no_session(server: LiveServer) -> None:
    foreign = URLSafeTimedSerializer(b"another server", salt="tokenbridge.dashboard.session")
    for value in ("garbage", foreign.dumps("0" * 32), ADMIN_KEY):
        answer = httpx.get(server.url + "/dashboard/", cookies={COOKIE: value})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/login"


def test_logout_ends_the_browser_session(server: LiveServer, browser: httpx.Client) -> None:
    token = csrf_of(browser, "/dashboard/")
    answer = browser.post("/dashboard/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert browser.get("/dashboard/").status_code == 303


# Forms ---------------------------------------------------------------------------------


def test_a_form_without_or_with_a_wrong_csrf_token_changes_nothing(
    server: LiveServer, sdk: plaid_api.PlaidApi, browser: httpx.Client
) -> None:
    mine = link(server, sdk)
    action = f"/dashboard/items/{mine.item_id}/reset_login"
    good = csrf_of(browser, f"/dashboard/items/{mine.item_id}")
    refused = [
        browser.post(action, data={"other": "1"}),
        browser.post(action, data={"csrf_token": "0" * 64}),
        browser.post(action, data={"csrf_token": good[:-1]}),
        # The right token from another site's page.
        browser.post(action, data={"csrf_token": good}, headers={"Origin": "http://evil.test"}),
        browser.post(action, data={"csrf_token": good}, headers={"Origin": "null"}),
        # The bearer key is no way round the token.
        httpx.post(server.url + action, data={"other": "1"}, headers=BEARER),
    ]
    for answer in refused:
        assert_error_page(answer, 403, "INVALID_REQUEST", "CSRF_TOKEN_INVALID")
    assert healthy(sdk, mine)
    audit = browser.get("/dashboard/audit", params={"item_id": mine.item_id}).text
    assert "<td>item.reset_login</td>" not in audit


def test_a_post_without_a_session_is_refused(server: LiveServer, linked: Linked) -> None:
    answer = httpx.post(f"{server.url}/dashboard/items/{linked.item_id}/remove", data={"a": "1"})
    assert_error_page(answer, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")


def test_reset_login_by_bearer_with_its_token_puts_the_item_in_error(
    server: LiveServer, sdk: plaid_api.PlaidApi
) -> None:
    mine = link(server, sdk)
    page = httpx.get(f"{server.url}/dashboard/items/{mine.item_id}", headers=BEARER).text
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert token is not None
    answer = httpx.post(f"{server.url}/dashboard/items/{mine.item_id}/reset_login",
                        data={"csrf_token": token.group(1)}, headers=BEARER)  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/dashboard/items/{mine.item_id}?done=reset_login"
    assert not healthy(sdk, mine)


def test_malformed_forms_are_plaid_errors(server: LiveServer, browser: httpx.Client,
                                          linked: Linked) -> None:  # fmt: skip
    token = csrf_of(browser, "/dashboard/")
    action = f"/dashboard/items/{linked.item_id}/fire_webhook"
    as_json = browser.post(action, json={"csrf_token": token})
    assert_error_page(as_json, 400, "INVALID_REQUEST", "INVALID_HEADERS")
    huge = browser.post(action, data={"csrf_token": token, "x": "y" * 10_000})
    assert_error_page(huge, 400, "INVALID_REQUEST", "INVALID_BODY")
    bad_code = browser.post(action, data={"csrf_token": token, "webhook_code": "NOPE"})
    assert_error_page(bad_code, 400, "INVALID_REQUEST", "INVALID_FIELD")
    unknown = browser.post(f"/dashboard/items/{linked.item_id}/explode",
                           data={"csrf_token": token})  # fmt: skip
    assert_error_page(unknown, 404, "INVALID_REQUEST", "NOT_FOUND")
    missing = browser.post("/dashboard/items/nosuchitem/reset_login", data={"csrf_token": token})
    assert_error_page(missing, 404, "INVALID_REQUEST", "NOT_FOUND")


def test_bad_page_requests_are_plaid_errors(browser: httpx.Client) -> None:
    assert_error_page(browser.get("/dashboard/items/nosuchitem"), 404, "INVALID_REQUEST",
                      "NOT_FOUND")  # fmt: skip
    assert_error_page(browser.get("/dashboard/items/a%20b"), 404, "INVALID_REQUEST", "NOT_FOUND")
    assert_error_page(browser.get("/dashboard/nowhere"), 404, "INVALID_REQUEST", "NOT_FOUND")
    assert_error_page(browser.get("/dashboard/", params={"before": "x"}), 400,
                      "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert_error_page(browser.get("/dashboard/audit", params={"since": "yesterday"}), 400,
                      "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert_error_page(
        browser.get("/dashboard/audit", params={"since": "2026-12-02", "until": "2026-12-01"}),
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )
    assert_error_page(browser.get("/dashboard/webhooks", params={"status": "lost"}), 400,
                      "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert_error_page(browser.get("/dashboard/search", params={"q": ""}), 400,
                      "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert_error_page(browser.get("/dashboard/", params={"q": "x" * 3000}), 400,
                      "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert_error_page(browser.delete("/dashboard/"), 404, "INVALID_REQUEST", "NOT_FOUND")


# Headers and what a page never shows ---------------------------------------------------


def test_every_page_has_the_security_headers(server: LiveServer, browser: httpx.Client,
                                             linked: Linked) -> None:  # fmt: skip
    pages = [browser.get(p) for p in ("/dashboard/", f"/dashboard/items/{linked.item_id}",
                                      "/dashboard/audit", "/dashboard/webhooks")]  # fmt: skip
    pages += [httpx.get(server.url + "/dashboard/login"), browser.get("/dashboard/items/zz")]
    for page in pages:
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["content-type"] == "text/html; charset=utf-8"


def test_the_stylesheet_is_served_from_the_package(server: LiveServer) -> None:
    css = httpx.get(server.url + "/dashboard/static/dashboard.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "body" in css.text
    assert_error_page(httpx.get(server.url + "/dashboard/static/app.py"), 404,
                      "INVALID_REQUEST", "NOT_FOUND")  # fmt: skip


def test_an_item_page_shows_token_ids_never_tokens(browser: httpx.Client, linked: Linked) -> None:
    page = browser.get(f"/dashboard/items/{linked.item_id}").text
    assert linked.access_token not in page
    assert linked.processor_token not in page
    assert hash_token(linked.processor_token) not in page
    assert token_id(hash_token(linked.processor_token)) in page
    assert token_id(hash_token(linked.access_token)) in page  # in the audit trail
    assert "dwolla" in page


def test_templates_escape_what_they_show(browser: httpx.Client) -> None:
    page = browser.get("/dashboard/search", params={"q": "<script>x</script>"})
    assert page.status_code == 200
    assert "<script>x</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_the_plaid_api_is_untouched_by_the_mount(server: LiveServer) -> None:
    # A Plaid path under /dashboard/ is the dashboard's (which wants the key), not Plaid's.
    answer = httpx.post(server.url + "/dashboard/item/get", json={})
    assert_error_page(answer, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")
    plaid_404 = httpx.post(server.url + "/dashboardx", json={})
    assert plaid_404.status_code == 404
    assert plaid_404.json()["error_code"] == "NOT_FOUND"


def test_every_link_stays_in_the_dashboard(
    server: LiveServer, browser: httpx.Client, linked: Linked
) -> None:
    asked = {"client_id": server.client_id, "processor": "dwolla"}
    partner = control(server, "partner/create", asked)["client_id"]
    paths = ["/dashboard/", f"/dashboard/items/{linked.item_id}", "/dashboard/webhooks",
             f"/dashboard/clients/{server.client_id}", f"/dashboard/partners/{partner}",
             "/dashboard/audit", f"/dashboard/search?q={linked.item_id}"]  # fmt: skip
    for path in paths:
        page = browser.get(path)
        assert page.status_code == 200, path
        targets = re.findall(r'(?:href|action)="([^"]*)"', page.text)
        assert targets, path
        for target in targets:
            assert target.startswith(("/dashboard/", "?")) or target == "", (path, target)


def test_actions_on_a_removed_item_are_refused(
    server: LiveServer, sdk: plaid_api.PlaidApi, browser: httpx.Client
) -> None:
    mine = link(server, sdk)
    token = csrf_of(browser, f"/dashboard/items/{mine.item_id}")
    removed = browser.post(f"/dashboard/items/{mine.item_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    page = browser.get(f"/dashboard/items/{mine.item_id}")
    assert 'id="item-status">removed' in page.text
    assert "/reset_login" not in page.text  # no action forms on a removed Item
    form = {"csrf_token": token, "webhook_code": "LOGIN_REPAIRED"}
    for action in ("reset_login", "repair", "remove", "fire_webhook"):
        again = browser.post(f"/dashboard/items/{mine.item_id}/{action}", data=form)
        assert_error_page(again, 400, "INVALID_REQUEST", "INVALID_FIELD")


def test_lists_page_through_a_larger_world(server: LiveServer, browser: httpx.Client) -> None:
    made = control(server, "client/create", {"name": "paging"})
    cfg = plaid.Configuration(
        host=server.url, api_key={"clientId": made["client_id"], "secret": made["secret"]}
    )
    other = plaid_api.PlaidApi(plaid.ApiClient(cfg))
    item_ids = []
    for _ in range(53):
        public = other.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("auth")],
        )).public_token  # fmt: skip
        item_ids.append(other.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=public)).item_id)  # fmt: skip

    def walk(path: str, pattern: str) -> list[str]:
        seen: list[str] = []
        pages = 0
        while path:
            page = browser.get(path)
            assert page.status_code == 200, page.text
            table = re.search(r'<table class="(?:items|audit)">.*?</table>', page.text, re.S)
            assert table is not None
            seen += re.findall(pattern, table.group(0))
            pages += 1
            found = re.search(r'<a rel="next" href="([^"]+)"', page.text)
            path = html.unescape(found.group(1)) if found else ""
            if path.startswith("?"):
                path = page.url.path + path
        assert pages >= 2
        return seen

    client_page = f"/dashboard/clients/{made['client_id']}"
    listed = walk(client_page, r'<td><a href="/dashboard/items/([^"]+)">')
    assert listed == list(reversed(item_ids))  # newest first, each once
    everything = walk("/dashboard/", r'<td><a href="/dashboard/items/([^"]+)">')
    assert set(item_ids) <= set(everything) and len(everything) == len(set(everything))
    trail = walk(f"/dashboard/audit?client_id={made['client_id']}",
                 r"<td>(item\.create|access_token\.create|client\.create)</td>")  # fmt: skip
    assert sorted(trail) == sorted(["client.create"] + ["item.create", "access_token.create"] * 53)


def test_an_items_age_is_on_its_clients_clock(server: LiveServer, browser: httpx.Client) -> None:
    made = control(server, "client/create", {"name": "time traveller"})
    cfg = plaid.Configuration(
        host=server.url, api_key={"clientId": made["client_id"], "secret": made["secret"]}
    )
    other = plaid_api.PlaidApi(plaid.ApiClient(cfg))
    public = other.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_109508", initial_products=[Products("auth")],
    )).public_token  # fmt: skip
    item_id = other.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).item_id
    control(server, "clock/advance", {"client_id": made["client_id"], "days": 3})
    page = browser.get(f"/dashboard/items/{item_id}").text
    assert re.search(r"\(3d ago\)", page), page
    client_page = browser.get(f"/dashboard/clients/{made['client_id']}").text
    assert re.search(r">3d</td>", client_page)
    # Wherever the Item is listed: the overview's newest Items, a search.
    for listed in (browser.get("/dashboard/").text,
                   browser.get("/dashboard/search", params={"q": item_id}).text):  # fmt: skip
        row = re.search(rf"{item_id}</a></td>.*?</tr>", listed, flags=re.DOTALL)
        assert row is not None and ">3d</td>" in row.group(0), listed


# A client's clock and faults -------------------------------------------------------------


def isolated_client(server: LiveServer) -> tuple[str, plaid_api.PlaidApi]:
    made = control(server, "client/create", {"name": "steered"})
    cfg = plaid.Configuration(
        host=server.url, api_key={"clientId": made["client_id"], "secret": made["secret"]}
    )
    return made["client_id"], plaid_api.PlaidApi(plaid.ApiClient(cfg))


def isolated_item(sdk: plaid_api.PlaidApi) -> str:
    public = sdk.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_109508", initial_products=[Products("auth")],
    )).public_token  # fmt: skip
    access_token: str = sdk.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    return access_token


def accounts_code(sdk: plaid_api.PlaidApi, access_token: str) -> str | None:
    try:
        sdk.accounts_get(AccountsGetRequest(access_token=access_token))
    except plaid.ApiException as exc:
        code: str = json.loads(exc.body)["error_code"]
        return code
    return None


def test_advancing_a_clients_clock_expires_its_items(
    server: LiveServer, browser: httpx.Client, sdk: plaid_api.PlaidApi, linked: Linked
) -> None:
    client_id, other = isolated_client(server)
    access_token = isolated_item(other)
    page = f"/dashboard/clients/{client_id}"
    assert "(real time)" in browser.get(page).text
    step = {"csrf_token": csrf_of(browser, page), "advance": "30 days"}
    answer = browser.post(f"{page}/advance_clock", data=step)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{page}?done=advance_clock"
    assert accounts_code(other, access_token) == "ITEM_LOGIN_REQUIRED"
    # Only that world's clock moved: the shared world's Item is healthy.
    assert healthy(sdk, linked)
    shown = browser.get(page).text
    assert "2592000 s ahead of real time" in shown
    audit = browser.get("/dashboard/audit", params={"action": "clock.advance"}).text
    assert client_id in audit
    # A step it does not offer is refused and moves nothing; the shared world's clients
    # are offered no clock.
    step = {"csrf_token": csrf_of(browser, page), "advance": "-1 day"}
    refused = browser.post(f"{page}/advance_clock", data=step)
    assert_error_page(refused, 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert "2592000 s ahead" in browser.get(page).text
    shared = browser.get(f"/dashboard/clients/{server.client_id}").text
    assert "advance_clock" not in shared and "add_fault" in shared


def test_a_fault_added_on_the_client_page_answers_the_next_call(
    server: LiveServer, browser: httpx.Client
) -> None:
    client_id, other = isolated_client(server)
    access_token = isolated_item(other)
    page = f"/dashboard/clients/{client_id}"
    form = {"csrf_token": csrf_of(browser, page), "path": "/accounts/get",
            "error_code": "INSTITUTION_DOWN"}  # fmt: skip
    answer = browser.post(f"{page}/add_fault", data=form)
    assert answer.headers["location"] == f"{page}?done=add_fault"
    listed = browser.get(page).text
    assert "<code>/accounts/get</code>" in listed and "INSTITUTION_DOWN" in listed
    assert accounts_code(other, access_token) == "INSTITUTION_DOWN"
    assert accounts_code(other, access_token) is None
    # A path or a code it does not know is refused, and nothing is added.
    for bad in ({"path": "/no/such/path"}, {"error_code": "NOT_A_CODE"}):
        sent = {**form, "csrf_token": csrf_of(browser, page), **bad}
        refused = browser.post(f"{page}/add_fault", data=sent)
        assert_error_page(refused, 400, "INVALID_REQUEST", "INVALID_FIELD")
    browser.post(f"{page}/add_fault", data={**form, "csrf_token": csrf_of(browser, page)})
    cleared = browser.post(f"{page}/clear_faults", data={"csrf_token": csrf_of(browser, page)})
    assert cleared.headers["location"] == f"{page}?done=clear_faults"
    assert "None: every call is answered as usual." in browser.get(page).text
    assert accounts_code(other, access_token) is None
