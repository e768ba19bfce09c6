"""Liabilities: credit card, mortgage and student loan details for sandbox accounts."""

from __future__ import annotations

from datetime import timedelta

from tokenbridge.domain.bank_records import (
    APR,
    CreditCardLiability,
    LiabilitiesObject,
    MortgageInterestRate,
    MortgageLiability,
    MortgagePropertyAddress,
    PSLFStatus,
    ServicerAddressData,
    StudentLoan,
    StudentLoanStatus,
    StudentRepaymentPlan,
)
from tokenbridge.domain.eligibility import CREDIT_LIABILITY_SUBTYPES
from tokenbridge.domain.models import Account, Item
from tokenbridge.sandbox.derive import as_of, digits, rng_for


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
                    account_number=digits(rng, 6) + (account.mask or ""),
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
                    account_number=digits(rng, 6) + (account.mask or ""),
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
                    payment_reference_number=digits(rng, 10),
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
