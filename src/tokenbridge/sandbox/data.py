"""Deterministic sandbox data behind the product endpoints: numbers, owners, liabilities,
holdings, investment transactions and Signal scores.

Every function derives its values from the Item and account ids alone (a `random.Random`
seeded with them), so the same Item always shows the same data, in any process, after any
restart, without storing it. Dates count back from the day the Item was created, for the
same reason. The records are named and shaped after Plaid's OpenAPI schemas
(`NumbersACH`, `Owner`, `CreditCardLiability`, `Holding`, ...), so the HTTP layer encodes
them as they are.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from tokenbridge.domain.models import Account, Item

# https://plaid.com/docs/errors/item/#no_auth_accounts: "Only debitable checking, savings,
# and cash management accounts can be used with Auth."
AUTH_SUBTYPES = frozenset({"checking", "savings", "cash management"})
# https://plaid.com/docs/errors/item/#no_liability_accounts: "credit accounts with the subtype
# of credit card or paypal, and loan accounts with the subtype of student loan or mortgage"
# (the subtype enum spells the student loan subtype `student`).
CREDIT_LIABILITY_SUBTYPES = frozenset({"credit card", "paypal"})
LOAN_LIABILITY_SUBTYPES = frozenset({"student", "mortgage"})

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def rng_for(*parts: str) -> random.Random:
    """The generator for one Item (and account): the same ids give the same sequence."""
    # Sandbox data is fixture data, not a secret: a seeded PRNG is what makes it repeatable.
    return random.Random(":".join(parts))  # noqa: S311


def stable_id(*parts: str, length: int = 37) -> str:
    """A base62 id of Plaid's shape, derived from `parts` (the same parts, the same id)."""
    number = int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def as_of(item: Item) -> date:
    """The day the Item's data counts back from: the day it was created."""
    return datetime.fromtimestamp(item.created_at, UTC).date()


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


# Auth: account and routing numbers ----------------------------------------------------


def _aba_sum(nine_digits: str) -> int:
    """The ABA checksum: 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9), a multiple of 10 for a
    valid routing number."""
    d = [int(c) for c in nine_digits]
    return 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])


def aba_check_digit(first_eight: str) -> str:
    """The ninth digit that makes an ABA routing number pass its checksum."""
    return str(-_aba_sum(first_eight + "0") % 10)


def aba_valid(routing: str) -> bool:
    return len(routing) == 9 and routing.isdigit() and _aba_sum(routing) % 10 == 0


def routing_number(rng: random.Random) -> str:
    # The first two digits of a real routing number are a Federal Reserve district (01-12).
    first = f"{rng.randint(1, 12):02d}" + _digits(rng, 6)
    return first + aba_check_digit(first)


def _iban(rng: random.Random, bank: str, sort_code: str, account: str) -> str:
    """A GB IBAN whose ISO 13616 check digits (mod 97) are right."""
    bban = bank + sort_code + account
    rearranged = bban + "GB00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    check = 98 - int(numeric) % 97
    return f"GB{check:02d}{bban}"


@dataclass(frozen=True, slots=True)
class NumbersACH:
    account_id: str
    account: str
    routing: str
    wire_routing: str | None
    can_transfer_in: bool | None = True
    can_transfer_out: bool | None = True


@dataclass(frozen=True, slots=True)
class NumbersEFT:
    account_id: str
    account: str
    institution: str
    branch: str


@dataclass(frozen=True, slots=True)
class NumbersInternational:
    account_id: str
    iban: str
    bic: str


@dataclass(frozen=True, slots=True)
class NumbersBACS:
    account_id: str
    account: str
    sort_code: str


@dataclass(frozen=True, slots=True)
class AccountNumbers:
    """One account's numbers: ACH in the US, EFT in Canada, BACS and IBAN in the UK."""

    ach: NumbersACH | None = None
    eft: NumbersEFT | None = None
    international: NumbersInternational | None = None
    bacs: NumbersBACS | None = None


def auth_eligible(account: Account) -> bool:
    return account.type == "depository" and account.subtype in AUTH_SUBTYPES


def numbers_for(item: Item, account: Account, country: str = "US") -> AccountNumbers:
    """The account's numbers. The account number ends with the account's mask, as a
    bank's own does; the routing number passes the ABA checksum."""
    return _numbers(item.item_id, account.account_id, account.mask, country)


