"""Sandbox test users and the accounts each one links.

`user_good` / `pass_good` links Plaid's twelve default accounts with the names, masks,
types and balances that Plaid's Sandbox returns (DOCS-FACTS, "Default user_good accounts").
"""

from __future__ import annotations

import re
from dataclasses import replace

from tokenbridge.domain.errors import (
    ERROR_PASSWORD_CODES,
    InternalServerError,
    item_creation_error,
)
from tokenbridge.domain.link import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tokenbridge.domain.models import AccountTemplate, Balances, Login
from tokenbridge.sandbox import custom

DEFAULT_ACCOUNTS: tuple[AccountTemplate, ...] = (
    AccountTemplate("Plaid Checking", "Plaid Gold Standard 0% Interest Checking", "0000",
                    "depository", "checking", Balances(100, 110, None)),
    AccountTemplate("Plaid Saving", "Plaid Silver Standard 0.1% Interest Saving", "1111",
                    "depository", "savings", Balances(200, 210, None)),
    AccountTemplate("Plaid CD", "Plaid Bronze Standard 0.2% Interest CD", "2222",
                    "depository", "cd", Balances(None, 1000, None)),
    AccountTemplate("Plaid Credit Card", "Plaid Diamond 12.5% APR Interest Credit Card", "3333",
                    "credit", "credit card", Balances(None, 410, 2000)),
    AccountTemplate("Plaid Money Market", "Plaid Platinum Standard 1.85% Interest Money Market",
                    "4444", "depository", "money market", Balances(43200, 43200, None)),
    AccountTemplate("Plaid IRA", None, "5555", "investment", "ira", Balances(None, 320.76, None)),
    AccountTemplate("Plaid 401k", None, "6666", "investment", "401k",
                    Balances(None, 23631.9805, None)),
    AccountTemplate("Plaid Student Loan", None, "7777", "loan", "student",
                    Balances(None, 65262, None)),
    AccountTemplate("Plaid Mortgage", None, "8888", "loan", "mortgage",
                    Balances(None, 56302.06, None)),
    AccountTemplate("Plaid HSA", "Plaid Cares Health Savings Account", "9001", "depository",
                    "hsa", Balances(6009, 6009, None)),
    AccountTemplate("Plaid Cash Management", "Plaid Growth Cash Management", "9002",
                    "depository", "cash management", Balances(12060, 12060, None)),
    AccountTemplate("Plaid Business Credit Card", "Plaid Platinum Small Business Credit Card",
                    "9999", "credit", "credit card", Balances(4980, 5020, 10000),
                    holder_category="business"),
)  # fmt: skip

# username -> (password, accounts). user_custom, user_transactions_dynamic and
# microdeposits_good are further test users (docs/ENDPOINTS.md lists which exist).
TEST_USERS: dict[str, tuple[str, tuple[AccountTemplate, ...]]] = {
    DEFAULT_USERNAME: (DEFAULT_PASSWORD, DEFAULT_ACCOUNTS),
}

# https://plaid.com/docs/sandbox/test-credentials/: `user_good` with one of these passwords
# asks Link for multi-factor answers; without Link (/sandbox/public_token/create) the Item
# is created as with pass_good.
_MFA_PASSWORDS = re.compile(
    r"mfa_device|mfa_questions_[1-9]_[1-9]|mfa_selections(_[1-9]_[1-9]_[2-9])?"
)
ERROR_PREFIX = "error_"

# https://plaid.com/docs/auth/coverage/testing/: user_good / microdeposits_good links an
# Item in the automated micro-deposit flow. It links the one account the user gave the
# numbers of, which waits for the micro-deposit to be verified
# (/sandbox/item/set_verification_status moves it on).
MICRODEPOSITS_PASSWORD = "microdeposits_good"
MICRODEPOSITS_ACCOUNTS = (
    replace(DEFAULT_ACCOUNTS[0], verification_status="pending_automatic_verification"),
)


def accounts_for(username: str, password: str, item_id: str) -> Login | None:
    """What a test user links for the Item `item_id`, or None when the credentials are not
    a test user's.

    Raises the forced error of an `error_<CODE>` password (`user_good` / `error_ITEM_LOCKED`
    fails as Plaid's ITEM_LOCKED; an unknown code is a wrong password) and of a user_custom
    configuration's `force_error`; INVALID_FIELD for a user_custom configuration that is
    not valid (checked first: a malformed one fails as such whatever it forces).
    """
    if username == DEFAULT_USERNAME and password.startswith(ERROR_PREFIX):
        code = password[len(ERROR_PREFIX) :]
        error = item_creation_error(code) if code in ERROR_PASSWORD_CODES else None
        if error is not None:
            raise error
        return None
    if username == DEFAULT_USERNAME and _MFA_PASSWORDS.fullmatch(password):
        return Login(DEFAULT_ACCOUNTS)
    if username == custom.USERNAME:
        config = custom.parse_config(password)
        if config.force_error is not None:
            # parse_config has checked the code against Plaid's force_error list, all of
            # which the catalogue of Item creation errors has.
            raise item_creation_error(config.force_error) or InternalServerError()
        accounts, profile = custom.link(config, item_id)
        return Login(accounts, profile)
    if username == custom.DYNAMIC_USERNAME:
        # Any password (https://plaid.com/docs/sandbox/test-credentials/).
        return Login(DEFAULT_ACCOUNTS, custom.dynamic_profile())
    if username == DEFAULT_USERNAME and password == MICRODEPOSITS_PASSWORD:
        return Login(MICRODEPOSITS_ACCOUNTS)
    entry = TEST_USERS.get(username)
    if entry is None or entry[0] != password:
        return None
    return Login(entry[1])
