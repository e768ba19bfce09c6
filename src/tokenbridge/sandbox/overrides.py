"""The records of a user_custom configuration (Plaid's `UserCustomPassword` and the schemas
it names), and the profile the sandbox keeps of one with the Item (`Profile`).

Decoding is strict: a field Plaid's schema does not name is refused, and so is a value of
the wrong type; sandbox/custom.py checks the values themselves.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    pass


class Meta(_Strict):
    name: str | None = None
    official_name: str | None = None
    limit: float | None = None
    mask: str | None = None


class Numbers(_Strict):
    account: str | None = None
    ach_routing: str | None = None
    ach_wire_routing: str | None = None
    eft_institution: str | None = None
    eft_branch: str | None = None
    international_bic: str | None = None
    international_iban: str | None = None
    bacs_sort_code: str | None = None


class TransactionOverride(_Strict):
    date_transacted: str
    date_posted: str
    amount: float
    description: str
    currency: str | None = None


class PhoneNumber(_Strict):
    data: str
    type: str
    primary: bool = False


class Email(_Strict):
    data: str
    type: str
    primary: bool = False


class AddressData(_Strict):
    street: str
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Address(_Strict):
    data: AddressData
    primary: bool = False


class OwnerOverride(_Strict):
    names: list[str] | None = None
    phone_numbers: list[PhoneNumber] | None = None
    emails: list[Email] | None = None
    addresses: list[Address] | None = None


class SecurityOverride(_Strict):
    isin: str | None = None
    cusip: str | None = None
    sedol: str | None = None
    name: str | None = None
    ticker_symbol: str | None = None
    currency: str | None = None


class HoldingsOverride(_Strict):
    institution_price: float
    quantity: float
    currency: str
    security: SecurityOverride
    institution_price_as_of: str | None = None
    cost_basis: float | None = None


class InvestmentTransactionOverride(_Strict):
    date: str
    name: str
    quantity: float
    price: float
    type: str
    currency: str
    fees: float | None = None
    security: SecurityOverride | None = None


class StudentLoanStatus(_Strict):
    end_date: str | None = None
    type: str | None = None


class PSLFStatus(_Strict):
    estimated_eligibility_date: str | None = None
    payments_made: int | None = None
    payments_remaining: int | None = None


class StudentLoanRepaymentModel(_Strict):
    type: str
    non_repayment_months: float | None = None
    repayment_months: float | None = None


class LiabilityOverride(_Strict):
    type: str
    purchase_apr: float | None = None
    cash_apr: float | None = None
    balance_transfer_apr: float | None = None
    special_apr: float | None = None
    last_payment_amount: float | None = None
    minimum_payment_amount: float | None = None
    is_overdue: bool | None = None
    origination_date: str | None = None
    principal: float | None = None
    nominal_apr: float | None = None
    interest_capitalization_grace_period_months: float | None = None
    repayment_model: StudentLoanRepaymentModel | None = None
    expected_payoff_date: str | None = None
    guarantor: str | None = None
    is_federal: bool | None = None
    loan_name: str | None = None
    loan_status: StudentLoanStatus | None = None
    payment_reference_number: str | None = None
    pslf_status: PSLFStatus | None = None
    repayment_plan_description: str | None = None
    repayment_plan_type: str | None = None
    sequence_number: str | None = None
    servicer_address: Address | None = None


class OverrideAccount(_Strict):
    type: str
    subtype: str
    starting_balance: float | None = None
    force_available_balance: float | None = None
    has_null_available_balance: bool | None = None
    currency: str | None = None
    meta: Meta | None = None
    numbers: Numbers | None = None
    transactions: list[TransactionOverride] | None = None
    identity: OwnerOverride | None = None
    liability: LiabilityOverride | None = None
    # Plaid's schema has one object here, its own example configurations a list: both are
    # taken.
    holdings: list[HoldingsOverride] | HoldingsOverride | None = None
    investment_transactions: (
        list[InvestmentTransactionOverride] | InvestmentTransactionOverride | None
    ) = None
    # Income modelling (Plaid's Income products) is out of scope: taken and ignored.
    inflow_model: dict[str, Any] | None = None
    income: dict[str, Any] | None = None


class UserCustomPassword(_Strict):
    version: str | None = None
    seed: str | None = None
    override_accounts: list[OverrideAccount] | None = None
    force_error: str | None = None
    # These change only what Link shows, and Link is not emulated: taken and ignored.
    mfa: dict[str, Any] | None = None
    recaptcha: str | None = None
    # Not in Plaid's schema, but in Plaid's own example configurations
    # (github.com/plaid/sandbox-custom-users): taken and ignored.
    roll_dates_forward: bool | None = None


class StoredAccount(_Strict):
    """What the bank keeps of one configured account (by its position in the Item)."""

    currency: str | None = None
    numbers: Numbers | None = None
    identity: OwnerOverride | None = None
    transactions: list[TransactionOverride] | None = None
    liability: LiabilityOverride | None = None
    holdings: list[HoldingsOverride] | None = None
    investment_transactions: list[InvestmentTransactionOverride] | None = None


class Profile(_Strict):
    """An Item's profile as the sandbox stores it (Item.profile): the test user, the seed
    of generated data, and the configured data of each account, by position."""

    user: str
    seed: str | None = None
    accounts: list[StoredAccount] = msgspec.field(default_factory=list)