# Kept for recently read accounts: drawing the digits one by one is most of the cost of
# /processor/auth/get, and the same account always gets the same numbers anyway. The key
# is what the numbers depend on, not the Item and Account: hashing those is slower still.
@lru_cache(maxsize=4096)
def _numbers(item_id: str, account_id: str, mask: str | None, country: str) -> AccountNumbers:
    rng = rng_for("numbers", item_id, account_id)
    mask = mask or _digits(rng, 4)
    if country == "CA":
        return AccountNumbers(
            eft=NumbersEFT(account_id, _digits(rng, 8) + mask, _digits(rng, 3), _digits(rng, 5))
        )
    if country == "GB":
        sort_code = _digits(rng, 6)
        account_number = _digits(rng, 4) + mask
        return AccountNumbers(
            bacs=NumbersBACS(account_id, account_number, sort_code),
            international=NumbersInternational(
                account_id, _iban(rng, "PLAI", sort_code, account_number), "PLAIGB2L"
            ),
        )
    routing = routing_number(rng)
    # Most banks wire through the same routing number; some through another one.
    wire = routing if rng.random() < 0.5 else routing_number(rng)
    return AccountNumbers(
        ach=NumbersACH(account_id, _digits(rng, rng.randint(6, 10)) + mask, routing, wire)
    )


# Identity -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    data: str
    primary: bool
    type: str


@dataclass(frozen=True, slots=True)
class Email:
    data: str
    primary: bool
    type: str


@dataclass(frozen=True, slots=True)
class AddressData:
    city: str | None
    region: str | None
    street: str
    postal_code: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class Address:
    data: AddressData
    primary: bool


@dataclass(frozen=True, slots=True)
class Owner:
    names: list[str]
    phone_numbers: list[PhoneNumber]
    emails: list[Email]
    addresses: list[Address]


_GIVEN = ("Alberta", "Bartholomew", "Cordelia", "Desmond", "Evangeline", "Florian", "Gwendolyn")
_MIDDLE = ("Bobbeth", "Quincy", "Marguerite", "Ambrose", "Theodora", "Lysander", "Perpetua")
_FAMILY = ("Charleson", "Whitlock", "Pemberton", "Okonkwo", "Castellano", "Lindqvist", "Abernathy")
_STREETS = ("Cameron Road", "Leisure Lane", "Juniper Court", "Harbor View Drive", "Maple Row")
_PLACES = (
    ("Malakoff", "NY", "14236"), ("San Matias", "CA", "93405-2255"), ("Bexley", "OH", "43209"),
    ("Fairhope", "AL", "36532"), ("Lakewood", "CO", "80226"),
)  # fmt: skip


def owners_for(item: Item) -> list[Owner]:
    """The account holders of the Item's accounts (the same owner on every account).

    About half of the Items show Plaid's documented sandbox owner, Alberta Bobbeth
    Charleson of 2992 Cameron Road, Malakoff NY 14236; the other values vary per Item but
    stay the same for one Item.
    """
    rng = rng_for("identity", item.item_id)
    i = rng.randrange(len(_GIVEN))
    # Half the Items show Plaid's own sandbox owner, so that docs examples match.
    if rng.random() < 0.5:
        i = 0
    given, middle, family = _GIVEN[i], _MIDDLE[i], _FAMILY[i]
    if i == 0:
        home = AddressData("Malakoff", "NY", "2992 Cameron Road", "14236", "US")
    else:
        city, region, postal = _PLACES[rng.randrange(len(_PLACES))]
        street = f"{rng.randint(100, 9999)} {_STREETS[rng.randrange(len(_STREETS))]}"
        home = AddressData(city, region, street, postal, "US")
    second_city, second_region, second_postal = _PLACES[1]
    second = AddressData(
        second_city, second_region, f"{rng.randint(100, 9999)} Leisure Lane", second_postal, "US"
    )
    local = f"{given}.{family}".lower()
    area = f"{rng.randint(201, 989)}"
    return [
        Owner(
            names=[f"{given} {middle} {family}"],
            phone_numbers=[
                PhoneNumber(area + str(rng.randint(2, 9)) + _digits(rng, 6), True, "home"),
                PhoneNumber(area + str(rng.randint(2, 9)) + _digits(rng, 6), False, "work"),
                PhoneNumber(area + str(rng.randint(2, 9)) + _digits(rng, 6), False, "mobile"),
            ],
            emails=[
                Email(f"{local}@example.com", True, "primary"),
                Email(f"{local}{rng.randint(1, 99)}@example.net", False, "secondary"),
            ],
            addresses=[Address(home, True), Address(second, False)],
        )
    ]


