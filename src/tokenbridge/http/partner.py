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
from tokenbridge.domain.partner import InvestmentsAuth
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


class SignalEvaluateFields(s.PlaidRequest):
    """What both forms of /signal/evaluate take besides the token."""

    client_transaction_id: ClientTransactionId
    amount: float
    user_present: bool | None = None
    client_user_id: str | None = None
    is_recurring: bool | None = None
    default_payment_method: str | None = None
    user: SignalUser | None = None
    device: SignalDevice | None = None
    ruleset_key: str | None = None


class ProcessorSignalEvaluateRequest(SignalEvaluateFields, kw_only=True):
    processor_token: str


class SignalEvaluateRequest(SignalEvaluateFields, kw_only=True):
    access_token: str
    account_id: str
    # Deprecated for ruleset_key; plaid-python 46 still sends it on this form only.
    risk_profile_key: str | None = None


SignalDecisionOutcome = Literal["APPROVE", "REVIEW", "REJECT", "TAKE_OTHER_RISK_MEASURES",
                                "NOT_EVALUATED"]  # fmt: skip
SignalPaymentMethod = Literal["SAME_DAY_ACH", "NEXT_DAY_ACH", "STANDARD_ACH",
                              "MULTIPLE_PAYMENT_METHODS"]  # fmt: skip


class SignalDecisionReportFields(s.PlaidRequest):
    client_transaction_id: ClientTransactionId
    initiated: bool
    days_funds_on_hold: Annotated[int, Meta(ge=0)] | None = None
    decision_outcome: SignalDecisionOutcome | None = None
    payment_method: SignalPaymentMethod | None = None
    amount_instantly_available: float | None = None


class SignalDecisionReportRequest(SignalDecisionReportFields, kw_only=True):
    # When the decision was made; the developer form alone has it (plaid-python 46).
    submitted_at: datetime | None = None


class ProcessorSignalDecisionReportRequest(SignalDecisionReportFields, kw_only=True):
    processor_token: str


class SignalReturnReportRequest(s.PlaidRequest):
    client_transaction_id: ClientTransactionId
    return_code: str
    returned_at: datetime | None = None


class ProcessorSignalReturnReportRequest(SignalReturnReportRequest, kw_only=True):
    processor_token: str


class ProcessorSignalPrepareRequest(ProcessorTokenRequest):
    pass


class SignalPrepareRequest(s.PlaidRequest):
    access_token: str


class AccountIdsOptions(s.Options):
    account_ids: list[str] | None = None


class AccountIdsRequest(s.PlaidRequest):
    """A developer-side read: an access token and, in `options`, the accounts to read."""

    access_token: str
    options: AccountIdsOptions | UnsetType = UNSET


class AuthGetRequest(AccountIdsRequest):
    pass


class AccountsBalanceGetRequestOptions(AccountIdsOptions):
    min_last_updated_datetime: datetime | None = None


class AccountsBalanceGetRequest(s.PlaidRequest):
    access_token: str
    options: AccountsBalanceGetRequestOptions | UnsetType = UNSET


class IdentityGetRequest(AccountIdsRequest):
    pass


class IdentityMatchRequest(AccountIdsRequest, kw_only=True):
    user: IdentityMatchUserRequest | None = None


class LiabilitiesGetRequest(AccountIdsRequest):
    pass


class InvestmentsHoldingsGetRequest(AccountIdsRequest):
    pass


class InvestmentsAuthGetRequest(AccountIdsRequest):
    pass


class InvestmentsTransactionsGetRequest(s.PlaidRequest):
    access_token: str
    start_date: date
    end_date: date
    options: InvestmentsTransactionsGetRequestOptions | UnsetType = UNSET


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


class IdentityMatchResponse(s.PlaidResponse):
    accounts: list[AccountIdentityMatchScore]
    item: s.Item


class LiabilitiesGetResponse(s.PlaidResponse):
    accounts: list[s.AccountBase]
    item: s.Item
    liabilities: data.LiabilitiesObject


