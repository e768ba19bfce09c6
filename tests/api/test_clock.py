"""The virtual clock of an isolated client (/_tokenbridge/control/clock/*), in process and
live, on either backend: what follows it (Item and Link token times, public token expiry,
the daily transaction updates and the Sandbox's 30-day ITEM_LOGIN_REQUIRED with their
webhooks), while another client at the same moment sees real time. docs/TESTING.md, "Time".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Api, Caller, Sent
from tests.api.test_control import control, control_ok, new_client, new_partner
from tests.helpers import CLIENT_ID, assert_plaid_error
from tokenbridge.domain.timeline import DAY

HOOK = "https://example.com/hooks/clock"


def clock(api: Api, caller: Caller | str) -> dict[str, Any]:
    client_id = caller if isinstance(caller, str) else caller.client_id
    return control_ok(api, "clock/get", {"client_id": client_id})


def advance(api: Api, caller: Caller, **parts: float) -> dict[str, Any]:
    return control_ok(api, "clock/advance", {"client_id": caller.client_id, **parts})


def link(caller: Caller, products: list[str], webhook: str | None = HOOK) -> dict[str, Any]:
    options = {"webhook": webhook} if webhook else {}
    public = caller.ok("/sandbox/public_token/create", {
        "institution_id": "ins_109508", "initial_products": products, "options": options,
    })  # fmt: skip
    exchanged = caller.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = caller.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    return {**exchanged, "accounts": accounts}


def codes(sent: Sent, url: str = HOOK) -> list[str]:
    return [p["webhook_code"] for u, p in sent if u == url]


def parsed(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# The clock itself ---------------------------------------------------------------------


def test_a_new_client_starts_at_real_time_and_only_its_world_moves(api: Api) -> None:
    first, second = new_client(api), new_client(api)
    partner = new_partner(api, first)
    before = time.time()
    reading = clock(api, first)
    assert before - 1 <= reading["unix_time"] <= time.time() + 1
    assert reading["offset_seconds"] == 0
    assert reading["client_id"] == first.client_id

    moved = advance(api, first, days=2, hours=3, minutes=4, seconds=5)
    assert moved["offset_seconds"] == 2 * DAY + 3 * 3600 + 4 * 60 + 5
    assert moved["unix_time"] >= before + moved["offset_seconds"]
    assert parsed(moved["now"]) == datetime.fromtimestamp(int(moved["unix_time"]), UTC)
    # The partner shares its client's clock; the other client, at the same moment, does not.
    assert clock(api, partner)["offset_seconds"] == moved["offset_seconds"]
    assert clock(api, partner)["client_id"] == first.client_id
    other = clock(api, second)
    assert other["offset_seconds"] == 0
    assert abs(other["unix_time"] - time.time()) < 5
    # Advances add up, and a zero advance moves nothing.
    assert advance(api, first, hours=1)["offset_seconds"] == moved["offset_seconds"] + 3600
    assert advance(api, first)["offset_seconds"] == moved["offset_seconds"] + 3600


@pytest.mark.parametrize(
    "body",
    [
        {"days": -1},
        {"seconds": -0.5},
        {"days": 367},
        {"days": 300, "hours": 24 * 67},
        {"days": "two"},
        {"weeks": 1},
    ],
)
def test_a_clock_only_moves_forward_by_at_most_a_year(api: Api, body: dict[str, Any]) -> None:
    caller = new_client(api)
    response = control(api, "clock/advance", {"client_id": caller.client_id, **body})
    assert_plaid_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert clock(api, caller)["offset_seconds"] == 0


def test_the_shared_world_and_unknown_clients_have_no_clock_to_move(api: Api) -> None:
    for operation, body in (
        ("clock/get", {"client_id": CLIENT_ID}),
        ("clock/advance", {"client_id": CLIENT_ID, "days": 1}),
        ("clock/get", {"client_id": "0" * 24}),
        ("clock/advance", {"client_id": "0" * 24, "days": 1}),
        ("clock/get", {}),
    ):
        response = control(api, operation, body)
        assert_plaid_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD")
    refused = control(api, "clock/advance", {"client_id": new_client(api).client_id},
                      headers={"Authorization": "Bearer not-the-key-at-all-0000"})  # fmt: skip
    assert_plaid_error(refused, 401, "INVALID_INPUT", "INVALID_ADMIN_KEY")


# What reads the clock when asked ---------------------------------------------------------


def test_item_and_link_token_times_follow_the_clock(api: Api) -> None:
    moved, still = new_client(api), new_client(api)
    advance(api, moved, days=40)
    for caller, offset in ((moved, 40 * DAY), (still, 0.0)):
        item = link(caller, ["auth"], webhook=None)
        got = caller.ok("/item/get", {"access_token": item["access_token"]})
        created = parsed(got["item"]["created_at"]).timestamp()
        assert abs(created - (time.time() + offset)) < 60
        made = caller.ok("/link/token/create", {
            "client_name": "clock", "language": "en", "country_codes": ["US"],
            "user": {"client_user_id": "u-1"}, "products": ["auth"],
        })  # fmt: skip
        expiration = parsed(made["expiration"]).timestamp()
        assert abs(expiration - (time.time() + offset + 4 * 3600)) < 60
        read = caller.ok("/link/token/get", {"link_token": made["link_token"]})
        assert abs(parsed(read["created_at"]).timestamp() - (time.time() + offset)) < 60


def test_a_public_token_expires_after_30_minutes_on_the_clock(api: Api) -> None:
    caller = new_client(api)
    body = {"institution_id": "ins_109508", "initial_products": ["auth"]}
    late = caller.ok("/sandbox/public_token/create", body)["public_token"]
    in_time = caller.ok("/sandbox/public_token/create", body)["public_token"]
    advance(api, caller, minutes=29)
    caller.ok("/item/public_token/exchange", {"public_token": in_time})
    advance(api, caller, minutes=2)
    response = caller.post("/item/public_token/exchange", {"public_token": late})
    assert_plaid_error(response, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")


# What an advance makes -------------------------------------------------------------------


def _sync(caller: Caller, access_token: str, cursor: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": access_token}
    if cursor is not None:
        body["cursor"] = cursor
    page = caller.ok("/transactions/sync", body)
    while page["has_more"]:
        more = caller.ok("/transactions/sync", {**body, "cursor": page["next_cursor"]})
        for kind in ("added", "modified", "removed"):
            more[kind] = page[kind] + more[kind]
        page = more
    return page


def test_each_day_passed_posts_pending_transactions_and_adds_new_ones(api: Api, sent: Sent) -> None:
    caller, other = new_client(api), new_client(api)
    item = link(caller, ["transactions"])
    still = link(other, ["transactions"])
    cursor = _sync(caller, item["access_token"])["next_cursor"]
    other_cursor = _sync(other, still["access_token"])["next_cursor"]
    sent.clear()

    reading = advance(api, caller, days=3)
    today = datetime.fromtimestamp(reading["unix_time"], UTC).date()
    changes = _sync(caller, item["access_token"], cursor)
    new_pending = [t for t in changes["added"] if t["pending"]]
    posted = [t for t in changes["added"] if t["pending_transaction_id"]]
    # Three days, each on every account that takes transactions: a new pending one (dated
    # that day), the oldest pending one posted (a removal and a posted addition), a
    # correction. A day's new one may have posted by the third day.
    days = {t["date"] for t in new_pending}
    assert today.isoformat() in days
    assert days <= {(today - timedelta(days=n)).isoformat() for n in range(3)}
    assert posted and changes["removed"] and changes["modified"]
    # A pending transaction seen before the advance posted: it is removed, and its posted
    # form names it.
    removed = {r["transaction_id"] for r in changes["removed"]}
    assert removed & {t["pending_transaction_id"] for t in posted}
    # Plaid's webhooks of each day's update: SYNC_UPDATES_AVAILABLE to a sync user, the
    # legacy DEFAULT_UPDATE and TRANSACTIONS_REMOVED too.
    found = codes(sent)
    assert found.count("SYNC_UPDATES_AVAILABLE") == 3
    assert found.count("DEFAULT_UPDATE") == 3
    assert "TRANSACTIONS_REMOVED" in found
    # The other client, at the same moment: nothing new, no webhook.
    unchanged = _sync(other, still["access_token"], other_cursor)
    assert unchanged["added"] == unchanged["modified"] == unchanged["removed"] == []
    assert all(p["item_id"] != still["item_id"] for _, p in sent)


def test_a_partner_of_the_world_reads_the_days_passed(api: Api, sent: Sent) -> None:
    caller = new_client(api)
    partner = new_partner(api, caller)
    item = link(caller, ["transactions"])
    account = next(a for a in item["accounts"] if a["subtype"] == "checking")
    token = caller.ok("/processor/token/create", {
        "access_token": item["access_token"], "account_id": account["account_id"],
        "processor": "dwolla",
    })["processor_token"]  # fmt: skip
    first = partner.ok("/processor/transactions/sync", {"processor_token": token})
    while first["has_more"]:
        first = partner.ok("/processor/transactions/sync",
                           {"processor_token": token, "cursor": first["next_cursor"]})  # fmt: skip
    advance(api, caller, days=1)
    later = partner.ok("/processor/transactions/sync",
                       {"processor_token": token, "cursor": first["next_cursor"]})  # fmt: skip
    assert any(t["pending"] for t in later["added"])
    assert {t["account_id"] for t in later["added"]} == {account["account_id"]}


def test_an_item_expires_30_days_after_its_login_with_a_notice_a_week_before(
    api: Api, sent: Sent
) -> None:
    caller, other = new_client(api), new_client(api)
    item = link(caller, ["auth"])
    elsewhere = link(other, ["auth"])
    partner = new_partner(api, caller)
    token = caller.ok("/processor/token/create", {
        "access_token": item["access_token"], "account_id": item["accounts"][0]["account_id"],
        "processor": "dwolla",
    })["processor_token"]  # fmt: skip
    created = parsed(caller.ok("/item/get", {"access_token": item["access_token"]})["item"][
        "created_at"])  # fmt: skip
    sent.clear()

    advance(api, caller, days=23, minutes=1)
    assert codes(sent) == ["PENDING_EXPIRATION"]
    notice = sent[0][1]
    assert notice["item_id"] == item["item_id"]
    assert abs(parsed(notice["consent_expiration_time"]) - (created + timedelta(days=30))) <= (
        timedelta(seconds=1)
    )
    caller.ok("/accounts/get", {"access_token": item["access_token"]})

    advance(api, caller, days=7)
    assert codes(sent) == ["PENDING_EXPIRATION", "ERROR"]
    assert sent[1][1]["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"
    response = caller.post("/accounts/get", {"access_token": item["access_token"]})
    assert_plaid_error(response, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    read = partner.post("/processor/auth/get", {"processor_token": token})
    assert_plaid_error(read, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    got = caller.ok("/item/get", {"access_token": item["access_token"]})
    assert got["item"]["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"
    # The other client's Item, as old in real time, is healthy.
    other.ok("/accounts/get", {"access_token": elsewhere["access_token"]})

    # Repaired, the Item has 30 more days, counted from the repair; it expires once.
    caller.ok("/_tokenbridge/sandbox/item/repair", {"access_token": item["access_token"]})
    advance(api, caller, days=29)
    caller.ok("/accounts/get", {"access_token": item["access_token"]})
    advance(api, caller, days=1, minutes=1)
    response = caller.post("/accounts/get", {"access_token": item["access_token"]})
    assert_plaid_error(response, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert codes(sent).count("ERROR") == 2
    assert codes(sent).count("LOGIN_REPAIRED") == 1


def test_an_item_in_error_gets_no_daily_updates(api: Api, sent: Sent) -> None:
    caller = new_client(api)
    item = link(caller, ["transactions"])
    caller.ok("/transactions/sync", {"access_token": item["access_token"]})
    caller.ok("/sandbox/item/reset_login", {"access_token": item["access_token"]})
    sent.clear()
    advance(api, caller, days=2)
    assert codes(sent) == []
