"""Transactions on both sides, through the in-process app: get, sync, refresh, recurring."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Api, Partner, link_item
from tests.helpers import CLIENT_ID, SECRET
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.app import create_app
from tokenbridge.domain.randomness import hash_token
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store

ALL_TIME = {"start_date": "2000-01-01", "end_date": "2100-01-01"}


def account_of(item: dict[str, Any], mask: str) -> str:
    account_id: str = next(a["account_id"] for a in item["accounts"] if a["mask"] == mask)
    return account_id


def token_for(api: Api, item: dict[str, Any], mask: str = "0000", processor: str = "dwolla"
              ) -> str:  # fmt: skip
    body = {"access_token": item["access_token"], "account_id": account_of(item, mask),
            "processor": processor}  # fmt: skip
    token: str = api.ok("/processor/token/create", body)["processor_token"]
    return token


def walk_sync(partner: Partner | Api, body: dict[str, Any], path: str, cursor: str = ""
              ) -> tuple[list[dict[str, Any]], str]:  # fmt: skip
    """Every page of one update: the pages and the final cursor."""
    pages = []
    while True:
        page = partner.ok(path, {**body, "cursor": cursor})
        pages.append(page)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return pages, cursor


# /transactions/get and /processor/transactions/get ------------------------------------


def test_both_sides_read_the_same_transactions(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item)
    checking = account_of(item, "0000")
    developer = api.ok("/transactions/get", {
        "access_token": item["access_token"], **ALL_TIME,
        "options": {"account_ids": [checking], "count": 500},
    })  # fmt: skip
    partner = dwolla.ok("/processor/transactions/get", {
        "processor_token": token, **ALL_TIME, "options": {"count": 500},
    })  # fmt: skip
    assert partner["account"]["account_id"] == checking
    assert "item" not in partner and "accounts" not in partner
    assert developer["total_transactions"] == partner["total_transactions"] >= 90
    assert developer["transactions"] == partner["transactions"]
    assert {t["account_id"] for t in partner["transactions"]} == {checking}


def test_get_covers_ninety_days_newest_first(api: Api) -> None:
    item = link_item(api)
    body = {"access_token": item["access_token"], **ALL_TIME, "options": {"count": 500}}
    got = api.ok("/transactions/get", body)
    dates = [t["date"] for t in got["transactions"]]
    assert dates == sorted(dates, reverse=True)
    created = api.ok("/item/get", {"access_token": item["access_token"]})["item"]["created_at"]
    assert dates[0] == created[:10]
    # 90 days back from the creation date, at the least (last page holds the oldest).
    last = api.ok("/transactions/get", {**body, "options": {
        "count": 1, "offset": got["total_transactions"] - 1}})["transactions"][0]  # fmt: skip
    assert (date.fromisoformat(dates[0]) - date.fromisoformat(last["date"])).days >= 90
    by_account = {t["account_id"] for t in got["transactions"]}
    kinds = {a["account_id"]: a["type"] for a in item["accounts"]}
    assert {kinds[a] for a in by_account} <= {"depository", "credit"}
    assert any(t["pending"] for t in got["transactions"])
    t = got["transactions"][0]
    assert t["personal_finance_category"]["primary"]
    assert t["payment_channel"] in ("online", "in store", "other")
    assert t["original_description"] is None


def link_with(api: Api, options: dict[str, Any]) -> str:
    """An Item linked with /sandbox/public_token/create `options`; its access token."""
    public = api.ok("/sandbox/public_token/create", {
        "institution_id": "ins_109508", "initial_products": ["transactions"],
        "options": options,
    })["public_token"]  # fmt: skip
    token: str = api.ok("/item/public_token/exchange", {"public_token": public})["access_token"]
    return token


def link_without_transactions(api: Api) -> str:
    """An Item linked with Auth alone (Transactions starts at its first read); its access
    token."""
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["auth"]},
    )["public_token"]
    token: str = api.ok("/item/public_token/exchange", {"public_token": public})["access_token"]
    return token


def history_days(api: Api, access_token: str, **options: Any) -> int:
    """Days from the oldest transaction to the newest (the Item's creation date)."""
    body = {"access_token": access_token, **ALL_TIME, "options": {"count": 1, **options}}
    got = api.ok("/transactions/get", body)
    newest = got["transactions"][0]["date"]
    body["options"]["offset"] = got["total_transactions"] - 1
    oldest = api.ok("/transactions/get", body)["transactions"][0]["date"]
    return (date.fromisoformat(newest) - date.fromisoformat(oldest)).days


def test_days_requested_applies_only_when_transactions_start(api: Api) -> None:
    # https://plaid.com/docs/api/products/transactions/#transactions-get-request-options-days-requested:
    # days_requested counts only when Transactions is initialized on the Item: at the first
    # get of an Item linked without it,
    first = link_without_transactions(api)
    assert 390 <= history_days(api, first, days_requested=400) <= 400
    assert 390 <= history_days(api, first, days_requested=730) <= 400
    # and never for one linked with it, which has its 90 days from the start.
    token = link_item(api)["access_token"]
    assert 85 <= history_days(api, token, days_requested=730) <= 90
    assert 85 <= history_days(api, token) <= 90
    # Asked for on the link, it is the Item's history from the start.
    linked = link_with(api, {"transactions": {"days_requested": 400}})
    assert 390 <= history_days(api, linked) <= 400
    assert 390 <= history_days(api, linked, days_requested=730) <= 400


def test_refused_get_does_not_start_transactions(api: Api) -> None:
    token = link_without_transactions(api)
    bad = {"access_token": token, "start_date": "2024-02-01", "end_date": "2024-01-01"}
    assert_error(api.post("/transactions/get", bad), 400, "INVALID_REQUEST", "INVALID_FIELD")
    # The first call that succeeds is the one that initializes, with its days_requested.
    assert 390 <= history_days(api, token, days_requested=400) <= 400


def test_link_start_date_sets_the_history(api: Api) -> None:
    today = datetime.now(UTC).date()
    start = today - timedelta(days=300)
    linked = link_with(api, {"transactions": {"start_date": start.isoformat(),
                                              "end_date": "2100-01-01"}})  # fmt: skip
    assert 290 <= history_days(api, linked) <= 300


@pytest.mark.parametrize(
    ("transactions", "message"),
    [({"days_requested": 0}, "days_requested must be between 1 and 730"),
     ({"days_requested": 731}, "days_requested must be between 1 and 730"),
     ({"start_date": "2024-13-01"}, "options.transactions.start_date must be a valid date"),
     ({"end_date": "soon"}, "options.transactions.end_date must be a valid date"),
     ({"start_date": "2999-01-01"}, "options.transactions.start_date must not be in the future")],
)  # fmt: skip
def test_link_rejects_bad_transactions_options(
    api: Api, transactions: dict[str, Any], message: str
) -> None:
    response = api.post("/sandbox/public_token/create", {
        "institution_id": "ins_109508", "initial_products": ["transactions"],
        "options": {"transactions": transactions},
    })  # fmt: skip
    body = assert_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert body["error_message"].startswith(message)


def test_link_accepts_statements_and_income_options(api: Api) -> None:
    # Accepted in Plaid's shapes and ignored (docs/ENDPOINTS.md).
    token = link_with(api, {
        "statements": {"start_date": "2024-01-01", "end_date": "2024-06-30"},
        "income_verification": {"income_source_types": ["bank"],
                                "bank_income": {"days_requested": 60}},
    })  # fmt: skip
    assert api.ok("/accounts/get", {"access_token": token})["accounts"]


def test_get_pages_with_count_and_offset(api: Api) -> None:
    item = link_item(api)
    body = {"access_token": item["access_token"], **ALL_TIME}
    everything = api.ok("/transactions/get", {**body, "options": {"count": 500}})
    assert len(api.ok("/transactions/get", body)["transactions"]) == 100  # default count
    paged = []
    for offset in range(0, everything["total_transactions"], 150):
        page = api.ok("/transactions/get", {**body, "options": {"count": 150, "offset": offset}})
        assert page["total_transactions"] == everything["total_transactions"]
        paged.extend(t["transaction_id"] for t in page["transactions"])
    assert len(paged) == len(set(paged)) == everything["total_transactions"]


def test_get_filters_by_date_and_accounts(api: Api) -> None:
    item = link_item(api)
    checking, card = account_of(item, "0000"), account_of(item, "3333")
    everything = api.ok("/transactions/get", {
        "access_token": item["access_token"], **ALL_TIME,
        "options": {"account_ids": [checking, card], "count": 500},
    })  # fmt: skip
    assert {a["account_id"] for a in everything["accounts"]} == {checking, card}
    some_day = everything["transactions"][20]["date"]
    one_day = api.ok("/transactions/get", {
        "access_token": item["access_token"], "start_date": some_day, "end_date": some_day,
        "options": {"account_ids": [checking, card]},
    })  # fmt: skip
    expected = [t for t in everything["transactions"] if t["date"] == some_day]
    assert one_day["transactions"] == expected
    assert one_day["total_transactions"] == len(expected) >= 1


def test_original_description_only_when_asked(api: Api) -> None:
    item = link_item(api)
    got = api.ok(
        "/transactions/get",
        {
            "access_token": item["access_token"],
            **ALL_TIME,
            "options": {"include_original_description": True},
        },
    )
    assert all(t["original_description"] == t["name"].upper() for t in got["transactions"])


@pytest.mark.parametrize(
    ("options", "dates", "word"),
    [
        ({}, {"start_date": "2024-13-01", "end_date": "2024-12-31"}, "start_date"),
        ({}, {"start_date": "2024-01-01", "end_date": "yesterday"}, "end_date"),
        ({}, {"start_date": "2024-02-01", "end_date": "2024-01-31"}, "start_date"),
        ({"count": 0}, ALL_TIME, "count"),
        ({"count": 501}, ALL_TIME, "count"),
        ({"offset": -1}, ALL_TIME, "offset"),
    ],
)
def test_get_rejects_bad_ranges(
    api: Api, dwolla: Partner, options: dict[str, Any], dates: dict[str, str], word: str
) -> None:
    item = link_item(api)
    token = token_for(api, item)
    body = assert_error(api.post("/transactions/get", {
        "access_token": item["access_token"], **dates, "options": options}),
        400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert word in body["error_message"]
    body = assert_error(dwolla.post("/processor/transactions/get", {
        "processor_token": token, **dates, "options": options}),
        400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert word in body["error_message"]


def test_get_with_an_unknown_account_id(api: Api) -> None:
    item = link_item(api)
    body = assert_error(api.post("/transactions/get", {
        "access_token": item["access_token"], **ALL_TIME,
        "options": {"account_ids": ["nope"]}}),
        400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")  # fmt: skip
    assert body["error_message"] == "failed to find requested account ID for requested item"


def test_investment_account_is_not_supported(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, mask="5555")
    body = assert_error(
        dwolla.post("/processor/transactions/get", {"processor_token": token, **ALL_TIME}),
        400,
        "ITEM_ERROR",
        "PRODUCTS_NOT_SUPPORTED",
    )
    assert "investment" in body["error_message"]


def test_loan_account_has_no_transactions(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, mask="7777")
    got = dwolla.ok("/processor/transactions/get", {"processor_token": token, **ALL_TIME})
    assert (got["transactions"], got["total_transactions"]) == ([], 0)


# /transactions/sync -------------------------------------------------------------------


def test_sync_pages_deliver_every_transaction_once(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item, mask="3333")
    pages, _ = walk_sync(dwolla, {"processor_token": token, "count": 7},
                         "/processor/transactions/sync")  # fmt: skip
    assert len(pages) > 3
    assert all(p["has_more"] for p in pages[:-1]) and not pages[-1]["has_more"]
    assert all(len(p["added"]) == 7 for p in pages[:-1])
    assert all(p["transactions_update_status"] == "HISTORICAL_UPDATE_COMPLETE" for p in pages)
    assert all(p["account"]["mask"] == "3333" for p in pages)
    added = [t for p in pages for t in p["added"]]
    ids = [t["transaction_id"] for t in added]
    assert len(ids) == len(set(ids))
    got = dwolla.ok(
        "/processor/transactions/get",
        {"processor_token": token, **ALL_TIME, "options": {"count": 500}},
    )
    assert sorted(ids) == sorted(t["transaction_id"] for t in got["transactions"])
    assert {t["transaction_id"]: t for t in added} == {
        t["transaction_id"]: t for t in got["transactions"]
    }


def test_developer_sync_matches_get(api: Api) -> None:
    item = link_item(api)
    pages, cursor = walk_sync(api, {"access_token": item["access_token"], "count": 500},
                              "/transactions/sync")  # fmt: skip
    assert len(pages[0]["accounts"]) == 12
    ids = sorted(t["transaction_id"] for p in pages for t in p["added"])
    got = api.ok(
        "/transactions/get",
        {"access_token": item["access_token"], **ALL_TIME, "options": {"count": 500}},
    )
    assert ids == sorted(t["transaction_id"] for t in got["transactions"])
    # Caught up: the same cursor comes back with nothing in it.
    again = api.ok("/transactions/sync", {"access_token": item["access_token"], "cursor": cursor})
    assert (again["added"], again["modified"], again["removed"]) == ([], [], [])
    assert (again["next_cursor"], again["has_more"]) == (cursor, False)


def test_refresh_yields_posted_new_and_modified(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item)
    body = {"processor_token": token}
    _, cursor = walk_sync(dwolla, body, "/processor/transactions/sync")
    _, dev_cursor = walk_sync(api, {"access_token": item["access_token"]}, "/transactions/sync")
    before = {t["transaction_id"]: t for t in dwolla.ok("/processor/transactions/get", {
        **body, **ALL_TIME, "options": {"count": 500}})["transactions"]}  # fmt: skip
    assert dwolla.ok("/processor/transactions/refresh", body).keys() == {"request_id"}
    change = dwolla.ok("/processor/transactions/sync", {**body, "cursor": cursor})
    assert not change["has_more"]
    removed = {r["transaction_id"] for r in change["removed"]}
    assert len(removed) == 1
    pending = before[removed.pop()]
    assert pending["pending"]
    posted = [t for t in change["added"] if t["pending_transaction_id"]]
    assert len(posted) == 1
    assert posted[0]["pending_transaction_id"] == pending["transaction_id"]
    assert not posted[0]["pending"] and posted[0]["amount"] == pending["amount"]
    new = [t for t in change["added"] if not t["pending_transaction_id"]]
    assert len(new) == 1 and new[0]["pending"]
    assert len(change["modified"]) == 1
    old = before[change["modified"][0]["transaction_id"]]
    assert change["modified"][0]["amount"] != old["amount"]
    assert change["modified"][0]["name"] != old["name"]
    # The developer sees the same change of this account in the Item-wide sync.
    dev = api.ok(
        "/transactions/sync",
        {"access_token": item["access_token"], "cursor": dev_cursor, "count": 500},
    )
    mine = account_of(item, "0000")
    assert [t for t in dev["added"] if t["account_id"] == mine] == change["added"]
    assert [t for t in dev["modified"] if t["account_id"] == mine] == change["modified"]
    # Deterministic: the change is the same when read again from the same cursor.
    assert dwolla.ok("/processor/transactions/sync", {**body, "cursor": cursor}) | {
        "request_id": ""} == change | {"request_id": ""}  # fmt: skip


def test_refresh_while_paging_keeps_the_update_consistent(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item)
    first = dwolla.ok("/processor/transactions/sync", {"processor_token": token, "count": 10})
    dwolla.ok("/processor/transactions/refresh", {"processor_token": token})
    # The rest of the first update still pages over the state it started from ...
    pages, cursor = walk_sync(dwolla, {"processor_token": token, "count": 10},
                              "/processor/transactions/sync", first["next_cursor"])  # fmt: skip
    assert all(not p["modified"] and not p["removed"] for p in pages)
    # ... and the refresh comes as the next update.
    nxt = dwolla.ok("/processor/transactions/sync", {"processor_token": token, "cursor": cursor})
    assert len(nxt["removed"]) == 1 and len(nxt["added"]) == 2


def test_refresh_sends_webhooks(api: Api, dwolla: Partner,
                                sent: list[tuple[str, dict[str, Any]]]) -> None:  # fmt: skip
    public = api.ok("/sandbox/public_token/create", {
        "institution_id": "ins_109508", "initial_products": ["transactions"],
        "options": {"webhook": "http://127.0.0.1:9/item"}})  # fmt: skip
    access = api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = api.ok("/accounts/get", {"access_token": access["access_token"]})["accounts"]
    item = {**access, "accounts": accounts}
    token = token_for(api, item)
    loop = api.loop
    loop.run_until_complete(api.services.store.set_processor_token_webhook(
        hash_token(token), "http://127.0.0.1:9/partner"))  # fmt: skip
    sent.clear()  # INITIAL_UPDATE and HISTORICAL_UPDATE, at the Item's creation
    dwolla.ok("/processor/transactions/refresh", {"processor_token": token})
    # Nobody has called sync yet: the legacy webhooks alone. The round posted a pending
    # transaction under a new id, so one is removed.
    assert codes_by_url(sent) == {
        "http://127.0.0.1:9/partner": ["DEFAULT_UPDATE", "TRANSACTIONS_REMOVED"],
        "http://127.0.0.1:9/item": ["DEFAULT_UPDATE", "TRANSACTIONS_REMOVED"],
    }
    partner = {p["webhook_code"]: p for url, p in sent if url.endswith("/partner")}
    assert partner["DEFAULT_UPDATE"]["account_id"] == account_of(item, "0000")
    assert partner["DEFAULT_UPDATE"]["new_transactions"] == 2
    assert len(partner["TRANSACTIONS_REMOVED"]["removed_transactions"]) == 1
    assert dict(sent)["http://127.0.0.1:9/item"]["item_id"] == item["item_id"]
    sent.clear()
    dwolla.ok("/processor/transactions/sync", {"processor_token": token})
    dwolla.ok("/processor/transactions/refresh", {"processor_token": token})
    # The partner has called sync: SYNC_UPDATES_AVAILABLE too; the Item's webhook, whose
    # developer has not, gets the legacy ones alone.
    assert codes_by_url(sent) == {
        "http://127.0.0.1:9/partner": [
            "DEFAULT_UPDATE", "SYNC_UPDATES_AVAILABLE", "TRANSACTIONS_REMOVED"
        ],
        "http://127.0.0.1:9/item": ["DEFAULT_UPDATE", "TRANSACTIONS_REMOVED"],
    }  # fmt: skip
    synced = [p for url, p in sent if p["webhook_code"] == "SYNC_UPDATES_AVAILABLE"]
    assert synced[0]["historical_update_complete"] is True
    assert synced[0]["account_id"] == account_of(item, "0000")


def codes_by_url(sent: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """The codes of the webhooks sent to each URL, sorted."""
    found: dict[str, list[str]] = {}
    for url, payload in sent:
        found.setdefault(url, []).append(payload["webhook_code"])
    return {url: sorted(codes) for url, codes in found.items()}


@pytest.mark.parametrize("cursor", ["garbage!", "djF8", "dj", "   "])
def test_malformed_cursor_is_invalid_field(api: Api, dwolla: Partner, cursor: str) -> None:
    item = link_item(api)
    token = token_for(api, item)
    body = assert_error(
        dwolla.post("/processor/transactions/sync", {"processor_token": token, "cursor": cursor}),
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )
    assert "cursor" in body["error_message"]


def test_foreign_cursor_is_invalid_field(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    checking, saving = token_for(api, item, "0000"), token_for(api, item, "1111")
    other = link_item(api)
    page = dwolla.ok("/processor/transactions/sync", {"processor_token": checking, "count": 5})
    dev = api.ok("/transactions/sync", {"access_token": item["access_token"], "count": 5})
    for call in (
        lambda: dwolla.post("/processor/transactions/sync",
                            {"processor_token": saving, "cursor": page["next_cursor"]}),
        lambda: dwolla.post("/processor/transactions/sync",
                            {"processor_token": checking, "cursor": dev["next_cursor"]}),
        lambda: api.post("/transactions/sync",
                         {"access_token": other["access_token"], "cursor": dev["next_cursor"]}),
    ):  # fmt: skip
        assert_error(call(), 400, "INVALID_REQUEST", "INVALID_FIELD")


def test_forged_generation_is_invalid_field(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item)
    page = dwolla.ok("/processor/transactions/sync", {"processor_token": token, "count": 5})
    raw = base64.urlsafe_b64decode(page["next_cursor"] + "==").decode().split("|")
    raw[3] = "7"  # a refresh generation that has not happened
    forged = base64.urlsafe_b64encode("|".join(raw).encode()).decode().rstrip("=")
    assert_error(dwolla.post("/processor/transactions/sync",
                             {"processor_token": token, "cursor": forged}),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip


def test_sync_count_bounds(api: Api) -> None:
    item = link_item(api)
    for count in (0, 501):
        body = assert_error(api.post("/transactions/sync", {
            "access_token": item["access_token"], "count": count}),
            400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
        assert "count" in body["error_message"]


def test_sync_of_one_account_of_the_item(api: Api) -> None:
    item = link_item(api)
    card = account_of(item, "3333")
    pages, _ = walk_sync(
        api,
        {"access_token": item["access_token"], "options": {"account_id": card}},
        "/transactions/sync",
    )
    assert [a["account_id"] for a in pages[0]["accounts"]] == [card]
    assert {t["account_id"] for p in pages for t in p["added"]} == {card}


# Permissions and removed Items ----------------------------------------------------------


def test_denied_product_changes_nothing(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item)
    _, cursor = walk_sync(dwolla, {"processor_token": token}, "/processor/transactions/sync")
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": ["auth"]})
    calls = {
        "/processor/transactions/get": ({**ALL_TIME}, "transactions"),
        "/processor/transactions/sync": ({"cursor": cursor}, "transactions"),
        "/processor/transactions/refresh": ({}, "transactions_refresh"),
        "/processor/transactions/recurring/get": ({}, "recurring_transactions"),
    }
    for path, (extra, product) in calls.items():
        body = assert_error(dwolla.post(path, {"processor_token": token, **extra}),
                            400, "INVALID_INPUT", "INVALID_PRODUCT")  # fmt: skip
        assert f'"{product}"' in body["error_message"]
    # The refresh was refused: nothing has changed since the cursor.
    api.ok("/processor/token/permissions/set", {"processor_token": token, "products": []})
    after = dwolla.ok("/processor/transactions/sync", {"processor_token": token, "cursor": cursor})
    assert (after["added"], after["modified"], after["removed"]) == ([], [], [])
    assert after["next_cursor"] == cursor


def test_transactions_permission_does_not_grant_refresh(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item)
    api.ok("/processor/token/permissions/set",
           {"processor_token": token, "products": ["transactions"]})  # fmt: skip
    dwolla.ok("/processor/transactions/get", {"processor_token": token, **ALL_TIME})
    assert_error(dwolla.post("/processor/transactions/refresh", {"processor_token": token}),
                 400, "INVALID_INPUT", "INVALID_PRODUCT")  # fmt: skip


def test_removed_item_is_refused_on_both_sides(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    token = token_for(api, item)
    api.ok("/item/remove", {"access_token": item["access_token"]})
    for path, extra in (
        ("/processor/transactions/get", ALL_TIME),
        ("/processor/transactions/sync", {}),
        ("/processor/transactions/refresh", {}),
        ("/processor/transactions/recurring/get", {}),
    ):
        assert_error(dwolla.post(path, {"processor_token": token, **extra}),
                     400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    for path, extra in (("/transactions/get", ALL_TIME), ("/transactions/sync", {})):
        assert_error(api.post(path, {"access_token": item["access_token"], **extra}),
                     400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")  # fmt: skip


def test_other_partner_and_developer_are_refused(api: Api) -> None:
    item = link_item(api)
    token = token_for(api, item)
    moov = Partner(api, "moov")
    assert_error(moov.post("/processor/transactions/get", {"processor_token": token, **ALL_TIME}),
                 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    assert_error(api.post("/processor/transactions/sync", {"processor_token": token}),
                 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip


# /processor/transactions/recurring/get ------------------------------------------------


def test_recurring_streams_of_checking_and_card(api: Api, dwolla: Partner) -> None:
    item = link_item(api)
    checking = dwolla.ok("/processor/transactions/recurring/get",
                         {"processor_token": token_for(api, item, "0000")})  # fmt: skip
    inflow = {s["merchant_name"]: s for s in checking["inflow_streams"]}
    assert inflow["Gusto"]["frequency"] == "BIWEEKLY"
    assert inflow["Gusto"]["average_amount"]["amount"] == -2000.0
    outflow = {s["description"]: s for s in checking["outflow_streams"]}
    assert outflow["Madison Property Rent"]["frequency"] == "MONTHLY"
    assert outflow["Touchstone Climbing"]["last_amount"]["amount"] == 78.5
    rent = outflow["Madison Property Rent"]
    assert len(rent["transaction_ids"]) >= 3 and rent["first_date"] < rent["last_date"]
    assert rent["status"] in ("MATURE", "TOMBSTONED") and rent["is_user_modified"] is False
    card = dwolla.ok("/processor/transactions/recurring/get",
                     {"processor_token": token_for(api, item, "3333")})  # fmt: skip
    names = {s["merchant_name"] for s in card["outflow_streams"]}
    assert {"Netflix", "Spotify"} <= names
    assert card["updated_datetime"].endswith("Z")
    # Every transaction of a stream is one of the account's transactions.
    got = dwolla.ok(
        "/processor/transactions/get",
        {"processor_token": token_for(api, item, "3333"), **ALL_TIME, "options": {"count": 500}},
    )
    ids = {t["transaction_id"] for t in got["transactions"]}
    assert all(set(s["transaction_ids"]) <= ids for s in card["outflow_streams"])


# Several servers over one PostgreSQL ----------------------------------------------------


@pytest.mark.postgres
def test_two_servers_share_transactions_state(postgres_database_url: str) -> None:
    loop = asyncio.new_event_loop()
    servers = []
    for _ in range(2):
        store = loop.run_until_complete(open_store(postgres_database_url))
        app = create_app(Settings(client_id=CLIENT_ID, secret=SECRET), store=store)
        loop.run_until_complete(app.startup())
        servers.append(Api(app, loop))
    try:
        one, two = servers
        item = link_item(one)
        token = token_for(one, item)
        partner = Partner(one, "dwolla")
        _, cursor = walk_sync(partner, {"processor_token": token, "count": 50},
                                  "/processor/transactions/sync")  # fmt: skip
        # The refresh happens on the other server; both then see the same change.
        partner.on(two).ok("/processor/transactions/refresh", {"processor_token": token})
        body = {"processor_token": token, "cursor": cursor}
        change = partner.ok("/processor/transactions/sync", body)
        assert (len(change["removed"]), len(change["added"]), len(change["modified"])) == (1, 2, 1)
        same = partner.on(two).ok("/processor/transactions/sync", body)
        assert same | {"request_id": ""} == change | {"request_id": ""}
        # A page cursor of one server continues on the other.
        first = partner.ok("/processor/transactions/sync", {"processor_token": token, "count": 5})
        rest, _ = walk_sync(partner.on(two), {"processor_token": token, "count": 500},
                            "/processor/transactions/sync", first["next_cursor"])  # fmt: skip
        ids = [t["transaction_id"] for p in [first, *rest] for t in p["added"]]
        got = partner.on(two).ok("/processor/transactions/get", {
            "processor_token": token, **ALL_TIME, "options": {"count": 500}})  # fmt: skip
        assert sorted(ids) == sorted(t["transaction_id"] for t in got["transactions"])
    finally:
        for server in servers:
            server.close()
            loop.run_until_complete(server.app.shutdown())
        loop.close()
