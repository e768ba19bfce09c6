"""Liabilities: credit card, mortgage and student loan details for sandbox accounts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TypeVar

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
from tokenbridge.sandbox.overrides import LiabilityOverride

T = TypeVar("T")


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


def _date_or(value: str | None, default: date | None) -> date | None:
    return date.fromisoformat(value) if value else default


def configured_credit(card: CreditCardLiability, li: LiabilityOverride) -> CreditCardLiability:
    """A credit card's generated liability with what a user_custom `liability` sets."""
    given = [
        (kind, value)
        for kind, value in (("purchase_apr", li.purchase_apr), ("cash_apr", li.cash_apr),
                            ("balance_transfer_apr", li.balance_transfer_apr),
                            ("special", li.special_apr))
        if value is not None
    ]  # fmt: skip
    aprs = card.aprs
    if given:
        subject = card.aprs[0].balance_subject_to_apr if card.aprs else None
        aprs = [
            APR(value, kind, subject if kind == "purchase_apr" else 0.0,
                _money((subject or 0.0) * value / 1200) if kind == "purchase_apr" else 0.0)
            for kind, value in given
        ]  # fmt: skip
    return replace(
        card,
        aprs=aprs,
        is_overdue=card.is_overdue if li.is_overdue is None else li.is_overdue,
        last_payment_amount=_pick(li.last_payment_amount, card.last_payment_amount),
        minimum_payment_amount=_pick(li.minimum_payment_amount, card.minimum_payment_amount),
    )


def configured_student(loan: StudentLoan, li: LiabilityOverride) -> StudentLoan:
    """A student loan's generated liability with what a user_custom `liability` sets."""
    status, pslf, plan = loan.loan_status, loan.pslf_status, loan.repayment_plan
    if li.loan_status is not None:
        status = StudentLoanStatus(_date_or(li.loan_status.end_date, None),
                                   li.loan_status.type or status.type)  # fmt: skip
    if li.pslf_status is not None:
        p = li.pslf_status
        pslf = PSLFStatus(_date_or(p.estimated_eligibility_date, None), p.payments_made,
                          p.payments_remaining)  # fmt: skip
    if li.repayment_plan_description is not None or li.repayment_plan_type is not None:
        plan = StudentRepaymentPlan(li.repayment_plan_description or plan.description,
                                    li.repayment_plan_type or plan.type)  # fmt: skip
    address = loan.servicer_address
    if li.servicer_address is not None:
        a = li.servicer_address.data
        address = ServicerAddressData(a.city, a.region, a.street, a.postal_code, a.country)
    origination = _date_or(li.origination_date, loan.origination_date)
    return replace(
        loan,
        origination_date=origination,
        disbursement_dates=[origination] if origination else loan.disbursement_dates,
        origination_principal_amount=_pick(li.principal, loan.origination_principal_amount),
        interest_rate_percentage=_pick(li.nominal_apr, loan.interest_rate_percentage),
        expected_payoff_date=_date_or(li.expected_payoff_date, loan.expected_payoff_date),
        guarantor=_pick(li.guarantor, loan.guarantor),
        loan_name=_pick(li.loan_name, loan.loan_name),
        loan_status=status,
        payment_reference_number=_pick(li.payment_reference_number, loan.payment_reference_number),
        pslf_status=pslf,
        repayment_plan=plan,
        sequence_number=_pick(li.sequence_number, loan.sequence_number),
        servicer_address=address,
        is_overdue=loan.is_overdue if li.is_overdue is None else li.is_overdue,
        minimum_payment_amount=_pick(li.minimum_payment_amount, loan.minimum_payment_amount),
    )


def _pick(value: T | None, default: T) -> T:
    return default if value is None else value