class InvestmentsHoldingsGetResponse(s.PlaidResponse):
    accounts: list[InvestmentAccount]
    holdings: list[data.Holding]
    securities: list[data.Security]
    item: s.Item
    is_investments_fallback_item: bool = False


class InvestmentsAuthGetResponse(s.PlaidResponse):
    accounts: list[InvestmentAccount]
    holdings: list[data.Holding]
    securities: list[data.Security]
    owners: list[InvestmentsAuthOwner]
    numbers: InvestmentsAuthGetNumbers
    data_sources: InvestmentsAuthDataSources
    item: s.Item


class InvestmentsTransactionsGetResponse(s.PlaidResponse):
    item: s.Item
    accounts: list[InvestmentAccount]
    securities: list[data.Security]
    investment_transactions: list[data.InvestmentTransaction]
    total_investment_transactions: int
    is_investments_fallback_item: bool = False


# The developer forms of Signal answer what the partner forms do.
class SignalEvaluateResponse(ProcessorSignalEvaluateResponse):
    pass


class SignalDecisionReportResponse(s.PlaidResponse):
    pass


class SignalReturnReportResponse(s.PlaidResponse):
    pass


class SignalPrepareResponse(s.PlaidResponse):
    pass


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


def _match_user(user: IdentityMatchUserRequest | None) -> IdentityMatchUser | None:
    if user is None:
        return None
    address = user.address or AddressDataNullableNoRequiredFields()
    return IdentityMatchUser(
        legal_name=user.legal_name,
        phone_number=user.phone_number,
        email_address=user.email_address,
        street=address.street,
        city=address.city,
        region=address.region,
        postal_code=address.postal_code,
        country=address.country,
    )


def _investments_auth_fields(found: InvestmentsAuth) -> dict[str, Any]:
    """The fields both forms of the Investments Auth read answer alike."""
    numbers = found.numbers
    return {
        "holdings": found.holdings,
        "securities": found.securities,
        "owners": [InvestmentsAuthOwner(account_id=account_id, names=names)
                   for account_id, names in found.owner_names.items()],
        "numbers": InvestmentsAuthGetNumbers(
            acats=numbers.acats, aton=numbers.aton, retirement_401k=numbers.retirement_401k
        ),
        "data_sources": InvestmentsAuthDataSources(),
    }  # fmt: skip


def _investments_transactions_options(
    options: InvestmentsTransactionsGetRequestOptions | UnsetType,
) -> InvestmentsTransactionsGetRequestOptions:
    return InvestmentsTransactionsGetRequestOptions() if isinstance(options, UnsetType) else options


def _evaluation_detail(req: SignalEvaluateFields) -> dict[str, Any]:
    """What the caller sent, minus tokens, credentials and the fields stored on their own,
    kept with the evaluation."""
    return {k: v for k, v in to_builtins(req).items()
            if k not in ("processor_token", "access_token", "client_id", "secret",
                         "client_transaction_id", "amount") and v is not None}  # fmt: skip


def _decision(req: SignalDecisionReportFields) -> dict[str, Any]:
    report: dict[str, Any] = {
        "initiated": req.initiated,
        "days_funds_on_hold": req.days_funds_on_hold,
        "decision_outcome": req.decision_outcome,
        "payment_method": req.payment_method,
        "amount_instantly_available": req.amount_instantly_available,
    }
    if isinstance(req, SignalDecisionReportRequest) and req.submitted_at is not None:
        report["submitted_at"] = req.submitted_at.isoformat()
    return report


def _returned_at(req: SignalReturnReportRequest) -> str | None:
    return req.returned_at.isoformat() if req.returned_at is not None else None


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
    found = await ctx.services.partner.processor_identity_match(
        ctx.client, req.processor_token, _match_user(req.user)
    )
    (account,) = found.accounts
    return ProcessorIdentityMatchResponse(
        account=_match_view(account, found.scores[account.account_id])
    )


