"""The `user_custom` test user: a JSON configuration, given as the password, sets the
accounts the Item links and the data each product answers about them
(https://plaid.com/docs/sandbox/user-custom/, schema `UserCustomPassword`).

`parse_config` checks the whole configuration before anything is linked, and refuses a bad
one with INVALID_FIELD naming the field and what is wrong with it. The configuration is
the user's data, which no id derives, so what the bank needs of it is kept with the Item as
its profile (`Profile`, a JSON document) and read back on every answer about the Item.
"""

from __future__ import annotations

import math
import random
import re
from datetime import date
from functools import lru_cache
from typing import Any

import msgspec

from tokenbridge.domain import errors
from tokenbridge.domain.dates import parse_date
from tokenbridge.domain.institutions import aba_valid
from tokenbridge.domain.models import AccountTemplate, Balances
from tokenbridge.sandbox.overrides import (
    LiabilityOverride,
    Meta,
    Numbers,
    OverrideAccount,
    OwnerOverride,
    Profile,
    SecurityOverride,
    StoredAccount,
    UserCustomPassword,
)

USERNAME = "user_custom"
DYNAMIC_USERNAME = "user_transactions_dynamic"

# OverrideAccountType.
ACCOUNT_TYPES = ("investment", "credit", "depository", "loan", "payroll", "other")

# AccountSubtype as plaid-python 46 lists it (newer than the 1.697.4 spec; the SDK wins).
ACCOUNT_SUBTYPES = frozenset({
    "401a", "401k", "403B", "457b", "529", "auto", "brokerage", "business", "cash isa",
    "cash management", "cd", "checking", "commercial", "commercial line of credit",
    "construction", "consumer", "credit card", "crypto exchange", "ebt",
    "education savings account", "fhsa", "fixed annuity", "gic",
    "health reimbursement arrangement", "home equity", "home equity loan", "hsa", "isa", "ira",
    "keogh", "lif", "life insurance", "limited purpose checking", "line of credit", "lira",
    "loan", "lrif", "lrsp", "money market", "mortgage", "mutual fund", "non-custodial wallet",
    "non-taxable brokerage account", "other", "other insurance", "other annuity", "overdraft",
    "paypal", "payroll", "pension", "prediction market", "prepaid", "prif",
    "profit sharing plan", "qshr", "rdsp", "resp", "retirement", "rlif", "roth", "roth 401k",
    "roth 403B", "roth 457b", "roth pension", "roth profit sharing plan",
    "roth thrift savings plan", "rrif", "rrsp", "sarsep", "savings", "sep ira", "simple ira",
    "sipp", "stock plan", "student", "thrift savings plan", "tfsa", "trust", "ugma", "utma",
    "variable annuity",
})  # fmt: skip

# UserCustomPassword.force_error.
FORCE_ERRORS = (
    "INSTITUTION_NOT_RESPONDING", "INSTITUTION_NO_LONGER_SUPPORTED", "INVALID_CREDENTIALS",
    "INVALID_MFA", "ITEM_LOCKED", "ITEM_LOGIN_REQUIRED", "ITEM_NOT_SUPPORTED",
    "INVALID_LINK_TOKEN", "MFA_NOT_SUPPORTED", "NO_ACCOUNTS", "PLAID_ERROR",
    "USER_INPUT_TIMEOUT", "USER_SETUP_REQUIRED",
)  # fmt: skip

PHONE_TYPES = ("home", "work", "office", "mobile", "mobile1", "other")
EMAIL_TYPES = ("primary", "secondary", "other")
INVESTMENT_TRANSACTION_TYPES = ("buy", "sell", "cash", "fee", "transfer")
LIABILITY_TYPES = ("credit", "student")

# https://plaid.com/docs/sandbox/user-custom/: "Using more than ten accounts on a single
# custom user is not supported and will cause the Link attempt to fail."
MAX_ACCOUNTS = 10
# "Very large configuration objects (larger than approximately 55kb, or approximately 250
# transactions) are not supported" (Plaid): refused beyond 64 KiB, so that the profile every
# read of the Item decodes stays small.
MAX_CONFIG_CHARS = 64 * 1024
# Amounts beyond this are refused rather than stored (a double holds them, a bank does not).
MAX_AMOUNT = 1e13

