"""The partner endpoints (`/processor/*` read with a processor token) and the developer-side
reads of the same data (`/auth/get`, `/accounts/balance/get`, `/identity/get`).

Shapes follow Plaid's OpenAPI (2020-09-14): a partner endpoint answers one `account`
(AccountBase), not `accounts[]`, and no `item`; `/processor/auth/get` answers `numbers`
as single nullable objects where `/auth/get` answers arrays. Nested records (owners,
liabilities, holdings, ...) are the sandbox's dataclasses, named after Plaid's schemas.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType, structs, to_builtins

from tokenbridge.domain import bank_records as data
from tokenbridge.domain import models
from tokenbridge.domain.identity_match import (
    AddressMatchScore,
    EmailAddressMatchScore,
    IdentityMatchScores,
    IdentityMatchUser,
    NameMatchScore,
    PhoneNumberMatchScore,
)
from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context, account_view, item_view

# Requests -----------------------------------------------------------------------------

ClientTransactionId = Annotated[str, Meta(min_length=1, max_length=36)]


class ProcessorTokenRequest(s.PlaidRequest):
    processor_token: str


class ProcessorAccountGetRequest(ProcessorTokenRequest):
    pass


class ProcessorAuthGetRequest(ProcessorTokenRequest):
    pass


class ProcessorBalanceGetRequestOptions(s.Options):
    # Only needed for Capital One (ins_128026), which the sandbox does not have.
    min_last_updated_datetime: datetime | None = None


class ProcessorBalanceGetRequest(ProcessorTokenRequest):
    options: ProcessorBalanceGetRequestOptions | UnsetType = UNSET


class ProcessorIdentityGetRequest(ProcessorTokenRequest):
    pass


class AddressDataNullableNoRequiredFields(s.Options):
    city: str | None = None
    region: str | None = None
    street: str | None = None
    postal_code: str | None = None
    country: str | None = None


class IdentityMatchUserRequest(s.Options):
    legal_name: str | None = None
    phone_number: str | None = None
    email_address: str | None = None
    address: AddressDataNullableNoRequiredFields | None = None


class ProcessorIdentityMatchRequest(ProcessorTokenRequest):
    user: IdentityMatchUserRequest | None = None


class ProcessorLiabilitiesGetRequest(ProcessorTokenRequest):
    pass


class ProcessorInvestmentsHoldingsGetRequest(ProcessorTokenRequest):
    pass


class ProcessorInvestmentsAuthGetRequest(ProcessorTokenRequest):
    pass


class InvestmentsTransactionsGetRequestOptions(s.Options):
    account_ids: list[str] | None = None
    count: Annotated[int, Meta(ge=1, le=500)] = 100
    offset: Annotated[int, Meta(ge=0)] = 0
    async_update: bool = False


class ProcessorInvestmentsTransactionsGetRequest(ProcessorTokenRequest):
    start_date: date
    end_date: date
    options: InvestmentsTransactionsGetRequestOptions | UnsetType = UNSET


class SignalPersonName(s.Options):
    prefix: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None
    suffix: str | None = None


class SignalAddressData(s.Options):
    city: str | None = None
    region: str | None = None
    street: str | None = None
    postal_code: str | None = None
    country: str | None = None


class SignalUser(s.Options):
    name: SignalPersonName | None = None
    phone_number: str | None = None
    email_address: str | None = None
    address: SignalAddressData | None = None


class SignalDevice(s.Options):
    ip_address: str | None = None
    user_agent: str | None = None


class ProcessorSignalEvaluateRequest(ProcessorTokenRequest):
    client_transaction_id: ClientTransactionId
    amount: float
    user_present: bool | None = None
    client_user_id: str | None = None
    is_recurring: bool | None = None
    default_payment_method: str | None = None
    user: SignalUser | None = None
    device: SignalDevice | None = None
    ruleset_key: str | None = None


SignalDecisionOutcome = Literal["APPROVE", "REVIEW", "REJECT", "TAKE_OTHER_RISK_MEASURES",
                                "NOT_EVALUATED"]  # fmt: skip
SignalPaymentMethod = Literal["SAME_DAY_ACH", "NEXT_DAY_ACH", "STANDARD_ACH",
                              "MULTIPLE_PAYMENT_METHODS"]  # fmt: skip


class ProcessorSignalDecisionReportRequest(ProcessorTokenRequest):
    client_transaction_id: ClientTransactionId
    initiated: bool
    days_funds_on_hold: Annotated[int, Meta(ge=0)] | None = None
    decision_outcome: SignalDecisionOutcome | None = None
    payment_method: SignalPaymentMethod | None = None
    amount_instantly_available: float | None = None


class ProcessorSignalReturnReportRequest(ProcessorTokenRequest):
    client_transaction_id: ClientTransactionId
    return_code: str
    returned_at: datetime | None = None


class ProcessorSignalPrepareRequest(ProcessorTokenRequest):
    pass


class AccountIdsOptions(s.Options):
    account_ids: list[str] | None = None


class AuthGetRequest(s.PlaidRequest):
    access_token: str
    options: AccountIdsOptions | UnsetType = UNSET


class AccountsBalanceGetRequestOptions(AccountIdsOptions):
    min_last_updated_datetime: datetime | None = None


class AccountsBalanceGetRequest(s.PlaidRequest):
    access_token: str
    options: AccountsBalanceGetRequestOptions | UnsetType = UNSET


class IdentityGetRequest(s.PlaidRequest):
    access_token: str
    options: AccountIdsOptions | UnsetType = UNSET


# Responses ----------------------------------------------------------------------------


class AccountIdentity(s.AccountBase):
    owners: list[data.Owner]


class InvestmentAccountBalance(s.AccountBalance):
    # Borrowed funds; the sandbox's retirement accounts have no margin.
    margin_loan_amount: float | None = None


class InvestmentAccount(s.AccountBase):
    balances: InvestmentAccountBalance


class AccountIdentityMatchScore(s.AccountBase):
    # Always all four: plaid-python requires each object (a field the partner did not
    # send has a null score inside it).
    legal_name: NameMatchScore
    phone_number: PhoneNumberMatchScore
    email_address: EmailAddressMatchScore
    address: AddressMatchScore


class ProcessorNumber(Struct, kw_only=True):
    ach: data.NumbersACH | None
    eft: data.NumbersEFT | None
    international: data.NumbersInternational | None
    bacs: data.NumbersBACS | None


class AuthGetNumbers(Struct, kw_only=True):
    ach: list[data.NumbersACH]
    eft: list[data.NumbersEFT]
    international: list[data.NumbersInternational]
    bacs: list[data.NumbersBACS]


class ProcessorAccountGetResponse(s.PlaidResponse):
    account: s.AccountBase
    institution_id: str


class ProcessorAuthGetResponse(s.PlaidResponse):
    numbers: ProcessorNumber
    account: s.AccountBase


class ProcessorBalanceGetResponse(s.PlaidResponse):
    account: s.AccountBase


class ProcessorIdentityGetResponse(s.PlaidResponse):
    account: AccountIdentity


class ProcessorIdentityMatchResponse(s.PlaidResponse):
    account: AccountIdentityMatchScore


class ProcessorLiabilitiesGetResponse(s.PlaidResponse):
    account: s.AccountBase
    liabilities: data.LiabilitiesObject


class ProcessorInvestmentsHoldingsGetResponse(s.PlaidResponse):
    account: InvestmentAccount
    holdings: list[data.Holding]
    securities: list[data.Security]
    is_investments_fallback_item: bool = False


class InvestmentsAuthOwner(Struct, kw_only=True):
    account_id: str
    names: list[str]


class InvestmentsAuthGetNumbers(Struct, kw_only=True):
    acats: list[data.NumbersACATS]
    aton: list[data.NumbersATON]
    retirement_401k: list[data.NumbersRetirement401k]


DataSources = Literal["INSTITUTION", "INSTITUTION_MASK", "USER"]


class InvestmentsAuthDataSources(Struct, kw_only=True):
    # Every sandbox answer is the institution's own data.
    numbers: DataSources = "INSTITUTION"
    owners: DataSources = "INSTITUTION"
    holdings: DataSources = "INSTITUTION"


class ProcessorInvestmentsAuthGetResponse(s.PlaidResponse):
    # AccountBase here, where the holdings and transactions reads answer InvestmentAccount.
    account: s.AccountBase
    holdings: list[data.Holding]
    securities: list[data.Security]
    owners: list[InvestmentsAuthOwner]
    numbers: InvestmentsAuthGetNumbers
    data_sources: InvestmentsAuthDataSources
    is_investments_fallback_item: bool = False


class ProcessorInvestmentsTransactionsGetResponse(s.PlaidResponse):
    account: InvestmentAccount
    investment_transactions: list[data.InvestmentTransaction]
    securities: list[data.Security]
    total_investment_transactions: int
    is_investments_fallback_item: bool = False


class ProcessorSignalEvaluateResponse(s.PlaidResponse):
    scores: data.SignalScores
    core_attributes: dict[str, Any]
    warnings: list[dict[str, str]] = msgspec.field(default_factory=list)


class ProcessorSignalDecisionReportResponse(s.PlaidResponse):
    pass


class ProcessorSignalReturnReportResponse(s.PlaidResponse):
    pass


class ProcessorSignalPrepareResponse(s.PlaidResponse):
    pass


class AuthGetResponse(s.PlaidResponse):
    accounts: list[s.AccountBase]
    numbers: AuthGetNumbers
    item: s.Item


class AccountsBalanceGetResponse(s.PlaidResponse):
    accounts: list[s.AccountBase]
    item: s.Item


class IdentityGetResponse(s.PlaidResponse):
    accounts: list[AccountIdentity]
    item: s.Item


def _identity_view(account: models.Account, owners: list[data.Owner]) -> AccountIdentity:
    return AccountIdentity(**structs.asdict(account_view(account)), owners=owners)


def _match_view(account: models.Account, scores: IdentityMatchScores) -> AccountIdentityMatchScore:
    return AccountIdentityMatchScore(
        **structs.asdict(account_view(account)),
        legal_name=scores.legal_name,
        phone_number=scores.phone_number,
        email_address=scores.email_address,
        address=scores.address,
    )


def _investment_view(account: models.Account) -> InvestmentAccount:
    fields = structs.asdict(account_view(account))
    fields["balances"] = InvestmentAccountBalance(**structs.asdict(fields["balances"]))
    return InvestmentAccount(**fields)


def _account_ids(options: AccountIdsOptions | UnsetType) -> list[str] | None:
    return None if isinstance(options, UnsetType) else options.account_ids


# Handlers: partner side ---------------------------------------------------------------


async def processor_account_get(
    ctx: Context, req: ProcessorAccountGetRequest
) -> ProcessorAccountGetResponse:
    grant = await ctx.services.partner.processor_account_get(ctx.client, req.processor_token)
    return ProcessorAccountGetResponse(
        account=account_view(grant.account), institution_id=grant.item.institution_id
    )


async def processor_auth_get(
    ctx: Context, req: ProcessorAuthGetRequest
) -> ProcessorAuthGetResponse:
    grant, numbers = await ctx.services.partner.processor_auth_get(ctx.client, req.processor_token)
    return ProcessorAuthGetResponse(
        numbers=ProcessorNumber(
            ach=numbers.ach, eft=numbers.eft, international=numbers.international,
            bacs=numbers.bacs,
        ),
        account=account_view(grant.account),
    )  # fmt: skip


async def processor_balance_get(
    ctx: Context, req: ProcessorBalanceGetRequest
) -> ProcessorBalanceGetResponse:
    grant = await ctx.services.partner.processor_balance_get(ctx.client, req.processor_token)
    return ProcessorBalanceGetResponse(account=account_view(grant.account))


async def processor_identity_get(
    ctx: Context, req: ProcessorIdentityGetRequest
) -> ProcessorIdentityGetResponse:
    grant, owners = await ctx.services.partner.processor_identity_get(
        ctx.client, req.processor_token
    )
    return ProcessorIdentityGetResponse(account=_identity_view(grant.account, owners))


async def processor_identity_match(
    ctx: Context, req: ProcessorIdentityMatchRequest
) -> ProcessorIdentityMatchResponse:
    user = None
    if req.user is not None:
        address = req.user.address or AddressDataNullableNoRequiredFields()
        user = IdentityMatchUser(
            legal_name=req.user.legal_name,
            phone_number=req.user.phone_number,
            email_address=req.user.email_address,
            street=address.street,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )
    grant, scores = await ctx.services.partner.processor_identity_match(
        ctx.client, req.processor_token, user
    )
    return ProcessorIdentityMatchResponse(account=_match_view(grant.account, scores))


async def processor_liabilities_get(
    ctx: Context, req: ProcessorLiabilitiesGetRequest
) -> ProcessorLiabilitiesGetResponse:
    grant, liabilities = await ctx.services.partner.processor_liabilities_get(
        ctx.client, req.processor_token
    )
    return ProcessorLiabilitiesGetResponse(
        account=account_view(grant.account), liabilities=liabilities
    )


async def processor_investments_holdings_get(
    ctx: Context, req: ProcessorInvestmentsHoldingsGetRequest
) -> ProcessorInvestmentsHoldingsGetResponse:
    partner = ctx.services.partner
    grant, holdings, securities = await partner.processor_investments_holdings_get(
        ctx.client, req.processor_token
    )
    return ProcessorInvestmentsHoldingsGetResponse(
        account=_investment_view(grant.account), holdings=holdings, securities=securities
    )


async def processor_investments_auth_get(
    ctx: Context, req: ProcessorInvestmentsAuthGetRequest
) -> ProcessorInvestmentsAuthGetResponse:
    found = await ctx.services.partner.processor_investments_auth_get(
        ctx.client, req.processor_token
    )
    account = found.grant.account
    return ProcessorInvestmentsAuthGetResponse(
        account=account_view(account),
        holdings=found.holdings,
        securities=found.securities,
        owners=[InvestmentsAuthOwner(account_id=account.account_id, names=found.owner_names)],
        numbers=InvestmentsAuthGetNumbers(
            acats=found.numbers.acats, aton=found.numbers.aton,
            retirement_401k=found.numbers.retirement_401k,
        ),
        data_sources=InvestmentsAuthDataSources(),
    )  # fmt: skip


async def processor_investments_transactions_get(
    ctx: Context, req: ProcessorInvestmentsTransactionsGetRequest
) -> ProcessorInvestmentsTransactionsGetResponse:
    options = (
        InvestmentsTransactionsGetRequestOptions()
        if isinstance(req.options, UnsetType)
        else req.options
    )
    page = await ctx.services.partner.processor_investments_transactions_get(
        ctx.client, req.processor_token, req.start_date, req.end_date, options.count,
        options.offset,
    )  # fmt: skip
    return ProcessorInvestmentsTransactionsGetResponse(
        account=_investment_view(page.grant.account),
        investment_transactions=page.investment_transactions,
        securities=page.securities,
        total_investment_transactions=page.total_investment_transactions,
    )


async def processor_signal_evaluate(
    ctx: Context, req: ProcessorSignalEvaluateRequest
) -> ProcessorSignalEvaluateResponse:
    # What the partner sent, minus the token and credentials, is kept with the evaluation.
    detail = {k: v for k, v in to_builtins(req).items()
              if k not in ("processor_token", "client_id", "secret", "client_transaction_id",
                           "amount") and v is not None}  # fmt: skip
    evaluation = await ctx.services.signal.processor_signal_evaluate(
        ctx.client, req.processor_token, req.client_transaction_id, req.amount, detail
    )
    return ProcessorSignalEvaluateResponse(
        scores=evaluation.scores, core_attributes=evaluation.core_attributes
    )


async def processor_signal_decision_report(
    ctx: Context, req: ProcessorSignalDecisionReportRequest
) -> ProcessorSignalDecisionReportResponse:
    report = {
        "initiated": req.initiated,
        "days_funds_on_hold": req.days_funds_on_hold,
        "decision_outcome": req.decision_outcome,
        "payment_method": req.payment_method,
        "amount_instantly_available": req.amount_instantly_available,
    }
    await ctx.services.signal.processor_signal_decision_report(
        ctx.client, req.processor_token, req.client_transaction_id, report
    )
    return ProcessorSignalDecisionReportResponse()


async def processor_signal_return_report(
    ctx: Context, req: ProcessorSignalReturnReportRequest
) -> ProcessorSignalReturnReportResponse:
    returned_at = req.returned_at.isoformat() if req.returned_at is not None else None
    await ctx.services.signal.processor_signal_return_report(
        ctx.client, req.processor_token, req.client_transaction_id, req.return_code, returned_at
    )
    return ProcessorSignalReturnReportResponse()


async def processor_signal_prepare(
    ctx: Context, req: ProcessorSignalPrepareRequest
) -> ProcessorSignalPrepareResponse:
    await ctx.services.signal.processor_signal_prepare(ctx.client, req.processor_token)
    return ProcessorSignalPrepareResponse()


# Handlers: developer side -------------------------------------------------------------


async def auth_get(ctx: Context, req: AuthGetRequest) -> AuthGetResponse:
    found, numbers = await ctx.services.partner.auth_get(
        ctx.client, req.access_token, _account_ids(req.options)
    )
    return AuthGetResponse(
        accounts=[account_view(a) for a in found.accounts],
        numbers=AuthGetNumbers(
            ach=[n.ach for n in numbers if n.ach is not None],
            eft=[n.eft for n in numbers if n.eft is not None],
            international=[n.international for n in numbers if n.international is not None],
            bacs=[n.bacs for n in numbers if n.bacs is not None],
        ),
        item=item_view(ctx, found.item),
    )


async def accounts_balance_get(
    ctx: Context, req: AccountsBalanceGetRequest
) -> AccountsBalanceGetResponse:
    found = await ctx.services.partner.accounts_balance_get(
        ctx.client, req.access_token, _account_ids(req.options)
    )
    return AccountsBalanceGetResponse(
        accounts=[account_view(a) for a in found.accounts], item=item_view(ctx, found.item)
    )


async def identity_get(ctx: Context, req: IdentityGetRequest) -> IdentityGetResponse:
    found, owners = await ctx.services.partner.identity_get(
        ctx.client, req.access_token, _account_ids(req.options)
    )
    return IdentityGetResponse(
        accounts=[_identity_view(a, owners[a.account_id]) for a in found.accounts],
        item=item_view(ctx, found.item),
    )
