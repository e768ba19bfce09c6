"""Sandbox test users that make linking fail: `error_<CODE>` passwords, as Plaid's Sandbox
answers them (https://plaid.com/docs/sandbox/test-credentials/), on both ways of linking."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import Api
from tests.helpers import assert_plaid_error

DOWN = "this institution is not currently responding to this request. please try again soon"
# code -> (status, error_type, error_message), from Plaid's error pages.
ERROR_PASSWORDS = {
    "COUNTRY_NOT_SUPPORTED": (
        400, "ITEM_ERROR", "the country of this institution is not supported"),
    "INSTITUTION_DOWN": (400, "INSTITUTION_ERROR", DOWN),
    "INSTITUTION_NOT_RESPONDING": (400, "INSTITUTION_ERROR", DOWN),
    "INSTITUTION_NO_LONGER_SUPPORTED": (
        400, "INSTITUTION_ERROR", "this institution is no longer supported"),
    "INSUFFICIENT_CREDENTIALS": (
        400, "ITEM_ERROR", "insufficient authorization was provided to complete the request"),
    "INTERNAL_SERVER_ERROR": (500, "API_ERROR", "an unexpected error occurred"),
    "INVALID_CREDENTIALS": (400, "ITEM_ERROR", "the provided credentials were not correct"),
    "INVALID_MFA": (400, "ITEM_ERROR", "the provided MFA response(s) were not correct"),
    "INVALID_SEND_METHOD": (400, "ITEM_ERROR", "the provided MFA send_method was invalid"),
    "ITEM_LOCKED": (400, "ITEM_ERROR", "the account is locked. prompt the user to visit the "
                    "institution's site and unlock their account"),
    "ITEM_NOT_SUPPORTED": (400, "ITEM_ERROR", "this account is currently not supported"),
    "MFA_NOT_SUPPORTED": (400, "ITEM_ERROR", "this account requires a MFA type that we do not "
                          "currently support for the institution"),
    "NO_ACCOUNTS": (400, "ITEM_ERROR", "no valid accounts were found for this item"),
    "PRODUCTS_NOT_SUPPORTED": (400, "ITEM_ERROR", ""),
    "USER_SETUP_REQUIRED": (400, "ITEM_ERROR", "the account has not been fully set up. prompt "
                            "the user to visit the issuing institution's site and finish the "
                            "setup process"),
}  # fmt: skip


def _link(api: Api, path: str, password: str, username: str = "user_good") -> httpx.Response:
    body: dict[str, object] = {
        "institution_id": "ins_109508",
        "options": {"override_username": username, "override_password": password},
    }
    body["initial_products"] = ["auth"]
    return api.post(path, body)


@pytest.mark.parametrize("code", sorted(ERROR_PASSWORDS))
def test_error_password_fails_linking_with_plaids_error(api: Api, code: str) -> None:
    status, error_type, message = ERROR_PASSWORDS[code]
    response = _link(api, "/sandbox/public_token/create", f"error_{code}")
    body = assert_plaid_error(response, status, error_type, code)
    assert body["error_message"] == message


@pytest.mark.parametrize("code", ["ITEM_LOCKED", "INSTITUTION_DOWN"])
def test_error_password_fails_the_processor_token_link_too(api: Api, code: str) -> None:
    status, error_type, _ = ERROR_PASSWORDS[code]
    response = api.post(
        "/sandbox/processor_token/create",
        {"institution_id": "ins_109508",
         "options": {"override_username": "user_good", "override_password": f"error_{code}"}},
    )  # fmt: skip
    assert_plaid_error(response, status, error_type, code)


def test_the_display_message_is_plaids(api: Api) -> None:
    body = _link(api, "/sandbox/public_token/create", "error_ITEM_LOCKED").json()
    assert body["display_message"].startswith("The given account has been locked")


@pytest.mark.parametrize(
    ("username", "password"),
    [("user_good", "error_NOT_A_CODE"), ("user_good", "error_"), ("user_bad", "error_ITEM_LOCKED"),
     ("user_good", "error_item_locked")],
)  # fmt: skip
def test_anything_else_is_a_wrong_password(api: Api, username: str, password: str) -> None:
    response = _link(api, "/sandbox/public_token/create", password, username)
    assert_plaid_error(response, 400, "ITEM_ERROR", "INVALID_CREDENTIALS")


@pytest.mark.parametrize("password", ["mfa_device", "mfa_questions_3_1", "mfa_selections"])
def test_mfa_passwords_link_without_link(api: Api, password: str) -> None:
    response = _link(api, "/sandbox/public_token/create", password)
    assert response.status_code == 200, response.text
    assert response.json()["public_token"].startswith("public-sandbox-")
