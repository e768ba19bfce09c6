"""What a bank answers about an account, as plain records named after Plaid's schemas.

These cross the `Bank` port (domain/ports.py): the sandbox computes them, a production
bank would load them, and the HTTP layer shapes them into Plaid's JSON. They hold no rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from tokenbridge.domain.ids import derived_id


@dataclass(frozen=True, slots=True)
class Place:
    address: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    lat: float | None
    lon: float | None
    store_number: str | None
    country: str | None = "US"


NO_PLACE = Place(None, None, None, None, None, None, None, None)


@lru_cache(maxsize=256)
def _entity_id(key: str) -> str:
    return derived_id("merchant", key, length=20, separator="\x1f")


@dataclass(frozen=True, slots=True)
class Merchant:
    """What every transaction at one merchant shares: names, categories, channel, place."""

    key: str
    name: str  # the descriptor the bank shows (Transaction.name)
    merchant_name: str | None
    category: tuple[str, ...]  # legacy Plaid category hierarchy
    category_id: str
    pfc_primary: str
    pfc_detailed: str
    confidence: str
    payment_channel: str  # "online", "in store" or "other"
    transaction_code: str | None
    transaction_type: str  # legacy: "digital", "place", "special", "unresolved"
    website: str | None = None
    counterparty_type: str | None = None  # CounterpartyType; None for bank-internal entries
    place: Place = NO_PLACE
    low: float = 5.0
    high: float = 50.0

    @property
    def entity_id(self) -> str | None:
        return _entity_id(self.key) if self.merchant_name else None


@dataclass(frozen=True, slots=True)
class BankTransaction:
    """One transaction as the fake bank reports it. Positive amounts leave the account."""

    transaction_id: str
    account_id: str
    merchant: Merchant
    name: str
    amount: float
    date: dt.date
    authorized_date: dt.date | None
    pending: bool
    pending_transaction_id: str | None = None
    check_number: str | None = None
    iso_currency_code: str | None = "USD"

    @property
    def original_description(self) -> str:
        return self.name.upper()


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


@dataclass(frozen=True, slots=True)
class NumbersACATS:
    account_id: str
    account: str
    dtc_numbers: list[str]


@dataclass(frozen=True, slots=True)
class NumbersATON:
    account_id: str
    account: str


@dataclass(frozen=True, slots=True)
class NumbersRetirement401k:
    account_id: str
    plan: str | None
    account: str | None


@dataclass(frozen=True, slots=True)
class InvestmentsAuthNumbers:
    """An investment account's numbers for moving its holdings (Investments Auth): ACATS in
    the US, ATON in Canada, and a 401k's plan and account number."""

    acats: list[NumbersACATS]
    aton: list[NumbersATON]
    retirement_401k: list[NumbersRetirement401k]


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


@dataclass(frozen=True, slots=True)
class ReturnRisk:
    score: int
    risk_tier: int


@dataclass(frozen=True, slots=True)
class SignalScores:
    customer_initiated_return_risk: ReturnRisk
    bank_initiated_return_risk: ReturnRisk
