"""/link/token/create and /link/token/get: Plaid's required fields and checks, the sandbox
token, its expiry, and what /link/token/get echoes back."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, link_item, rebuild
from tests.conftest import chosen_target
from tests.helpers import CLIENT_ID, SECRET
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.app import create_app
from tokenbridge.domain.randomness import hash_token
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


class Clock:
    """A clock the test moves (`t`), in the shape of the domain's Clock port."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t


def body(**changes: Any) -> dict[str, Any]:
    """A /link/token/create body as Plaid's quickstart sends it, with `changes` (None drops
    a field)."""
    request: dict[str, Any] = {
        "client_name": "Plaid Test App",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "user-1"},
        "products": ["auth"],
    }
    request.update(changes)
    return {k: v for k, v in request.items() if v is not None}


def seconds(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def test_create_then_get_echoes_the_request(api: Api) -> None:
    created = api.ok(
        "/link/token/create",
        body(
            products=["auth", "transactions"],
            country_codes=["US", "CA"],
            webhook="https://example.com/hook",
            redirect_uri="https://example.com/oauth.html",
            institution_data={"routing_number": "011401533"},
            account_filters={"depository": {"account_subtypes": ["checking", "savings"]}},
            optional_products=["identity"],
        ),
    )
    assert re.fullmatch(f"link-sandbox-{UUID}", created["link_token"])
    assert created["request_id"]
    got = api.ok("/link/token/get", {"link_token": created["link_token"]})
    assert got["link_token"] == created["link_token"]
    assert got["expiration"] == created["expiration"]
    # Four hours by default.
    assert seconds(got["expiration"]) - seconds(got["created_at"]) == 4 * 3600
    assert got["link_sessions"] == []
    assert got["metadata"] == {
        "initial_products": ["auth", "transactions"],
        "webhook": "https://example.com/hook",
        "country_codes": ["US", "CA"],
        "language": "en",
        "institution_data": {"routing_number": "011401533"},
        "account_filters": {"depository": {"account_subtypes": ["checking", "savings"]}},
        "redirect_uri": "https://example.com/oauth.html",
        "client_name": "Plaid Test App",
    }


def test_the_token_is_stored_hashed_only(api: Api) -> None:
    token = api.ok("/link/token/create", body())["link_token"]
    store = api.services.store
    found = api.loop.run_until_complete(
        store.get_link_token(hash_token(token), client_id=api.headers["PLAID-CLIENT-ID"])
    )
    assert found is not None and found.token_hash == hash_token(token)
    assert token not in repr(found)


def test_optional_metadata_is_null_when_not_sent(api: Api) -> None:
    token = api.ok("/link/token/create", body())["link_token"]
    metadata = api.ok("/link/token/get", {"link_token": token})["metadata"]
    assert metadata["webhook"] is None and metadata["redirect_uri"] is None
    assert "institution_data" not in metadata and "account_filters" not in metadata


def test_every_field_of_the_sdk_is_accepted(api: Api) -> None:
    created = api.ok(
        "/link/token/create",
        body(
            user={
                "client_user_id": "u",
                "legal_name": "A B",
                "email_address": "a@b.example",
                "phone_number": "+14155550123",
                "date_of_birth": "1990-01-01",
                "address": {"city": "X"},
                "name": {"given_name": "A"},
            },
            additional_consented_products=["identity"],
            required_if_supported_products=["transactions"],
            link_customization_name="default",
            appearance_mode="DARK",
            android_package_name="com.example.app",
            card_switch={"card_bin": "411111"},
            eu_config={"headless": False},
            institution_id="ins_109508",
            payment_initiation={"payment_id": "p"},
            employment={"employment_source_types": ["bank"]},
            income_verification={"income_source_types": ["bank"]},
            base_report={"client_report_id": "r"},
            credit_partner_insights={"days_requested": 90},
            cra_options={"days_requested": 365},
            cra_report_parameter={"x": 1},
            consumer_report_permissible_purpose="ACCOUNT_REVIEW_CREDIT",
            auth={"auth_type_select_enabled": True},
            transfer={"intent_id": "i"},
            update={"account_selection_enabled": False},
            identity_verification={"template_id": "t"},
            statements={"start_date": "2024-01-01", "end_date": "2024-02-01"},
            third_party_user_token="t",
            investments={"allow_manual_entry": True},
            investments_auth={"manual_entry_enabled": True},
            transactions={"days_requested": 180},
            cashflow_report={"days_requested": 365},
            cra_enabled=False,
            identity={"is_document_upload": False},
            financekit_supported=False,
            enable_multi_item_link=False,
            user_token="user-sandbox-x",
            user_id="usr_1",
        ),
    )
    assert created["link_token"].startswith("link-sandbox-")


def test_user_id_may_stand_in_for_user(api: Api) -> None:
    api.ok("/link/token/create", body(user=None, user_id="usr_9"))
    error = assert_error(api.post("/link/token/create", body(user=None, user_id="")),
                         400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    assert error["error_message"] == "user_id must be a non-empty string"


@pytest.mark.parametrize("field", ["client_name", "language", "country_codes"])
def test_missing_required_field(api: Api, field: str) -> None:
    response = api.post("/link/token/create", body(**{field: None}))
    assert_error(response, 400, "INVALID_REQUEST", "MISSING_FIELDS",
                 f"the following required fields are missing: {field}")  # fmt: skip


def test_missing_user(api: Api) -> None:
    response = api.post("/link/token/create", body(user=None))
    assert_error(response, 400, "INVALID_REQUEST", "MISSING_FIELDS",
                 "the following required fields are missing: user")  # fmt: skip


def test_missing_client_user_id(api: Api) -> None:
    response = api.post("/link/token/create", body(user={"legal_name": "A"}))
    assert_error(response, 400, "INVALID_REQUEST", "MISSING_FIELDS",
                 "the following required fields are missing: user.client_user_id")  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_name": ""}, "client_name must be a non-empty string"),
        ({"language": ""}, "language must be a non-empty string"),
        ({"country_codes": []}, "country_codes must be a non-empty string array"),
        ({"country_codes": ["US", "XX"]}, "country_codes contains unsupported country codes: XX"),
        ({"user": {"client_user_id": ""}}, "user.client_user_id must be a non-empty string"),
        ({"products": []}, "must provide at least one product"),
        ({"products": None}, "must provide at least one product"),
        ({"products": ["balance"]}, "products contains unknown or unsupported products: balance"),
        ({"products": ["auth", "nope"]}, "products contains unknown or unsupported products: nope"),
        ({"optional_products": ["nope"]},
         "optional_products contains unknown or unsupported products: nope"),
        ({"products": None, "optional_products": ["auth"]}, "must provide at least one product"),
        ({"products": ["auth"], "optional_products": ["auth"]},
         "products and optional_products must not share products: auth"),
        ({"webhook": "not a url"}, "webhook must be an http or https URL"),
        ({"redirect_uri": "http://example.com/oauth"},
         "redirect_uri must be an https URI (http is allowed for localhost only)"),
        ({"redirect_uri": "myapp://oauth"},
         "redirect_uri must be an https URI (http is allowed for localhost only)"),
        *(({"redirect_uri": uri},
           "redirect_uri must be an https URI (http is allowed for localhost only)")
          for uri in ("https://%zz/", "https://[v1.x]/", "https://[::1%eth0]/",
                      "http://localhost:0/", "https://exa mple.com/")),
        ({"redirect_uri": "https://example.com/o", "android_package_name": "com.example"},
         "redirect_uri and android_package_name cannot both be set: use android_package_name"
         " for Link on Android, redirect_uri elsewhere"),
        ({"hosted_link": {"url_lifetime_seconds": 0}},
         "hosted_link.url_lifetime_seconds must be positive and at most 1814400 (21 days)"),
        ({"transactions": {"days_requested": 731}},
         "transactions.days_requested must be between 1 and 730"),
    ],
)  # fmt: skip
def test_invalid_field(api: Api, changes: dict[str, Any], message: str) -> None:
    response = api.post("/link/token/create", body(**changes))
    assert_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD", message)