# Liabilities --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class APR:
    apr_percentage: float
    apr_type: str
    balance_subject_to_apr: float | None
    interest_charge_amount: float | None


@dataclass(frozen=True, slots=True)
class CreditCardLiability:
    account_id: str | None
    aprs: list[APR]
    is_overdue: bool | None
    last_payment_amount: float | None
    last_payment_date: date | None
    last_statement_issue_date: date | None
    last_statement_balance: float | None
    minimum_payment_amount: float | None
    next_payment_due_date: date | None


@dataclass(frozen=True, slots=True)
class MortgageInterestRate:
    percentage: float | None
    type: str | None


@dataclass(frozen=True, slots=True)
class MortgagePropertyAddress:
    city: str | None
    country: str | None
    postal_code: str | None
    region: str | None
    street: str | None


@dataclass(frozen=True, slots=True)
class MortgageLiability:
    account_id: str
    account_number: str | None
    current_late_fee: float | None
    escrow_balance: float | None
    has_pmi: bool | None
    has_prepayment_penalty: bool | None
    interest_rate: MortgageInterestRate
    last_payment_amount: float | None
    last_payment_date: date | None
    loan_type_description: str | None
    loan_term: str | None
    maturity_date: date | None
    next_monthly_payment: float | None
    next_payment_due_date: date | None
    origination_date: date | None
    origination_principal_amount: float | None
    past_due_amount: float | None
    property_address: MortgagePropertyAddress
    ytd_interest_paid: float | None
    ytd_principal_paid: float | None


@dataclass(frozen=True, slots=True)
class StudentLoanStatus:
    end_date: date | None
    type: str | None


@dataclass(frozen=True, slots=True)
class StudentRepaymentPlan:
    description: str | None
    type: str | None


@dataclass(frozen=True, slots=True)
class PSLFStatus:
    estimated_eligibility_date: date | None
    payments_made: int | None
    payments_remaining: int | None


@dataclass(frozen=True, slots=True)
class ServicerAddressData:
    city: str | None
    region: str | None
    street: str | None
    postal_code: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class StudentLoan:
    account_id: str | None
    account_number: str | None
    disbursement_dates: list[date] | None
    expected_payoff_date: date | None
    guarantor: str | None
    interest_rate_percentage: float
    is_overdue: bool | None
    last_payment_amount: float | None
    last_payment_date: date | None
    last_statement_balance: float | None
    last_statement_issue_date: date | None
    loan_name: str | None
    loan_status: StudentLoanStatus
    minimum_payment_amount: float | None
    next_payment_due_date: date | None
    origination_date: date | None
    origination_principal_amount: float | None
    outstanding_interest_amount: float | None
    payment_reference_number: str | None
    pslf_status: PSLFStatus
    repayment_plan: StudentRepaymentPlan
    sequence_number: str | None
    servicer_address: ServicerAddressData
    ytd_interest_paid: float | None
    ytd_principal_paid: float | None


@dataclass(frozen=True, slots=True)
class LiabilitiesObject:
    credit: list[CreditCardLiability] | None
    mortgage: list[MortgageLiability] | None
    student: list[StudentLoan] | None


def liability_eligible(account: Account) -> bool:
    return (account.type == "credit" and account.subtype in CREDIT_LIABILITY_SUBTYPES) or (
        account.type == "loan" and account.subtype in LOAN_LIABILITY_SUBTYPES
    )


def _money(value: float) -> float:
    return round(value, 2)


def _apr_from_name(account: Account, default: float) -> float:
    # "Plaid Diamond 12.5% APR Interest Credit Card": the official name states the APR.
    for word in (account.official_name or "").split():
        if word.endswith("%"):
            try:
                return float(word[:-1])
            except ValueError:
                break
    return default


