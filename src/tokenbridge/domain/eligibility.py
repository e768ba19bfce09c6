"""Which accounts each product can serve: Plaid's rules, by account type and subtype."""

from __future__ import annotations

from tokenbridge.domain.models import Account

# https://plaid.com/docs/errors/item/#no_auth_accounts: "Only debitable checking, savings,
# and cash management accounts can be used with Auth."
AUTH_SUBTYPES = frozenset({"checking", "savings", "cash management"})

# https://plaid.com/docs/errors/item/#no_liability_accounts: "credit accounts with the subtype
# of credit card or paypal, and loan accounts with the subtype of student loan or mortgage"
# (the subtype enum spells the student loan subtype `student`).
CREDIT_LIABILITY_SUBTYPES = frozenset({"credit card", "paypal"})

LOAN_LIABILITY_SUBTYPES = frozenset({"student", "mortgage"})


def auth_eligible(account: Account) -> bool:
    return account.type == "depository" and account.subtype in AUTH_SUBTYPES


def liability_eligible(account: Account) -> bool:
    return (account.type == "credit" and account.subtype in CREDIT_LIABILITY_SUBTYPES) or (
        account.type == "loan" and account.subtype in LOAN_LIABILITY_SUBTYPES
    )


def investments_eligible(account: Account) -> bool:
    return account.type == "investment"