def test_unsupported_language_names_the_supported_ones(api: Api) -> None:
    response = api.post("/link/token/create", body(language="xx"))
    error = assert_error(response, 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith("language xx is not supported; use one of: da,")


def test_wrong_type_and_unknown_field(api: Api) -> None:
    assert_error(api.post("/link/token/create", body(country_codes="US")),
                 400, "INVALID_REQUEST", "INVALID_FIELD")  # fmt: skip
    unknown = api.post("/link/token/create", body(not_a_field=1))
    message = "the following fields are not recognized by this endpoint: not_a_field"
    assert_error(unknown, 400, "INVALID_REQUEST", "UNKNOWN_FIELDS", message)


def test_localhost_redirect_uri_may_use_http(api: Api) -> None:
    api.ok("/link/token/create", body(redirect_uri="http://localhost:3000/oauth"))


def test_update_mode_needs_no_products_and_expires_after_30_minutes(api: Api) -> None:
    item = link_item(api)
    created = api.ok("/link/token/create", body(products=None, access_token=item["access_token"]))
    got = api.ok("/link/token/get", {"link_token": created["link_token"]})
    assert seconds(got["expiration"]) - seconds(got["created_at"]) == 30 * 60
    assert got["metadata"]["initial_products"] == []


def test_update_mode_with_a_bad_access_token(api: Api) -> None:
    response = api.post("/link/token/create", body(access_token="access-sandbox-unknown"))
    assert_error(response, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                 "could not find matching access token")  # fmt: skip


def test_update_mode_with_another_clients_access_token(api: Api) -> None:
    item = link_item(api)
    other = other_client(api)
    response = api.post("/link/token/create", body(access_token=item["access_token"]),
                        headers=other)  # fmt: skip
    assert_error(response, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")


@pytest.mark.parametrize(
    ("hosted_link", "lifetime"),
    [({}, 30 * 60), ({"delivery_method": "sms"}, 86400), ({"delivery_method": "email"}, 7 * 86400),
     ({"url_lifetime_seconds": 600, "delivery_method": "email"}, 600)],
)  # fmt: skip
def test_hosted_link_expires_with_its_url(api: Api, hosted_link: dict[str, Any],
                                          lifetime: int) -> None:  # fmt: skip
    token = api.ok("/link/token/create", body(hosted_link=hosted_link))["link_token"]
    got = api.ok("/link/token/get", {"link_token": token})
    assert seconds(got["expiration"]) - seconds(got["created_at"]) == lifetime


def other_client(api: Api) -> dict[str, str]:
    client, secret = api.loop.run_until_complete(api.services.clients.create_client("other app"))
    return {"PLAID-CLIENT-ID": client.client_id, "PLAID-SECRET": secret}


def test_another_clients_token_is_an_unknown_one(api: Api) -> None:
    token = api.ok("/link/token/create", body())["link_token"]
    theirs = api.post("/link/token/get", {"link_token": token}, headers=other_client(api))
    unknown = api.post("/link/token/get", {"link_token": "link-sandbox-unknown"})
    for response in (theirs, unknown):
        assert_error(response, 400, "INVALID_INPUT", "INVALID_LINK_TOKEN",
                     "invalid link_token provided")  # fmt: skip
    assert theirs.json().keys() == unknown.json().keys()


def test_missing_link_token(api: Api) -> None:
    assert_error(api.post("/link/token/get", {}), 400, "INVALID_REQUEST", "MISSING_FIELDS",
                 "the following required fields are missing: link_token")  # fmt: skip


def test_expiry_follows_the_clock_and_an_expired_token_is_still_read(api: Api) -> None:
    clock = Clock()
    rebuild(api, clock=clock)
    token = api.ok("/link/token/create", body())["link_token"]
    clock.t += 4 * 3600 + 1
    got = api.ok("/link/token/get", {"link_token": token})
    assert seconds(got["created_at"]) == 1_700_000_000
    assert seconds(got["expiration"]) == 1_700_000_000 + 4 * 3600


def test_creating_a_token_is_audited(api: Api) -> None:
    item = link_item(api)
    created = api.ok("/link/token/create", body(products=["auth"]))
    update = api.ok("/link/token/create", body(products=None, access_token=item["access_token"]))
    log = api.loop.run_until_complete(api.services.store.list_audit())
    made = [e for e in log if e.action == "link_token.create"]
    assert [(e.request_id, e.products, e.item_id) for e in made] == [
        (created["request_id"], ("auth",), None),
        (update["request_id"], (), item["item_id"]),
    ]
    assert made[0].token_id == hash_token(created["link_token"])[:12]


def test_seeded_servers_hand_out_the_same_link_tokens(tmp_path: Path) -> None:
    if chosen_target() == "live":
        pytest.skip("builds seeded apps of its own: in-process only")
    loop = asyncio.new_event_loop()
    tokens = []
    for name in ("a", "b"):
        store = loop.run_until_complete(open_store(f"sqlite:///{tmp_path / name}.db"))
        settings = Settings(client_id=CLIENT_ID, secret=SECRET, seed="link")
        app = create_app(settings, store=store)
        loop.run_until_complete(app.startup())
        seeded = Api(app, loop)
        tokens.append([seeded.ok("/link/token/create", body())["link_token"] for _ in range(2)])
        seeded.close()
        loop.run_until_complete(app.shutdown())
    loop.close()
    assert tokens[0] == tokens[1]
    assert tokens[0][0] != tokens[0][1]


def test_a_missing_user_is_answered_before_a_bad_field(api: Api) -> None:
    response = api.post("/link/token/create", body(user=None, language="xx"))
    assert_error(response, 400, "INVALID_REQUEST", "MISSING_FIELDS")