def liabilities_for(item: Item, accounts: list[Account]) -> LiabilitiesObject:
    """Liabilities of the liability accounts among `accounts` (others are skipped).

    Plaid answers null, not an empty list, for a kind of liability the accounts do not
    have (LiabilitiesObject: each list is nullable).
    """
    today = as_of(item)
    credit: list[CreditCardLiability] = []
    mortgage: list[MortgageLiability] = []
    student: list[StudentLoan] = []
    for account in accounts:
        rng = rng_for("liabilities", item.item_id, account.account_id)
        balance = account.balances.current or 0.0
        statement_day = today.replace(day=1) - timedelta(days=rng.randint(1, 10))
        due = statement_day + timedelta(days=25)
        if account.type == "credit" and account.subtype in CREDIT_LIABILITY_SUBTYPES:
            apr = _apr_from_name(account, round(rng.uniform(14, 29), 2))
            subject = _money(balance * rng.uniform(0.5, 1.0))
            credit.append(
                CreditCardLiability(
                    account_id=account.account_id,
                    aprs=[
                        APR(apr, "purchase_apr", subject, _money(subject * apr / 1200)),
                        APR(round(apr + 10, 2), "cash_apr", 0.0, 0.0),
                    ],
                    is_overdue=False,
                    last_payment_amount=_money(rng.uniform(25, 400)),
                    last_payment_date=statement_day - timedelta(days=rng.randint(3, 20)),
                    last_statement_issue_date=statement_day,
                    last_statement_balance=_money(balance),
                    minimum_payment_amount=_money(max(25.0, balance * 0.02)),
                    next_payment_due_date=due,
                )
            )
        elif account.type == "loan" and account.subtype == "mortgage":
            origination = today.replace(day=1) - timedelta(days=365 * rng.randint(3, 12))
            principal = _money(balance * rng.uniform(1.3, 2.5))
            rate = round(rng.uniform(2.5, 7.5), 3)
            mortgage.append(
                MortgageLiability(
                    account_id=account.account_id,
                    account_number=_digits(rng, 6) + (account.mask or ""),
                    current_late_fee=0.0,
                    escrow_balance=_money(rng.uniform(1000, 5000)),
                    has_pmi=rng.random() < 0.3,
                    has_prepayment_penalty=False,
                    interest_rate=MortgageInterestRate(rate, "fixed"),
                    last_payment_amount=_money(principal / 250),
                    last_payment_date=statement_day,
                    loan_type_description="conventional",
                    loan_term="30 year",
                    maturity_date=origination.replace(year=origination.year + 30),
                    next_monthly_payment=_money(principal / 250),
                    next_payment_due_date=today.replace(day=1) + timedelta(days=31),
                    origination_date=origination,
                    origination_principal_amount=principal,
                    past_due_amount=0.0,
                    property_address=MortgagePropertyAddress(
                        "Malakoff", "US", "14236", "NY", "2992 Cameron Road"
                    ),
                    ytd_interest_paid=_money(balance * rate / 100 * today.month / 12),
                    ytd_principal_paid=_money(principal / 600 * today.month),
                )
            )
        elif account.type == "loan" and account.subtype == "student":
            origination = today.replace(day=1) - timedelta(days=365 * rng.randint(2, 8))
            principal = _money(balance * rng.uniform(1.05, 1.4))
            rate = round(rng.uniform(3.5, 7.0), 2)
            student.append(
                StudentLoan(
                    account_id=account.account_id,
                    account_number=_digits(rng, 6) + (account.mask or ""),
                    disbursement_dates=[origination],
                    expected_payoff_date=origination.replace(year=origination.year + 20),
                    guarantor="DEPT OF ED",
                    interest_rate_percentage=rate,
                    is_overdue=False,
                    last_payment_amount=_money(principal / 120),
                    last_payment_date=statement_day,
                    last_statement_balance=_money(balance),
                    last_statement_issue_date=statement_day,
                    loan_name="Consolidation",
                    loan_status=StudentLoanStatus(None, "repayment"),
                    minimum_payment_amount=_money(principal / 120),
                    next_payment_due_date=due,
                    origination_date=origination,
                    origination_principal_amount=principal,
                    outstanding_interest_amount=_money(balance * rate / 1200),
                    payment_reference_number=_digits(rng, 10),
                    pslf_status=PSLFStatus(None, rng.randint(0, 60), None),
                    repayment_plan=StudentRepaymentPlan("Standard Repayment", "standard"),
                    sequence_number="1",
                    servicer_address=ServicerAddressData(
                        "San Matias", "CA", "123 Servicer Way", "93405", "US"
                    ),
                    ytd_interest_paid=_money(balance * rate / 100 * today.month / 12),
                    ytd_principal_paid=_money(principal / 240 * today.month),
                )
            )
    return LiabilitiesObject(credit or None, mortgage or None, student or None)