async def processor_liabilities_get(
    ctx: Context, req: ProcessorLiabilitiesGetRequest
) -> ProcessorLiabilitiesGetResponse:
    found = await ctx.services.partner.processor_liabilities_get(ctx.client, req.processor_token)
    return ProcessorLiabilitiesGetResponse(
        account=account_view(found.accounts[0]), liabilities=found.liabilities
    )


async def processor_investments_holdings_get(
    ctx: Context, req: ProcessorInvestmentsHoldingsGetRequest
) -> ProcessorInvestmentsHoldingsGetResponse:
    found = await ctx.services.partner.processor_investments_holdings_get(
        ctx.client, req.processor_token
    )
    return ProcessorInvestmentsHoldingsGetResponse(
        account=_investment_view(found.accounts[0]), holdings=found.holdings,
        securities=found.securities,
    )  # fmt: skip


async def processor_investments_auth_get(
    ctx: Context, req: ProcessorInvestmentsAuthGetRequest
) -> ProcessorInvestmentsAuthGetResponse:
    found = await ctx.services.partner.processor_investments_auth_get(
        ctx.client, req.processor_token
    )
    return ProcessorInvestmentsAuthGetResponse(
        account=account_view(found.accounts[0]), **_investments_auth_fields(found)
    )


async def processor_investments_transactions_get(
    ctx: Context, req: ProcessorInvestmentsTransactionsGetRequest
) -> ProcessorInvestmentsTransactionsGetResponse:
    options = _investments_transactions_options(req.options)
    page = await ctx.services.partner.processor_investments_transactions_get(
        ctx.client, req.processor_token, req.start_date, req.end_date, options.count,
        options.offset,
    )  # fmt: skip
    return ProcessorInvestmentsTransactionsGetResponse(
        account=_investment_view(page.accounts[0]),
        investment_transactions=page.investment_transactions,
        securities=page.securities,
        total_investment_transactions=page.total_investment_transactions,
    )


async def processor_signal_evaluate(
    ctx: Context, req: ProcessorSignalEvaluateRequest
) -> ProcessorSignalEvaluateResponse:
    evaluation = await ctx.services.signal.processor_signal_evaluate(
        ctx.client, req.processor_token, req.client_transaction_id, req.amount,
        _evaluation_detail(req),
    )  # fmt: skip
    return ProcessorSignalEvaluateResponse(
        scores=evaluation.scores, core_attributes=evaluation.core_attributes
    )


async def processor_signal_decision_report(
    ctx: Context, req: ProcessorSignalDecisionReportRequest
) -> ProcessorSignalDecisionReportResponse:
    await ctx.services.signal.processor_signal_decision_report(
        ctx.client, req.processor_token, req.client_transaction_id, _decision(req)
    )
    return ProcessorSignalDecisionReportResponse()


async def processor_signal_return_report(
    ctx: Context, req: ProcessorSignalReturnReportRequest
) -> ProcessorSignalReturnReportResponse:
    await ctx.services.signal.processor_signal_return_report(
        ctx.client, req.processor_token, req.client_transaction_id, req.return_code,
        _returned_at(req),
    )  # fmt: skip
    return ProcessorSignalReturnReportResponse()


async def processor_signal_prepare(
    ctx: Context, req: ProcessorSignalPrepareRequest
) -> ProcessorSignalPrepareResponse:
    await ctx.services.signal.processor_signal_prepare(ctx.client, req.processor_token)
    return ProcessorSignalPrepareResponse()


# Handlers: developer side -------------------------------------------------------------


async def auth_get(ctx: Context, req: AuthGetRequest) -> AuthGetResponse:
    found, numbers = await ctx.services.partner.auth_get(
        ctx.client, req.access_token, _account_ids(req.options), request_id=ctx.request_id
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
        ctx.client, req.access_token, _account_ids(req.options), request_id=ctx.request_id
    )
    return IdentityGetResponse(
        accounts=[_identity_view(a, owners[a.account_id]) for a in found.accounts],
        item=item_view(ctx, found.item),
    )