_MASK = re.compile(r"^$|^[A-Za-z0-9]{2,4}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_NUMBER = re.compile(r"^[A-Za-z0-9]{1,34}$")


_decode_config = msgspec.json.Decoder(UserCustomPassword).decode
_decode_profile = msgspec.json.Decoder(Profile).decode
_encode = msgspec.json.Encoder().encode


def invalid(detail: str) -> errors.InvalidField:
    return errors.InvalidField(
        "options.override_password is not a valid user_custom configuration: " + detail
    )


def _msgspec_detail(exc: msgspec.ValidationError) -> str:
    """msgspec's "Expected `str`, got `int` - at `$.a[0].b`" as "a[0].b: expected str,
    got int"."""
    text = str(exc).replace("`", "")
    message, _, where = text.partition(" - at ")
    message = message[:1].lower() + message[1:]
    path = where.removeprefix("$").removeprefix(".")
    return f"{path}: {message}" if path else f"the configuration: {message}"


def parse_config(password: str) -> UserCustomPassword:
    """The user_custom configuration in `password`; INVALID_FIELD naming what is wrong."""
    if len(password) > MAX_CONFIG_CHARS:
        raise invalid(f"the configuration must not be longer than {MAX_CONFIG_CHARS} characters")
    try:
        config = _decode_config(password.encode("utf-8", "surrogatepass"))
    except msgspec.ValidationError as exc:
        raise invalid(_msgspec_detail(exc)) from None
    except msgspec.DecodeError:
        raise invalid("the password must be a JSON object (it is not valid JSON)") from None
    _check_config(config)
    return config


def _one_of(value: str, allowed: tuple[str, ...] | frozenset[str], field: str) -> None:
    if value not in allowed:
        names = sorted(allowed) if isinstance(allowed, frozenset) else allowed
        raise invalid(f"{field} must be one of: " + ", ".join(names))


def _amount(value: float | None, field: str) -> None:
    if value is not None and not (math.isfinite(value) and abs(value) <= MAX_AMOUNT):
        raise invalid(f"{field} must be a number between {-MAX_AMOUNT:.0e} and {MAX_AMOUNT:.0e}")


# Dates a configuration may name: far enough either way for any test, and never near the
# ends of the calendar, where date arithmetic overflows.
EARLIEST, LATEST = date(1970, 1, 1), date(2100, 12, 31)


def _date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        day = parse_date(value, field)
    except errors.InvalidField as exc:
        raise invalid(exc.error_message) from None
    if not EARLIEST <= day <= LATEST:
        raise invalid(f"{field} must be between {EARLIEST} and {LATEST}")
    return day


def _currency(value: str | None, field: str) -> None:
    if value is not None and not _CURRENCY.match(value):
        raise invalid(f"{field} must be an ISO-4217 currency code such as USD")


def _check_config(config: UserCustomPassword) -> None:
    if config.version is not None:
        _one_of(config.version, ("1", "2"), "version")
    if config.force_error is not None:
        _one_of(config.force_error, FORCE_ERRORS, "force_error")
    accounts = config.override_accounts or []
    if len(accounts) > MAX_ACCOUNTS:
        raise invalid(f"override_accounts must not hold more than {MAX_ACCOUNTS} accounts")
    for i, account in enumerate(accounts):
        _check_account(account, f"override_accounts[{i}]")


def _check_account(a: OverrideAccount, at: str) -> None:
    _one_of(a.type, ACCOUNT_TYPES, f"{at}.type")
    _one_of(a.subtype, ACCOUNT_SUBTYPES, f"{at}.subtype")
    _amount(a.starting_balance, f"{at}.starting_balance")
    _amount(a.force_available_balance, f"{at}.force_available_balance")
    if a.force_available_balance is not None and a.has_null_available_balance:
        raise invalid(
            f"{at}.force_available_balance cannot be set together with"
            f" {at}.has_null_available_balance"
        )
    _currency(a.currency, f"{at}.currency")
    if a.meta is not None:
        for name in ("name", "official_name"):
            if "\x00" in (getattr(a.meta, name) or ""):
                raise invalid(f"{at}.meta.{name} must not contain NUL characters")
        _amount(a.meta.limit, f"{at}.meta.limit")
        if a.meta.mask is not None and not _MASK.match(a.meta.mask):
            raise invalid(f"{at}.meta.mask must be empty or 2 to 4 letters and digits")
    if a.numbers is not None:
        _check_numbers(a.numbers, f"{at}.numbers")
    for j, t in enumerate(a.transactions or []):
        where = f"{at}.transactions[{j}]"
        transacted = _date(t.date_transacted, f"{where}.date_transacted")
        posted = _date(t.date_posted, f"{where}.date_posted")
        if transacted and posted and posted < transacted:
            raise invalid(f"{where}.date_posted must not be before its date_transacted")
        _amount(t.amount, f"{where}.amount")
        _currency(t.currency, f"{where}.currency")
    if a.identity is not None:
        _check_identity(a.identity, f"{at}.identity")
    if a.liability is not None:
        _check_liability(a.liability, f"{at}.liability")
        # The liability is of the account's own kind (Plaid computes it from the account).
        if a.liability.type == "credit" and a.type != "credit":
            raise invalid(f"{at}.liability.type credit needs an account of type credit")
        if a.liability.type == "student" and (a.type, a.subtype) != ("loan", "student"):
            raise invalid(f"{at}.liability.type student needs a loan account of subtype student")
    for j, h in enumerate(_listed(a.holdings)):
        where = f"{at}.holdings[{j}]"
        _amount(h.institution_price, f"{where}.institution_price")
        _amount(h.quantity, f"{where}.quantity")
        _amount(h.cost_basis, f"{where}.cost_basis")
        _currency(h.currency, f"{where}.currency")
        _date(h.institution_price_as_of, f"{where}.institution_price_as_of")
        _check_security(h.security, f"{where}.security")
    for j, t in enumerate(_listed(a.investment_transactions)):
        where = f"{at}.investment_transactions[{j}]"
        _date(t.date, f"{where}.date")
        _one_of(t.type, INVESTMENT_TRANSACTION_TYPES, f"{where}.type")
        for name in ("quantity", "price", "fees"):
            _amount(getattr(t, name), f"{where}.{name}")
        _currency(t.currency, f"{where}.currency")
        if t.security is not None:
            _check_security(t.security, f"{where}.security")


def _check_numbers(n: Numbers, at: str) -> None:
    for name in Numbers.__struct_fields__:
        value = getattr(n, name)
        if value is not None and not _NUMBER.match(value):
            raise invalid(f"{at}.{name} must be 1 to 34 letters and digits")
    for name in ("ach_routing", "ach_wire_routing"):
        value = getattr(n, name)
        if value is not None and not aba_valid(value):
            raise invalid(f"{at}.{name} must be a valid 9-digit ABA routing number")
    if (n.eft_institution is None) != (n.eft_branch is None):
        raise invalid(f"{at}.eft_institution and {at}.eft_branch must be given together")
    if (n.international_bic is None) != (n.international_iban is None):
        raise invalid(f"{at}.international_bic and {at}.international_iban must be given together")


def _check_identity(o: OwnerOverride, at: str) -> None:
    for j, p in enumerate(o.phone_numbers or []):
        _one_of(p.type, PHONE_TYPES, f"{at}.phone_numbers[{j}].type")
    for j, e in enumerate(o.emails or []):
        _one_of(e.type, EMAIL_TYPES, f"{at}.emails[{j}].type")


def _check_security(s: SecurityOverride, at: str) -> None:
    _currency(s.currency, f"{at}.currency")
    if not (s.ticker_symbol or s.cusip or s.isin):
        raise invalid(f"{at} must name a ticker_symbol, cusip or isin")


def _check_liability(li: LiabilityOverride, at: str) -> None:
    _one_of(li.type, LIABILITY_TYPES, f"{at}.type")
    for name in (
        "purchase_apr",
        "cash_apr",
        "balance_transfer_apr",
        "special_apr",
        "last_payment_amount",
        "minimum_payment_amount",
        "principal",
        "nominal_apr",
    ):
        _amount(getattr(li, name), f"{at}.{name}")  # fmt: skip
    for name in ("origination_date", "expected_payoff_date"):
        _date(getattr(li, name), f"{at}.{name}")
    if li.loan_status is not None:
        _date(li.loan_status.end_date, f"{at}.loan_status.end_date")
    if li.pslf_status is not None:
        _date(li.pslf_status.estimated_eligibility_date,
              f"{at}.pslf_status.estimated_eligibility_date")  # fmt: skip


def _listed(value: list[Any] | Any | None) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# Linking --------------------------------------------------------------------------------


def _rng(*parts: str) -> random.Random:
    # Sandbox data is deterministic on purpose; nothing secret comes from this generator.
    return random.Random("\x1f".join(parts))  # noqa: S311


def _default_name(subtype: str) -> str:
    return "Plaid " + subtype.title()


def _balances(a: OverrideAccount, rng: random.Random) -> Balances:
    current = a.starting_balance
    if current is None:
        current = round(rng.uniform(100, 10000), 2)
    limit = a.meta.limit if a.meta else None
    if a.has_null_available_balance:
        available = None
    elif a.force_available_balance is not None:
        available = a.force_available_balance
    elif a.type == "depository":
        available = current
    elif a.type == "credit" and limit is not None:
        available = round(limit - current, 2)
    else:
        available = None
    return Balances(available, current, limit, a.currency or "USD")


def _mask(a: OverrideAccount, rng: random.Random) -> str | None:
    if a.meta is not None and a.meta.mask is not None:
        return a.meta.mask or None
    number = a.numbers and (a.numbers.account or a.numbers.international_iban)
    if number:
        return number[-4:]
    return f"{rng.randrange(10000):04d}"


# With no override_accounts, Plaid's user_custom links accounts "randomly generated based on
# the account type and subtype"; ours are a checking and a savings account.
_GENERATED = (
    OverrideAccount(type="depository", subtype="checking"),
    OverrideAccount(type="depository", subtype="savings"),
)


def link(config: UserCustomPassword, item_id: str) -> tuple[tuple[AccountTemplate, ...], str]:
    """The accounts a valid configuration links for the Item `item_id`, and its profile.

    Data the configuration leaves out is generated: from the seed when it names one (the
    same for every Item with that seed), otherwise from the Item's id.
    """
    accounts = config.override_accounts or list(_GENERATED)
    templates = []
    stored = []
    for i, a in enumerate(accounts):
        rng = _rng("user_custom", *(["seed", config.seed] if config.seed else [item_id]), str(i))
        meta = a.meta or Meta()
        templates.append(
            AccountTemplate(
                name=meta.name or _default_name(a.subtype),
                official_name=meta.official_name,
                mask=_mask(a, rng),
                type=a.type,
                subtype=a.subtype,
                balances=_balances(a, rng),
            )
        )
        stored.append(
            StoredAccount(
                currency=a.currency,
                numbers=a.numbers,
                identity=a.identity,
                transactions=a.transactions,
                liability=a.liability,
                holdings=_listed(a.holdings) or None,
                investment_transactions=_listed(a.investment_transactions) or None,
            )
        )
    profile = Profile(user=USERNAME, seed=config.seed, accounts=stored)
    return tuple(templates), _encode(profile).decode()


def dynamic_profile() -> str:
    """The profile of a user_transactions_dynamic Item (it takes /sandbox/transactions/create)."""
    return _encode(Profile(user=DYNAMIC_USERNAME)).decode()


@lru_cache(maxsize=128)
def profile(text: str) -> Profile:
    """A stored profile, decoded (kept for recently read Items: every read of one needs it)."""
    return _decode_profile(text.encode())


def account_profile(text: str | None, position: int) -> StoredAccount | None:
    """The configured data of the account at `position`, or None if there is none."""
    if text is None:
        return None
    accounts = profile(text).accounts
    return accounts[position] if position < len(accounts) else None


def as_date(value: str) -> date:
    return date.fromisoformat(value)