# Investments --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Security:
    security_id: str
    isin: str | None
    cusip: str | None
    sedol: str | None
    institution_security_id: str | None
    institution_id: str | None
    proxy_security_id: str | None
    name: str | None
    ticker_symbol: str | None
    is_cash_equivalent: bool | None
    type: str | None
    subtype: str | None
    close_price: float | None
    close_price_as_of: date | None
    iso_currency_code: str | None
    unofficial_currency_code: str | None
    market_identifier_code: str | None
    sector: str | None
    industry: str | None
    cfi_code: str | None
    # The sandbox lists no bonds or options, so these are always null; Plaid's Security
    # requires them all (figi is newer than the 2020-09-14 document we check against, but
    # plaid-python 46 and npm plaid 47 require it).
    figi: str | None
    option_contract: None
    fixed_income: None


@dataclass(frozen=True, slots=True)
class Holding:
    account_id: str
    security_id: str
    institution_price: float
    institution_price_as_of: date | None
    institution_value: float
    cost_basis: float | None
    quantity: float
    iso_currency_code: str | None
    unofficial_currency_code: str | None
    vested_quantity: float | None = None
    vested_value: float | None = None


@dataclass(frozen=True, slots=True)
class InvestmentTransaction:
    investment_transaction_id: str
    account_id: str
    security_id: str | None
    date: date
    name: str
    quantity: float
    amount: float
    price: float
    fees: float | None
    type: str
    subtype: str
    iso_currency_code: str | None
    unofficial_currency_code: str | None
    cancel_transaction_id: str | None = None


# (ticker, name, type, subtype, price, sector, industry, cash equivalent, MIC). The names
# are made up; the tickers do not belong to real listings.
_SECURITIES = (
    ("PLTX", "Platypus Total Market Index Fund", "mutual fund", "mutual fund", 112.46,
     None, None, False, None),
    ("GNGB", "Gingham Aggregate Bond ETF", "etf", "etf", 97.31, None, None, False, "XNAS"),
    ("TRTN", "Tartan Industries Inc.", "equity", "common stock", 41.87,
     "Producer Manufacturing", "Industrial Machinery", False, "XNYS"),
    ("HNDS", "Houndstooth Health Corp.", "equity", "common stock", 233.05,
     "Health Technology", "Pharmaceuticals", False, "XNAS"),
    ("WNDP", "Windowpane International Equity Fund", "mutual fund", "mutual fund", 18.92,
     None, None, False, None),
    ("CUR:USD", "U S Dollar", "cash", "cash", 1.0, None, None, True, None),
)  # fmt: skip
_CASH = "CUR:USD"


def investments_eligible(account: Account) -> bool:
    return account.type == "investment"


def _security(row: tuple[str, str, str, str, float, str | None, str | None, bool, str | None],
              today: date) -> Security:  # fmt: skip
    ticker, name, kind, subtype, price, sector, industry, cash, mic = row
    cusip = None if cash else stable_id("cusip", ticker, length=9).upper()
    return Security(
        security_id=stable_id("security", ticker),
        isin=None if cash or cusip is None else f"US{cusip}0",
        cusip=cusip,
        sedol=None,
        institution_security_id=None,
        institution_id=None,
        proxy_security_id=None,
        name=name,
        ticker_symbol=ticker,
        is_cash_equivalent=cash,
        type=kind,
        subtype=subtype,
        close_price=price,
        close_price_as_of=today,
        iso_currency_code="USD",
        unofficial_currency_code=None,
        market_identifier_code=mic,
        sector=sector,
        industry=industry,
        cfi_code=None,
        figi=None,
        option_contract=None,
        fixed_income=None,
    )


def holdings_for(item: Item, account: Account) -> tuple[list[Holding], list[Security]]:
    """The account's holdings and their securities. Their values add up to the account's
    current balance, as an investment account's balance is the value of what it holds."""
    rng = rng_for("holdings", item.item_id, account.account_id)
    today = as_of(item)
    total = account.balances.current or 0.0
    rows = [*rng.sample(_SECURITIES[:-1], rng.randint(2, 4)), _SECURITIES[-1]]
    weights = [*(rng.uniform(1, 4) for _ in rows[:-1]), 0.25]
    scale = sum(weights)
    holdings: list[Holding] = []
    securities: list[Security] = []
    left = round(total, 4)
    for n, (row, weight) in enumerate(zip(rows, weights, strict=True)):
        security = _security(row, today)
        price = row[4]
        # The cash line takes what is left, so that the values add up exactly.
        value = left if n == len(rows) - 1 else round(total * weight / scale, 4)
        left = round(left - value, 4)
        quantity = round(value / price, 6)
        holdings.append(
            Holding(
                account_id=account.account_id,
                security_id=security.security_id,
                institution_price=price,
                institution_price_as_of=today,
                institution_value=value,
                cost_basis=None if row[0] == _CASH else round(value * rng.uniform(0.7, 1.1), 2),
                quantity=quantity,
                iso_currency_code="USD",
                unofficial_currency_code=None,
            )
        )
        securities.append(security)
    return holdings, securities


