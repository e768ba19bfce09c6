"""/institutions/get, /institutions/get_by_id and /institutions/search over the sandbox
institutions, and the unhealthy and unsupported sandbox institutions' failing logins."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, link_item
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.sandbox.numbers import aba_valid

# The sandbox institutions in the US that take new Items (and three in the UK, one in
# Canada); the Unsupported Platypus Bank is only found by its id.
US_COUNT = 13


def ids(institutions: list[dict[str, Any]]) -> list[str]:
    return [i["institution_id"] for i in institutions]


# /institutions/get -------------------------------------------------------------------------


def test_get_pages_through_every_institution_of_the_countries(api: Api) -> None:
    everything = api.ok("/institutions/get", {"count": 500, "offset": 0, "country_codes": ["US"]})
    assert everything["total"] == len(everything["institutions"]) == US_COUNT
    assert ids(everything["institutions"])[0] == "ins_109508"
    paged: list[str] = []
    for offset in range(0, US_COUNT, 4):
        page = api.ok("/institutions/get", {"count": 4, "offset": offset, "country_codes": ["US"]})
        assert page["total"] == US_COUNT
        paged += ids(page["institutions"])
    assert paged == ids(everything["institutions"])
    beyond = api.ok("/institutions/get", {"count": 5, "offset": 100, "country_codes": ["US"]})
    assert (beyond["institutions"], beyond["total"]) == ([], US_COUNT)
    uk_ca = api.ok("/institutions/get", {"count": 10, "offset": 0, "country_codes": ["GB", "CA"]})
    assert sorted(ids(uk_ca["institutions"])) == ["ins_116834", "ins_117181", "ins_117650",
                                                   "ins_43"]  # fmt: skip
    first = everything["institutions"][0]
    assert first["name"] == "First Platypus Bank" and first["oauth"] is False
    assert first["connection_availability"] == "SUPPORTED"
    assert "ins_133402" not in ids(everything["institutions"])
    assert first["country_codes"] == ["US"] and "auth" in first["products"]
    assert len(first["routing_numbers"]) == 3 and all(
        aba_valid(r) for r in first["routing_numbers"]
    )
    # Without include_optional_metadata, no URL, logo or color; no status or metadata either.
    assert (first["url"], first["logo"], first["primary_color"]) == (None, None, None)
    assert not {"status", "auth_metadata", "payment_initiation_metadata"} & set(first)


def test_get_filters(api: Api) -> None:
    def get(**options: Any) -> list[str]:
        body = {"count": 500, "offset": 0, "country_codes": ["US", "GB", "CA"], "options": options}
        return ids(api.ok("/institutions/get", body)["institutions"])

    assert sorted(get(oauth=True)) == ["ins_116834", "ins_117181", "ins_117650", "ins_127287",
                                       "ins_132241"]  # fmt: skip
    assert len(get(oauth=False)) == 12
    assert len(get(products=["auth", "transactions"])) == 17
    assert get(products=["payment_initiation"]) == []
    # Plaid's Instant Match routing number is Houndstooth Bank's; invalid numbers are dropped.
    assert get(routing_numbers=["021000021", "12345"]) == ["ins_109512"]
    metadata = api.ok("/institutions/get", {
        "count": 1, "offset": 0, "country_codes": ["US"],
        "options": {"include_optional_metadata": True, "include_auth_metadata": True},
    })["institutions"][0]  # fmt: skip
    assert metadata["url"] == "https://plaid.com"
    assert metadata["primary_color"].startswith("#") and len(metadata["primary_color"]) == 7
    assert metadata["auth_metadata"]["supported_methods"]["instant_auth"] is True


@pytest.mark.parametrize(
    ("body", "code", "names"),
    [
        ({"count": 0, "offset": 0, "country_codes": ["US"]}, "INVALID_FIELD", "count"),
        ({"count": 501, "offset": 0, "country_codes": ["US"]}, "INVALID_FIELD", "count"),
        ({"count": 5, "offset": -1, "country_codes": ["US"]}, "INVALID_FIELD", "offset"),
        ({"count": 5, "offset": 0, "country_codes": []}, "INVALID_FIELD", "country_codes"),
        ({"count": 5, "offset": 0, "country_codes": ["XX"]}, "INVALID_FIELD", "country_codes"),
        ({"count": 5, "offset": 0}, "MISSING_FIELDS", "country_codes"),
        ({"country_codes": ["US"]}, "MISSING_FIELDS", "count"),
        ({"count": 5, "offset": 0, "country_codes": ["US"], "options": {"products": []}},
         "INVALID_FIELD", "options.products"),
        ({"count": 5, "offset": 0, "country_codes": ["US"], "options": {"products": ["telepathy"]}},
         "INVALID_FIELD", "telepathy"),
        ({"count": 5, "offset": 0, "country_codes": ["US"],
          "options": {"routing_numbers": ["123", "021000022"]}},
         "INVALID_FIELD", "routing_numbers"),
        ({"count": 5, "offset": 0, "country_codes": ["US"], "options": {"colour": True}},
         "UNKNOWN_FIELDS", "colour"),
    ],
)  # fmt: skip
def test_get_refuses(api: Api, body: dict[str, Any], code: str, names: str) -> None:
    got = assert_error(api.post("/institutions/get", body), 400, "INVALID_REQUEST", code)
    assert names in got["error_message"]


# /institutions/get_by_id -----------------------------------------------------------------


def test_get_by_id(api: Api) -> None:
    got = api.ok("/institutions/get_by_id", {"institution_id": "ins_109512",
                                             "country_codes": ["US"]})["institution"]  # fmt: skip
    assert got["name"] == "Houndstooth Bank" and got["routing_numbers"][0] == "021000021"
    assert "status" not in got
    everything = api.ok("/institutions/get_by_id", {
        "institution_id": "ins_109512", "country_codes": ["US"],
        "options": {"include_optional_metadata": True, "include_status": True,
                    "include_auth_metadata": True, "include_payment_initiation_metadata": True},
    })["institution"]  # fmt: skip
    assert everything["auth_metadata"]["supported_methods"] == {
        "instant_auth": True, "instant_match": True, "automated_micro_deposits": True,
        "instant_micro_deposits": False,
    }  # fmt: skip
    assert everything["payment_initiation_metadata"] is None
    logins = everything["status"]["item_logins"]
    assert logins["status"] == "HEALTHY"
    assert sum(logins["breakdown"].values()) == pytest.approx(1.0)
    assert everything["status"]["transactions_updates"]["breakdown"]["refresh_interval"] == "NORMAL"
    body = {"institution_id": "ins_43", "country_codes": ["CA"]}
    canada = api.ok("/institutions/get_by_id", body)["institution"]
    assert canada["country_codes"] == ["CA"] and canada["routing_numbers"] == []


@pytest.mark.parametrize(
    ("institution_id", "status", "success"),
    [("ins_132363", "DEGRADED", 0.55), ("ins_132361", "DOWN", 0.0), ("ins_133402", "DOWN", 0.0),
     ("ins_109508", "HEALTHY", 0.99)],
)  # fmt: skip
def test_status_of_the_unhealthy_institutions(
    api: Api, institution_id: str, status: str, success: float
) -> None:
    got = api.ok("/institutions/get_by_id", {
        "institution_id": institution_id, "country_codes": ["US"],
        "options": {"include_status": True},
    })["institution"]["status"]  # fmt: skip
    assert {s["status"] for s in got.values() if s is not None} == {status}
    assert got["item_logins"]["breakdown"]["success"] == success


@pytest.mark.parametrize(
    ("body", "error_type", "code"),
    [
        ({"institution_id": "ins_999999", "country_codes": ["US"]}, "INVALID_INPUT",
         "INVALID_INSTITUTION"),
        # Tartan-Dominion is a Canadian institution.
        ({"institution_id": "ins_43", "country_codes": ["US"]}, "INVALID_INPUT",
         "INVALID_INSTITUTION"),
        ({"institution_id": "", "country_codes": ["US"]}, "INVALID_REQUEST", "INVALID_FIELD"),
        ({"institution_id": "ins_109508"}, "INVALID_REQUEST", "MISSING_FIELDS"),
        ({"institution_id": "ins_109508", "country_codes": []}, "INVALID_REQUEST",
         "INVALID_FIELD"),
    ],
)  # fmt: skip
def test_get_by_id_refuses(api: Api, body: dict[str, Any], error_type: str, code: str) -> None:
    got = assert_error(api.post("/institutions/get_by_id", body), 400, error_type, code)
    if code == "INVALID_INSTITUTION":
        assert got["error_message"] == "invalid institution_id provided"


def test_the_unsupported_institution_is_found_by_its_id_only(api: Api) -> None:
    got = api.ok("/institutions/get_by_id", {"institution_id": "ins_133402",
                                             "country_codes": ["US"]})["institution"]  # fmt: skip
    assert (got["name"], got["connection_availability"]) == ("Unsupported Platypus Bank",
                                                             "NOT_SUPPORTED")  # fmt: skip
    body = {"query": "unsupported platypus", "country_codes": ["US"]}
    assert api.ok("/institutions/search", body)["institutions"] == []


# /institutions/search --------------------------------------------------------------------


def test_search(api: Api) -> None:
    def search(query: str, **extra: Any) -> list[str]:
        body = {"query": query, "country_codes": ["US", "GB"], **extra}
        return ids(api.ok("/institutions/search", body)["institutions"])

    assert search("unhealthy PLATYPUS") == ["ins_132363", "ins_132361"]
    assert search("platypus bank down") == ["ins_132361"]
    # At most ten institutions per query.
    assert len(search("a")) == 10
    assert search("platypus", options={"oauth": True}) == [
        "ins_116834", "ins_127287", "ins_132241", "ins_117181",
    ]  # fmt: skip
    assert search("tartan") == ["ins_109511"]  # the Canadian one is not in US or GB
    assert search("gingham", products=["auth", "identity"]) == ["ins_109509"]
    assert search("nothing like it") == []
    got = api.ok("/institutions/search", {
        "query": "houndstooth", "country_codes": ["US"],
        "options": {"include_optional_metadata": True},
    })["institutions"][0]  # fmt: skip
    assert got["url"] == "https://plaid.com"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "", "country_codes": ["US"]}, "INVALID_FIELD"),
        ({"query": "   ", "country_codes": ["US"]}, "INVALID_FIELD"),
        ({"query": "b" * 257, "country_codes": ["US"]}, "INVALID_FIELD"),
        ({"query": "bank", "country_codes": ["US"], "products": []}, "INVALID_FIELD"),
        ({"query": "bank", "country_codes": ["US"], "products": ["nope"]}, "INVALID_FIELD"),
        ({"query": "bank"}, "MISSING_FIELDS"),
        ({"query": "bank", "country_codes": ["us"]}, "INVALID_FIELD"),
    ],
)  # fmt: skip
def test_search_refuses(api: Api, body: dict[str, Any], code: str) -> None:
    assert_error(api.post("/institutions/search", body), 400, "INVALID_REQUEST", code)


# Logins at the unhealthy and unsupported institutions ------------------------------------


@pytest.mark.parametrize(
    ("institution_id", "code", "message"),
    [
        ("ins_132361", "INSTITUTION_DOWN",
         "this institution is not currently responding to this request. please try again soon"),
        ("ins_133402", "INSTITUTION_NO_LONGER_SUPPORTED",
         "this institution is no longer supported"),
    ],
)  # fmt: skip
def test_no_item_can_be_linked_where_logins_fail(
    api: Api, institution_id: str, code: str, message: str
) -> None:
    public = api.post("/sandbox/public_token/create",
                      {"institution_id": institution_id, "initial_products": ["auth"]})  # fmt: skip
    body = assert_error(public, 400, "INSTITUTION_ERROR", code, message)
    assert body["display_message"]
    assert body["documentation_url"] == f"https://plaid.com/docs/errors/institution/#{code.lower()}"
    processor = api.post("/sandbox/processor_token/create", {"institution_id": institution_id})
    assert_error(processor, 400, "INSTITUTION_ERROR", code, message)
    # The login fails before the credentials are looked at.
    bad = api.post("/sandbox/public_token/create", {
        "institution_id": institution_id, "initial_products": ["auth"],
        "options": {"override_username": "user_good", "override_password": "wrong"},
    })  # fmt: skip
    assert_error(bad, 400, "INSTITUTION_ERROR", code)


def test_the_degraded_institution_links(api: Api) -> None:
    item = link_item(api, "ins_132363")
    assert len(item["accounts"]) == 12
    got = api.ok("/item/get", {"access_token": item["access_token"]})["item"]
    assert got["institution_name"] == "Unhealthy Platypus Bank - Degraded"