async def identity_match(ctx: Context, req: IdentityMatchRequest) -> IdentityMatchResponse:
    found = await ctx.services.partner.identity_match(
        ctx.client, req.access_token, _match_user(req.user), _account_ids(req.options),
        request_id=ctx.request_id,
    )  # fmt: skip
    return IdentityMatchResponse(
        accounts=[_match_view(a, found.scores[a.account_id]) for a in found.accounts],
        item=item_view(ctx, found.item),
    )


async def liabilities_get(ctx: Context, req: LiabilitiesGetRequest) -> LiabilitiesGetResponse:
    found = await ctx.services.partner.liabilities_get(
        ctx.client, req.access_token, _account_ids(req.options), request_id=ctx.request_id
    )
    return LiabilitiesGetResponse(
        accounts=[account_view(a) for a in found.accounts],
        item=item_view(ctx, found.item),
        liabilities=found.liabilities,
    )


async def investments_holdings_get(
    ctx: Context, req: InvestmentsHoldingsGetRequest
) -> InvestmentsHoldingsGetResponse:
    found = await ctx.services.partner.investments_holdings_get(
        ctx.client, req.access_token, _account_ids(req.options), request_id=ctx.request_id
    )
    return InvestmentsHoldingsGetResponse(
        accounts=[_investment_view(a) for a in found.accounts], holdings=found.holdings,
        securities=found.securities, item=item_view(ctx, found.item),
    )  # fmt: skip


async def investments_auth_get(
    ctx: Context, req: InvestmentsAuthGetRequest
) -> InvestmentsAuthGetResponse:
    found = await ctx.services.partner.investments_auth_get(
        ctx.client, req.access_token, _account_ids(req.options), request_id=ctx.request_id
    )
    return InvestmentsAuthGetResponse(
        accounts=[_investment_view(a) for a in found.accounts], item=item_view(ctx, found.item),
        **_investments_auth_fields(found),
    )  # fmt: skip


async def investments_transactions_get(
    ctx: Context, req: InvestmentsTransactionsGetRequest
) -> InvestmentsTransactionsGetResponse:
    options = _investments_transactions_options(req.options)
    page = await ctx.services.partner.investments_transactions_get(
        ctx.client, req.access_token, req.start_date, req.end_date, options.account_ids,
        options.count, options.offset, request_id=ctx.request_id,
    )  # fmt: skip
    return InvestmentsTransactionsGetResponse(
        item=item_view(ctx, page.item),
        accounts=[_investment_view(a) for a in page.accounts],
        securities=page.securities,
        investment_transactions=page.investment_transactions,
        total_investment_transactions=page.total_investment_transactions,
    )


async def signal_evaluate(ctx: Context, req: SignalEvaluateRequest) -> SignalEvaluateResponse:
    evaluation = await ctx.services.signal.signal_evaluate(
        ctx.client, req.access_token, req.account_id, req.client_transaction_id, req.amount,
        _evaluation_detail(req), request_id=ctx.request_id,
    )  # fmt: skip
    return SignalEvaluateResponse(
        scores=evaluation.scores, core_attributes=evaluation.core_attributes
    )


async def signal_decision_report(
    ctx: Context, req: SignalDecisionReportRequest
) -> SignalDecisionReportResponse:
    await ctx.services.signal.signal_decision_report(
        ctx.client, req.client_transaction_id, _decision(req)
    )
    return SignalDecisionReportResponse()


async def signal_return_report(
    ctx: Context, req: SignalReturnReportRequest
) -> SignalReturnReportResponse:
    await ctx.services.signal.signal_return_report(
        ctx.client, req.client_transaction_id, req.return_code, _returned_at(req)
    )
    return SignalReturnReportResponse()


async def signal_prepare(ctx: Context, req: SignalPrepareRequest) -> SignalPrepareResponse:
    await ctx.services.signal.signal_prepare(
        ctx.client, req.access_token, request_id=ctx.request_id
    )
    return SignalPrepareResponse()