def investment_transactions_for(
    item: Item, account: Account, days: int = 120
) -> tuple[list[InvestmentTransaction], list[Security]]:
    """The account's investment transactions over the `days` before the Item's day, newest
    first, with the securities they name. Amounts follow Plaid's sign: positive is cash
    leaving the account (a buy, a fee), negative is cash coming in (a sale, a dividend)."""
    rng = rng_for("investment_transactions", item.item_id, account.account_id)
    today = as_of(item)
    rows = [r for r in _SECURITIES if r[0] != _CASH]
    used: dict[str, Security] = {}
    found: list[InvestmentTransaction] = []
    for n in range(rng.randint(8, 14)):
        day = today - timedelta(days=rng.randrange(days))
        row = rows[rng.randrange(len(rows))]
        security = _security(row, today)
        price = round(row[4] * rng.uniform(0.9, 1.1), 2)
        kind = rng.choice(("buy", "buy", "sell", "cash", "fee"))
        quantity = round(rng.uniform(0.5, 5), 4)
        security_id: str | None = security.security_id
        if kind == "buy":
            subtype, name = "buy", f"BUY {row[1]}"
            amount, fees = round(quantity * price, 2), 0.0
        elif kind == "sell":
            subtype, name = "sell", f"SELL {row[1]}"
            amount, fees = -round(quantity * price, 2), 0.0
            quantity = -quantity
        elif kind == "cash":
            subtype, name = "dividend", f"DIVIDEND {row[1]}"
            amount, fees, quantity, price = -round(rng.uniform(1, 40), 2), 0.0, 0.0, 0.0
        else:
            subtype, name = "account fee", "ACCOUNT MAINTENANCE FEE"
            amount, fees, quantity, price = round(rng.uniform(1, 15), 2), 0.0, 0.0, 0.0
            security_id = None
        if security_id is not None:
            used[security_id] = security
        found.append(
            InvestmentTransaction(
                investment_transaction_id=stable_id("itx", item.item_id, account.account_id,
                                                    str(n)),
                account_id=account.account_id,
                security_id=security_id,
                date=day,
                name=name,
                quantity=quantity,
                amount=amount,
                price=price,
                fees=fees,
                type=kind,
                subtype=subtype,
                iso_currency_code="USD",
                unofficial_currency_code=None,
            )
        )  # fmt: skip
    found.sort(key=lambda t: (t.date, t.investment_transaction_id), reverse=True)
    return found, list(used.values())


# Signal -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnRisk:
    score: int
    risk_tier: int


@dataclass(frozen=True, slots=True)
class SignalScores:
    customer_initiated_return_risk: ReturnRisk
    bank_initiated_return_risk: ReturnRisk


def signal_scores(
    item: Item, account: Account, client_transaction_id: str, amount: float, returns: int = 0
) -> SignalScores:
    """Return-risk scores in Plaid's ranges (SignalScore: integer 1-99; customer-initiated
    risk tier 1-5, bank-initiated 1-8). The larger the amount against the available
    balance, and the more returns already reported for the account, the higher the risk.
    """
    rng = rng_for("signal", item.item_id, account.account_id, client_transaction_id)
    available = account.balances.available
    if available is None:
        available = account.balances.current or 0.0
    # 0 when the amount is small next to the balance, 1 when it exceeds it.
    pressure = min(1.0, max(0.0, amount) / available) if available > 0 else 1.0
    customer = _score(5 + 40 * pressure + 12 * returns + rng.uniform(0, 15))
    bank = _score(3 + 70 * pressure + 15 * returns + rng.uniform(0, 10))
    return SignalScores(
        ReturnRisk(customer, min(5, 1 + (customer - 1) * 5 // 99)),
        ReturnRisk(bank, min(8, 1 + (bank - 1) * 8 // 99)),
    )


def _score(value: float) -> int:
    return max(1, min(99, round(value)))
