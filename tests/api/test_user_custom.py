"""user_custom: a JSON configuration as the password sets the accounts an Item links and
what every read of them answers, on the developer side and the partner side."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Api, Partner
from tests.helpers import assert_plaid_error
from tokenbridge.domain import errors

TODAY = datetime.now(UTC).date()


def day(days_ago: int) -> str:
    return str(TODAY - timedelta(days=days_ago))


def config() -> dict[str, Any]:
    """Two accounts: a checking account with everything set, and a credit card."""
    return {
        "seed": "tokenbridge",
        "override_accounts": [
            {
                "type": "depository",
                "subtype": "checking",
                "starting_balance": 6543.21,
                "force_available_balance": 6000,
                "currency": "USD",
                "meta": {"name": "Ada's Checking", "official_name": "Ada Gold Checking",
                         "mask": "4321"},
                "numbers": {"account": "1111222233334321", "ach_routing": "021000021",
                            "ach_wire_routing": "026009593"},
                "transactions": [
                    {"date_transacted": day(5), "date_posted": day(4), "amount": 12.5,
                     "description": "Corner Bakery", "currency": "USD"},
                    {"date_transacted": day(3), "date_posted": day(3), "amount": -1500,
                     "description": "Payroll ACME"},
                ],
                "identity": {
                    "names": ["Ada Lovelace"],
                    "phone_numbers": [{"data": "+1 415 555 0100", "primary": True,
                                       "type": "mobile"}],
                    "emails": [{"data": "ada@example.com", "primary": True, "type": "primary"}],
                    "addresses": [{"primary": True, "data": {
                        "street": "12 Analytical Way", "city": "London", "region": "LDN",
                        "postal_code": "N1 9GU", "country": "GB"}}],
                },
            },
            {
                "type": "credit",
                "subtype": "credit card",
                "starting_balance": 250,
                "meta": {"name": "Ada's Card", "limit": 5000},
                "transactions": [],
            },
        ],
    }  # fmt: skip


def create(api: Api, password: Any, products: list[str] | None = None) -> Any:
    return api.post(
        "/sandbox/public_token/create",
        {
            "institution_id": "ins_109508",
            "initial_products": products or ["auth", "transactions"],
            "options": {"override_username": "user_custom", "override_password": password},
        },
    )


def link_custom(api: Api, cfg: dict[str, Any] | None = None) -> tuple[str, list[dict[str, Any]]]:
    response = create(api, json.dumps(config() if cfg is None else cfg))
    assert response.status_code == 200, response.text
    exchanged = api.ok(
        "/item/public_token/exchange", {"public_token": response.json()["public_token"]}
    )
    token = exchanged["access_token"]
    return token, api.ok("/accounts/get", {"access_token": token})["accounts"]


def test_the_configured_accounts_and_balances(api: Api) -> None:
    _, accounts = link_custom(api)
    assert [(a["name"], a["official_name"], a["type"], a["subtype"]) for a in accounts] == [
        ("Ada's Checking", "Ada Gold Checking", "depository", "checking"),
        ("Ada's Card", None, "credit", "credit card"),
    ]
    # The configured mask; a generated one of four digits for the account that names none.
    assert accounts[0]["mask"] == "4321"
    assert len(accounts[1]["mask"]) == 4 and accounts[1]["mask"].isdigit()
    checking, card = (a["balances"] for a in accounts)
    assert checking == {"available": 6000, "current": 6543.21, "limit": None,
                        "iso_currency_code": "USD", "unofficial_currency_code": None}  # fmt: skip
    # A credit card's available credit is its limit less what is owed.
    assert (card["current"], card["limit"], card["available"]) == (250, 5000, 4750)


def test_numbers_on_auth_get(api: Api) -> None:
    token, accounts = link_custom(api)
    auth = api.ok("/auth/get", {"access_token": token})
    assert auth["numbers"]["ach"] == [
        {"account_id": accounts[0]["account_id"], "account": "1111222233334321",
         "routing": "021000021", "wire_routing": "026009593", "can_transfer_in": True,
         "can_transfer_out": True},
    ]  # fmt: skip


def test_identity_of_each_account(api: Api) -> None:
    token, _ = link_custom(api)
    identity = api.ok("/identity/get", {"access_token": token})["accounts"]
    owner = identity[0]["owners"][0]
    assert owner["names"] == ["Ada Lovelace"]
    assert owner["emails"] == [{"data": "ada@example.com", "primary": True, "type": "primary"}]
    assert owner["phone_numbers"] == [
        {"data": "+1 415 555 0100", "primary": True, "type": "mobile"}
    ]
    assert owner["addresses"][0]["data"]["street"] == "12 Analytical Way"
    # Names serve every account of the Item; what the card leaves out is the default.
    card_owner = identity[1]["owners"][0]
    assert card_owner["names"] == ["Ada Lovelace"]
    assert card_owner["emails"] != owner["emails"]


def test_transactions_are_the_configured_ones(api: Api) -> None:
    token, accounts = link_custom(api)
    got = api.ok(
        "/transactions/get",
        {"access_token": token, "start_date": day(30), "end_date": day(0)},
    )
    assert got["total_transactions"] == 2
    assert [(t["name"], t["amount"], t["date"], t["authorized_date"], t["pending"],
             t["account_id"], t["iso_currency_code"]) for t in got["transactions"]] == [
        ("Payroll ACME", -1500, day(3), day(3), False, accounts[0]["account_id"], "USD"),
        ("Corner Bakery", 12.5, day(4), day(5), False, accounts[0]["account_id"], "USD"),
    ]  # fmt: skip
    synced = api.ok("/transactions/sync", {"access_token": token})
    assert sorted(t["name"] for t in synced["added"]) == ["Corner Bakery", "Payroll ACME"]


def test_a_future_posting_date_is_pending(api: Api) -> None:
    cfg = {"override_accounts": [{"type": "depository", "subtype": "checking", "transactions": [
        {"date_transacted": day(0), "date_posted": str(TODAY + timedelta(days=2)),
         "amount": 9.99, "description": "Pending Thing"}]}]}  # fmt: skip
    token, _ = link_custom(api, cfg)
    synced = api.ok("/transactions/sync", {"access_token": token})
    assert [(t["name"], t["pending"], t["date"]) for t in synced["added"]] == [
        ("Pending Thing", True, day(0))
    ]


def test_the_partner_reads_the_same_data(api: Api, dwolla: Partner) -> None:
    token, accounts = link_custom(api)
    checking = accounts[0]["account_id"]
    processor_token = api.ok(
        "/processor/token/create",
        {"access_token": token, "account_id": checking, "processor": "dwolla"},
    )["processor_token"]
    body = {"processor_token": processor_token}
    auth = dwolla.ok("/processor/auth/get", body)
    assert auth["numbers"]["ach"]["account"] == "1111222233334321"
    assert auth["numbers"]["ach"]["routing"] == "021000021"
    assert auth["account"]["name"] == "Ada's Checking"
    balance = dwolla.ok("/processor/balance/get", body)["account"]["balances"]
    assert (balance["current"], balance["available"]) == (6543.21, 6000)
    owner = dwolla.ok("/processor/identity/get", body)["account"]["owners"][0]
    assert owner["names"] == ["Ada Lovelace"]
    assert owner["emails"][0]["data"] == "ada@example.com"
    window = {"start_date": day(30), "end_date": day(0)}
    developer = api.ok("/transactions/get", {"access_token": token, **window})["transactions"]
    partner = dwolla.ok("/processor/transactions/get", {**body, **window})["transactions"]
    assert partner == developer


def test_processor_token_create_with_user_custom(api: Api, dwolla: Partner) -> None:
    made = dwolla.ok(
        "/sandbox/processor_token/create",
        {"institution_id": "ins_109508", "options": {
            "override_username": "user_custom", "override_password": json.dumps(config())}},
    )  # fmt: skip
    auth = dwolla.ok("/processor/auth/get", {"processor_token": made["processor_token"]})
    assert auth["account"]["name"] == "Ada's Checking"
    assert auth["numbers"]["ach"]["account"] == "1111222233334321"


def test_an_empty_configuration_links_generated_accounts(api: Api) -> None:
    token, accounts = link_custom(api, {})
    assert [(a["type"], a["subtype"]) for a in accounts] == [
        ("depository", "checking"), ("depository", "savings")
    ]  # fmt: skip
    got = api.ok("/transactions/get", {"access_token": token, "start_date": day(90),
                                       "end_date": day(0)})  # fmt: skip
    assert got["total_transactions"] > 0


def test_a_seed_makes_generated_data_repeat(api: Api) -> None:
    def balances_and_history(cfg: dict[str, Any]) -> tuple[Any, ...]:
        token, accounts = link_custom(api, cfg)
        got = api.ok("/transactions/get", {"access_token": token, "start_date": day(90),
                                           "end_date": day(0)})["transactions"]  # fmt: skip
        return (
            [a["balances"] for a in accounts],
            # Sorted: ties on a date are ordered by transaction_id, which is the Item's.
            sorted((t["name"], t["amount"], t["date"]) for t in got),
        )

    one = balances_and_history({"seed": "repeat-me"})
    assert balances_and_history({"seed": "repeat-me"}) == one
    assert balances_and_history({"seed": "another"}) != one


def test_the_data_survives_a_new_app_over_the_same_database(api: Api) -> None:
    token, _ = link_custom(api)
    item = api.ok("/item/get", {"access_token": token})["item"]
    stored = api.loop.run_until_complete(api.services.store.get_item(item["item_id"]))
    assert stored is not None and stored.profile is not None
    assert "Ada Lovelace" in stored.profile


# Malformed configurations: refused with INVALID_FIELD before anything is stored. ---------

PREFIX = "options.override_password is not a valid user_custom configuration: "

MALFORMED: list[tuple[Any, str]] = [
    ("not json", "the password must be a JSON object"),
    ("[1, 2]", "the configuration: expected object, got array"),
    ('"text"', "the configuration: expected object, got str"),
    ('{"override_accounts": {}}', "override_accounts: expected array | null, got object"),
    ('{"override_accounts": [{"type": "depository"}]}',
     "override_accounts[0]: object missing required field subtype"),
    ('{"override_accounts": [{"type": "bank", "subtype": "checking"}]}',
     "override_accounts[0].type must be one of: investment, credit, depository, loan, payroll,"
     " other"),
    ('{"override_accounts": [{"type": "depository", "subtype": "chequing"}]}',
     "override_accounts[0].subtype must be one of: "),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "starting_balance": "100"}]}',
     "override_accounts[0].starting_balance: expected float | null, got str"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "starting_balance": 1e400}]}',
     "override_accounts[0].starting_balance: number out of range"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "starting_balance": 1e30}]}',
     "override_accounts[0].starting_balance must be a number between -1e+13 and 1e+13"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking", "colour": "red"}]}',
     "override_accounts[0]: object contains unknown field colour"),
    ('{"favourite": 1}', "the configuration: object contains unknown field favourite"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "transactions": [{"date_transacted": "2024-02-30", "date_posted": "2024-03-01",'
     ' "amount": 1, "description": "x"}]}]}',
     "override_accounts[0].transactions[0].date_transacted must be a valid date in"
     " YYYY-MM-DD format"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "meta": {"mask": "12345"}}]}',
     "override_accounts[0].meta.mask must be empty or 2 to 4 letters and digits"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "numbers": {"ach_routing": "123456789"}}]}',
     "override_accounts[0].numbers.ach_routing must be a valid 9-digit ABA routing number"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "numbers": {"eft_institution": "001"}}]}',
     "override_accounts[0].numbers.eft_institution and override_accounts[0].numbers.eft_branch"
     " must be given together"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "force_available_balance": 5, "has_null_available_balance": true}]}',
     "override_accounts[0].force_available_balance cannot be set together with"
     " override_accounts[0].has_null_available_balance"),
    ('{"seed": "' + "x" * 70000 + '"}',
     "the configuration must not be longer than 65536 characters"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "meta": {"name": "A\\u0000B"}}]}',
     "override_accounts[0].meta.name must not contain NUL characters"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "transactions": [{"date_transacted": "9999-12-31", "date_posted": "9999-12-31",'
     ' "amount": 1, "description": "x"}]}]}',
     "override_accounts[0].transactions[0].date_transacted must be between 1970-01-01 and"
     " 2100-12-31"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking",'
     ' "transactions": [{"date_transacted": "2026-01-05", "date_posted": "2026-01-04",'
     ' "amount": 1, "description": "x"}]}]}',
     "override_accounts[0].transactions[0].date_posted must not be before its"
     " date_transacted"),
    ('{"seed": "\\ud800"}', "the password must be a JSON object (it is not valid JSON)"),
    ('{"force_error": "SOMETHING_ELSE"}', "force_error must be one of: INSTITUTION_NOT_RESPONDING"),
    ('{"override_accounts": [' + ", ".join(['{"type": "depository", "subtype": "checking"}'] * 11)
     + "]}", "override_accounts must not hold more than 10 accounts"),
    ('{"override_accounts": [{"type": "depository", "subtype": "checking", "identity":'
     ' {"phone_numbers": [{"data": "1", "primary": true, "type": "pager"}]}}]}',
     "override_accounts[0].identity.phone_numbers[0].type must be one of: home, work, office,"
     " mobile, mobile1, other"),
]  # fmt: skip


@pytest.mark.parametrize(("password", "detail"), MALFORMED)
def test_a_malformed_configuration_is_refused(api: Api, password: str, detail: str) -> None:
    before = api.loop.run_until_complete(api.services.store.count_items())
    body = assert_plaid_error(create(api, password), 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert body["error_message"].startswith(PREFIX + detail), body["error_message"]
    assert api.loop.run_until_complete(api.services.store.count_items()) == before


def test_dates_are_today_relative_in_the_tests() -> None:
    assert date.fromisoformat(day(0)) == TODAY


# Liabilities and investments, read by a partner -------------------------------------------


def partner_token(api: Api, token: str, account_id: str) -> str:
    body = {"access_token": token, "account_id": account_id, "processor": "dwolla"}
    made: str = api.ok("/processor/token/create", body)["processor_token"]
    return made


def test_liability_overrides(api: Api, dwolla: Partner) -> None:
    cfg = {"override_accounts": [
        {"type": "credit", "subtype": "credit card", "starting_balance": 1000,
         "meta": {"limit": 8000},
         "liability": {"type": "credit", "purchase_apr": 16.99, "cash_apr": 24.99,
                       "last_payment_amount": 250, "minimum_payment_amount": 35,
                       "is_overdue": True}},
        {"type": "loan", "subtype": "student", "starting_balance": 20000,
         "liability": {"type": "student", "nominal_apr": 5.25, "principal": 30000,
                       "origination_date": "2020-09-01", "loan_name": "Grad PLUS",
                       "guarantor": "ACME GUARANTY", "repayment_plan_type": "graduated",
                       "loan_status": {"type": "in school", "end_date": "2027-06-01"},
                       "pslf_status": {"payments_made": 12, "payments_remaining": 108}}},
    ]}  # fmt: skip
    token, accounts = link_custom(api, cfg)
    card = dwolla.ok("/processor/liabilities/get",
                     {"processor_token": partner_token(api, token, accounts[0]["account_id"])}
                     )["liabilities"]["credit"][0]  # fmt: skip
    assert [(a["apr_type"], a["apr_percentage"]) for a in card["aprs"]] == [
        ("purchase_apr", 16.99), ("cash_apr", 24.99)
    ]  # fmt: skip
    assert (card["last_payment_amount"], card["minimum_payment_amount"], card["is_overdue"]) == (
        250, 35, True)  # fmt: skip
    loan = dwolla.ok("/processor/liabilities/get",
                     {"processor_token": partner_token(api, token, accounts[1]["account_id"])}
                     )["liabilities"]["student"][0]  # fmt: skip
    assert (loan["interest_rate_percentage"], loan["origination_principal_amount"],
            loan["origination_date"], loan["loan_name"], loan["guarantor"]) == (
        5.25, 30000, "2020-09-01", "Grad PLUS", "ACME GUARANTY")  # fmt: skip
    assert loan["repayment_plan"]["type"] == "graduated"
    assert loan["loan_status"] == {"type": "in school", "end_date": "2027-06-01"}
    assert loan["pslf_status"]["payments_made"] == 12


def test_holdings_and_investment_transactions_overrides(api: Api, dwolla: Partner) -> None:
    cfg = {"override_accounts": [{
        "type": "investment", "subtype": "brokerage", "starting_balance": 2000,
        "holdings": [
            {"institution_price": 150.5, "institution_price_as_of": "2026-11-30",
             "cost_basis": 1200, "quantity": 10, "currency": "USD",
             "security": {"ticker_symbol": "ACME", "name": "Acme Corp", "currency": "USD"}},
            {"institution_price": 1, "quantity": 495, "currency": "USD",
             "security": {"ticker_symbol": "CUR:USD"}},
        ],
        "investment_transactions": [
            {"date": "2026-11-01", "name": "BUY ACME", "quantity": 10, "price": 120, "fees": 5,
             "type": "buy", "currency": "USD", "security": {"ticker_symbol": "ACME"}},
            {"date": "2026-11-15", "name": "FEE", "quantity": 0, "price": 0, "fees": 2,
             "type": "fee", "currency": "USD"},
        ],
    }]}  # fmt: skip
    token, accounts = link_custom(api, cfg)
    body = {"processor_token": partner_token(api, token, accounts[0]["account_id"])}
    got = dwolla.ok("/processor/investments/holdings/get", body)
    assert [(h["quantity"], h["institution_price"], h["institution_value"], h["cost_basis"])
            for h in got["holdings"]] == [(10, 150.5, 1505, 1200), (495, 1, 495, None)]  # fmt: skip
    by_id = {s["security_id"]: s for s in got["securities"]}
    acme = by_id[got["holdings"][0]["security_id"]]
    assert (acme["ticker_symbol"], acme["name"]) == ("ACME", "Acme Corp")
    assert by_id[got["holdings"][1]["security_id"]]["is_cash_equivalent"] is True
    moves = dwolla.ok("/processor/investments/transactions/get",
                      {**body, "start_date": "2026-10-01", "end_date": "2026-12-31"})  # fmt: skip
    assert [(t["name"], t["type"], t["amount"], t["security_id"] is None)
            for t in moves["investment_transactions"]] == [
        ("FEE", "fee", 2, True), ("BUY ACME", "buy", 1205, False)
    ]  # fmt: skip
    assert moves["investment_transactions"][1]["security_id"] == acme["security_id"]


def test_a_liability_of_another_kind_is_refused(api: Api) -> None:
    cfg = {"override_accounts": [{"type": "depository", "subtype": "checking",
                                  "liability": {"type": "credit"}}]}  # fmt: skip
    body = assert_plaid_error(create(api, json.dumps(cfg)), 400, "INVALID_REQUEST",
                              "INVALID_FIELD")  # fmt: skip
    assert body["error_message"] == (
        PREFIX + "override_accounts[0].liability.type credit needs an account of type credit"
    )


def test_configured_transactions_make_recurring_streams_by_description(
    api: Api, dwolla: Partner
) -> None:
    monthly = [{"date_transacted": day(d), "date_posted": day(d), "amount": 49.0,
                "description": "Gym Club"} for d in (5, 35, 65, 95)]  # fmt: skip
    once = {"date_transacted": day(7), "date_posted": day(7), "amount": 12.0,
            "description": "Museum"}  # fmt: skip
    cfg = {"override_accounts": [{"type": "depository", "subtype": "checking",
                                  "transactions": [*monthly, once]}]}  # fmt: skip
    token, accounts = link_custom(api, cfg)
    body = {"processor_token": partner_token(api, token, accounts[0]["account_id"])}
    streams = dwolla.ok("/processor/transactions/recurring/get", body)["outflow_streams"]
    assert [(s["description"], s["frequency"]) for s in streams] == [("Gym Club", "MONTHLY")]


# force_error: the Item's creation fails with that error --------------------------------


@pytest.mark.parametrize(
    ("code", "status", "error_type"),
    [("ITEM_LOCKED", 400, "ITEM_ERROR"), ("INSTITUTION_NOT_RESPONDING", 400, "INSTITUTION_ERROR"),
     ("INVALID_CREDENTIALS", 400, "ITEM_ERROR"), ("USER_SETUP_REQUIRED", 400, "ITEM_ERROR"),
     ("PLAID_ERROR", 500, "API_ERROR")],
)  # fmt: skip
def test_force_error_fails_the_items_creation(
    api: Api, code: str, status: int, error_type: str
) -> None:
    before = api.loop.run_until_complete(api.services.store.count_items())
    cfg = {**config(), "force_error": code}
    expected = errors.item_creation_error(code)
    assert expected is not None
    body = assert_plaid_error(create(api, json.dumps(cfg)), status, error_type,
                              expected.error_code, expected.error_message)  # fmt: skip
    assert body["display_message"] == expected.display_message
    assert api.loop.run_until_complete(api.services.store.count_items()) == before


def test_force_error_on_sandbox_processor_token_create(api: Api, dwolla: Partner) -> None:
    response = dwolla.post(
        "/sandbox/processor_token/create",
        {"institution_id": "ins_109508", "options": {
            "override_username": "user_custom",
            "override_password": json.dumps({"force_error": "ITEM_LOCKED"})}},
    )  # fmt: skip
    assert_plaid_error(response, 400, "ITEM_ERROR", "ITEM_LOCKED")
