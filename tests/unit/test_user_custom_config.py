"""The user_custom configuration parser: every malformed case is refused with INVALID_FIELD
naming the field; a valid one links the accounts it describes."""

from __future__ import annotations

import json

import pytest

from tests.api.test_user_custom import MALFORMED, PREFIX, config
from tokenbridge.domain import errors
from tokenbridge.sandbox import custom


@pytest.mark.parametrize(("password", "detail"), MALFORMED)
def test_malformed_configurations(password: str, detail: str) -> None:
    with pytest.raises(errors.InvalidField) as info:
        custom.parse_config(password)
    assert info.value.error_message.startswith(PREFIX + detail), info.value.error_message
    assert (info.value.error_type, info.value.error_code) == ("INVALID_REQUEST", "INVALID_FIELD")


@pytest.mark.parametrize(
    "password",
    ["", "{", '{"seed": 5}', '{"override_accounts": [null]}', "\ud800", "1e999999",
     '{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "transactions": [{"date_transacted": "2026-01-01"}]}]}',
     '{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "meta": {"limit": -1e999}}]}'],
)  # fmt: skip
def test_no_json_raises_anything_but_invalid_field(password: str) -> None:
    with pytest.raises(errors.InvalidField):
        custom.parse_config(password)


def test_a_valid_configuration_links_its_accounts_and_profile() -> None:
    parsed = custom.parse_config(json.dumps(config()))
    accounts, profile = custom.link(parsed, "item-1")
    first = accounts[0]
    assert (first.name, first.type, first.subtype, first.mask) == (
        "Ada's Checking", "depository", "checking", "4321"
    )  # fmt: skip
    stored = custom.profile(profile)
    assert stored.user == "user_custom" and stored.seed == "tokenbridge"
    assert stored.accounts[0].numbers is not None
    assert stored.accounts[0].numbers.account == "1111222233334321"
    assert stored.accounts[1].transactions == []


def test_plaids_own_example_shapes_are_taken() -> None:
    # Plaid's example configurations (github.com/plaid/sandbox-custom-users) send null for
    # an unset balance, holdings as a list and roll_dates_forward.
    parsed = custom.parse_config(json.dumps({
        "roll_dates_forward": True,
        "override_accounts": [{
            "type": "investment", "subtype": "brokerage", "force_available_balance": None,
            "holdings": [{"institution_price": 10, "quantity": 2, "currency": "USD",
                          "security": {"ticker_symbol": "AAPL", "currency": "USD"}}],
            "investment_transactions": {"date": "2026-01-02", "name": "buy", "quantity": 1,
                                        "price": 10, "type": "buy", "currency": "USD"},
        }],
    }))  # fmt: skip
    _, profile = custom.link(parsed, "item-2")
    stored = custom.profile(profile).accounts[0]
    assert stored.holdings is not None and len(stored.holdings) == 1
    assert stored.investment_transactions is not None and len(stored.investment_transactions) == 1


def test_generated_balances_come_from_the_seed_or_the_item() -> None:
    parsed = custom.parse_config('{"seed": "s"}')
    one, _ = custom.link(parsed, "item-a")
    two, _ = custom.link(parsed, "item-b")
    assert one == two
    unseeded = custom.parse_config("{}")
    assert custom.link(unseeded, "item-a")[0] != custom.link(unseeded, "item-b")[0]
