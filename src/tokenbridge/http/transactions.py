"""The transactions endpoints of both sides: `/transactions/get|sync` with an access token,
`/processor/transactions/get|sync|refresh|recurring/get` with a processor token.

Shapes follow Plaid's OpenAPI (2020-09-14): `Transaction` carries every field Plaid marks
required (null where the sandbox has nothing); the partner answers carry one `account`.
Dates travel as YYYY-MM-DD strings and are validated by the domain, so that a malformed
date gets Plaid's INVALID_FIELD with a message naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from msgspec import UNSET, Struct, UnsetType

from tokenbridge.domain import recurring
from tokenbridge.domain import transactions as domain
from tokenbridge.domain.bank_records import BankTransaction, Merchant
from tokenbridge.domain.dates import iso_datetime
from tokenbridge.domain.models import SandboxTransaction
from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context, account_view, item_view

# Requests -----------------------------------------------------------------------------


class TransactionsGetRequestOptions(s.Options):
    account_ids: list[str] | None = None
    count: int = domain.DEFAULT_COUNT
    offset: int = 0
    include_original_description: bool | None = False
    # Deprecated flags that Plaid still accepts; personal finance categories, logos and
    # counterparties are always returned.
    include_personal_finance_category_beta: bool = False
    include_personal_finance_category: bool = False
    include_logo_and_counterparty_beta: bool = False
    personal_finance_category_version: str | None = None
    days_requested: int | None = None


class TransactionsGetRequest(s.PlaidRequest):
    access_token: str
    start_date: str
    end_date: str
    options: TransactionsGetRequestOptions | UnsetType = UNSET


class ProcessorTransactionsGetRequestOptions(s.Options):
    count: int = domain.DEFAULT_COUNT
    offset: int = 0
    include_original_description: bool | None = False
    include_personal_finance_category_beta: bool = False
    include_personal_finance_category: bool = False
    include_logo_and_counterparty_beta: bool = False


class ProcessorTransactionsGetRequest(s.PlaidRequest):
    processor_token: str
    start_date: str
    end_date: str
    options: ProcessorTransactionsGetRequestOptions | UnsetType = UNSET


class TransactionsSyncRequestOptions(s.Options):
    include_original_description: bool | None = False
    include_personal_finance_category: bool = False
    include_logo_and_counterparty_beta: bool = False
    personal_finance_category_version: str | None = None
    days_requested: int | None = None
    account_id: str | None = None


class TransactionsSyncRequest(s.PlaidRequest):
    access_token: str
    cursor: str | None = None
    count: int = domain.DEFAULT_COUNT
    options: TransactionsSyncRequestOptions | UnsetType = UNSET


class ProcessorTransactionsSyncRequest(s.PlaidRequest):
    processor_token: str
    cursor: str | None = None
    count: int = domain.DEFAULT_COUNT
    # The spec reuses TransactionsSyncRequestOptions; its account_id has no meaning for a
    # processor token, which already names one account.
    options: TransactionsSyncRequestOptions | UnsetType = UNSET


class ProcessorTransactionsRefreshRequest(s.PlaidRequest):
    processor_token: str


class TransactionsRecurringGetRequestOptions(s.Options):
    include_personal_finance_category: bool = False
    personal_finance_category_version: str | None = None


class ProcessorTransactionsRecurringGetRequest(s.PlaidRequest):
    processor_token: str
    options: TransactionsRecurringGetRequestOptions | UnsetType = UNSET


class TransactionsRecurringGetRequest(s.PlaidRequest):
    access_token: str
    # At the top level, where the other reads have it in `options`.
    account_ids: list[str] | None = None
    options: TransactionsRecurringGetRequestOptions | UnsetType = UNSET


class TransactionsRefreshRequest(s.PlaidRequest):
    access_token: str


# Responses ----------------------------------------------------------------------------


class Location(Struct, kw_only=True):
    address: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    lat: float | None
    lon: float | None
    store_number: str | None


class PaymentMeta(Struct, kw_only=True):
    reference_number: str | None = None
    ppd_id: str | None = None
    payee: str | None = None
    by_order_of: str | None = None
    payer: str | None = None
    payment_method: str | None = None
    payment_processor: str | None = None
    reason: str | None = None


class PersonalFinanceCategory(Struct, kw_only=True):
    primary: str
    detailed: str
    confidence_level: str | None


class TransactionCounterparty(Struct, kw_only=True):
    name: str
    type: str
    website: str | None
    logo_url: str | None
    entity_id: str | None
    confidence_level: str | None


class Transaction(Struct, kw_only=True):
    account_id: str
    amount: float
    iso_currency_code: str | None
    unofficial_currency_code: str | None
    category: list[str] | None
    category_id: str | None
    check_number: str | None
    date: str
    location: Location
    name: str
    merchant_name: str | None
    original_description: str | None
    payment_meta: PaymentMeta
    pending: bool
    pending_transaction_id: str | None
    account_owner: str | None
    transaction_id: str
    transaction_type: str
    logo_url: str | None
    website: str | None
    authorized_date: str | None
    authorized_datetime: str | None
    datetime: str | None
    payment_channel: str
    personal_finance_category: PersonalFinanceCategory | None
    transaction_code: str | None
    personal_finance_category_icon_url: str
    counterparties: list[TransactionCounterparty]
    merchant_entity_id: str | None


class RemovedTransaction(Struct, kw_only=True):
    transaction_id: str
    account_id: str


class TransactionsGetResponse(s.PlaidResponse):
    accounts: list[s.AccountBase]
    transactions: list[Transaction]
    total_transactions: int
    item: s.Item


class ProcessorTransactionsGetResponse(s.PlaidResponse):
    account: s.AccountBase
    transactions: list[Transaction]
    total_transactions: int


class TransactionsSyncResponse(s.PlaidResponse):
    transactions_update_status: str
    accounts: list[s.AccountBase]
    added: list[Transaction]
    modified: list[Transaction]
    removed: list[RemovedTransaction]
    next_cursor: str
    has_more: bool


class ProcessorTransactionsSyncResponse(s.PlaidResponse):
    transactions_update_status: str
    account: s.AccountBase | None
    added: list[Transaction]
    modified: list[Transaction]
    removed: list[RemovedTransaction]
    next_cursor: str
    has_more: bool


class ProcessorTransactionsRefreshResponse(s.PlaidResponse):
    pass


class TransactionsRefreshResponse(s.PlaidResponse):
    pass


class TransactionStreamAmount(Struct, kw_only=True):
    amount: float
    iso_currency_code: str | None
    unofficial_currency_code: str | None


class TransactionStream(Struct, kw_only=True):
    account_id: str
    stream_id: str
    category: list[str] | None
    category_id: str | None
    description: str
    merchant_name: str | None
    first_date: str
    last_date: str
    predicted_next_date: str | None
    frequency: str
    transaction_ids: list[str]
    average_amount: TransactionStreamAmount
    last_amount: TransactionStreamAmount
    is_active: bool
    status: str
    personal_finance_category: PersonalFinanceCategory | None
    is_user_modified: bool


class ProcessorTransactionsRecurringGetResponse(s.PlaidResponse):
    inflow_streams: list[TransactionStream]
    outflow_streams: list[TransactionStream]
    updated_datetime: str
    personal_finance_category_version: str = "v1"


class TransactionsRecurringGetResponse(ProcessorTransactionsRecurringGetResponse):
    pass


# Views --------------------------------------------------------------------------------

# https://plaid.com/docs/api/products/transactions/: the icon of a personal finance
# category is published under this address, one PNG per primary category.
_PFC_ICON = "https://plaid-category-icons.plaid.com/PFC_{}.png"
# Sync reports the state of the historical pull; the sandbox has it all at once.
UPDATE_STATUS = "HISTORICAL_UPDATE_COMPLETE"


def _date(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class _MerchantView:
    """The parts of a Transaction that come from its merchant alone, built once each."""

    category: list[str]
    location: Location
    pfc: PersonalFinanceCategory
    icon: str
    counterparties: list[TransactionCounterparty]


@lru_cache(maxsize=256)
def _merchant_view(m: Merchant) -> _MerchantView:
    p = m.place
    counterparties = []
    if m.merchant_name and m.counterparty_type:
        counterparties.append(
            TransactionCounterparty(
                name=m.merchant_name, type=m.counterparty_type, website=m.website,
                logo_url=None, entity_id=m.entity_id, confidence_level="VERY_HIGH",
            )
        )  # fmt: skip
    return _MerchantView(
        category=list(m.category),
        location=Location(
            address=p.address,
            city=p.city,
            region=p.region,
            postal_code=p.postal_code,
            country=p.country,
            lat=p.lat,
            lon=p.lon,
            store_number=p.store_number,
        ),
        pfc=PersonalFinanceCategory(
            primary=m.pfc_primary, detailed=m.pfc_detailed, confidence_level=m.confidence
        ),
        icon=_PFC_ICON.format(m.pfc_primary),
        counterparties=counterparties,
    )


_NO_PAYMENT_META = PaymentMeta()


def transaction_view(t: BankTransaction, original_description: bool) -> Transaction:
    m = t.merchant
    shared = _merchant_view(m)
    return Transaction(
        account_id=t.account_id,
        amount=t.amount,
        iso_currency_code=t.iso_currency_code,
        unofficial_currency_code=None,
        category=shared.category,
        category_id=m.category_id,
        check_number=t.check_number,
        date=str(t.date),
        location=shared.location,
        name=t.name,
        merchant_name=m.merchant_name,
        # Plaid fills original_description only when include_original_description is set.
        original_description=t.original_description if original_description else None,
        payment_meta=_NO_PAYMENT_META,
        pending=t.pending,
        pending_transaction_id=t.pending_transaction_id,
        account_owner=None,
        transaction_id=t.transaction_id,
        transaction_type=m.transaction_type,
        logo_url=None,
        website=m.website,
        authorized_date=_date(t.authorized_date),
        authorized_datetime=None,
        datetime=None,
        payment_channel=m.payment_channel,
        personal_finance_category=shared.pfc,
        transaction_code=m.transaction_code,
        personal_finance_category_icon_url=shared.icon,
        counterparties=shared.counterparties,
        merchant_entity_id=m.entity_id,
    )


def _amount(value: float) -> TransactionStreamAmount:
    return TransactionStreamAmount(
        amount=value, iso_currency_code="USD", unofficial_currency_code=None
    )


def stream_view(stream: recurring.TransactionStream) -> TransactionStream:
    m = stream.merchant
    first, last = stream.transactions[0], stream.transactions[-1]
    return TransactionStream(
        account_id=stream.account_id,
        stream_id=stream.stream_id,
        category=list(m.category),
        category_id=m.category_id,
        description=stream.description,
        merchant_name=m.merchant_name,
        first_date=str(first.date),
        last_date=str(last.date),
        predicted_next_date=str(stream.predicted_next_date),
        frequency=stream.frequency,
        transaction_ids=[t.transaction_id for t in stream.transactions],
        average_amount=_amount(stream.average_amount),
        last_amount=_amount(last.amount),
        is_active=stream.is_active,
        # MATURE: "at least 3 transactions with a regular cadence", which is what makes a
        # stream here.
        status="MATURE" if stream.is_active else "TOMBSTONED",
        personal_finance_category=PersonalFinanceCategory(
            primary=m.pfc_primary, detailed=m.pfc_detailed, confidence_level=m.confidence
        ),
        is_user_modified=False,
    )


def _sync_changes(
    page: domain.SyncPage, options: TransactionsSyncRequestOptions
) -> tuple[list[Transaction], list[Transaction], list[RemovedTransaction]]:
    """The added, modified and removed lists of a sync answer, for either side."""
    original = bool(options.include_original_description)
    return (
        [transaction_view(t, original) for t in page.added],
        [transaction_view(t, original) for t in page.modified],
        [RemovedTransaction(transaction_id=r.transaction_id, account_id=r.account_id)
         for r in page.removed],
    )  # fmt: skip


# Handlers -----------------------------------------------------------------------------


async def transactions_get(ctx: Context, req: TransactionsGetRequest) -> TransactionsGetResponse:
    o = req.options or TransactionsGetRequestOptions()
    page = await ctx.services.transactions.transactions_get(
        ctx.client, req.access_token, req.start_date, req.end_date, o.account_ids, o.count,
        o.offset, o.days_requested, request_id=ctx.request_id,
    )  # fmt: skip
    original = bool(o.include_original_description)
    return TransactionsGetResponse(
        accounts=[account_view(a) for a in page.accounts],
        transactions=[transaction_view(t, original) for t in page.transactions],
        total_transactions=page.total_transactions,
        item=item_view(ctx, page.item),
    )


async def processor_transactions_get(
    ctx: Context, req: ProcessorTransactionsGetRequest
) -> ProcessorTransactionsGetResponse:
    o = req.options or ProcessorTransactionsGetRequestOptions()
    page = await ctx.services.transactions.processor_transactions_get(
        ctx.client, req.processor_token, req.start_date, req.end_date, o.count, o.offset
    )
    original = bool(o.include_original_description)
    return ProcessorTransactionsGetResponse(
        account=account_view(page.accounts[0]),
        transactions=[transaction_view(t, original) for t in page.transactions],
        total_transactions=page.total_transactions,
    )


async def transactions_sync(ctx: Context, req: TransactionsSyncRequest) -> TransactionsSyncResponse:
    o = req.options or TransactionsSyncRequestOptions()
    page = await ctx.services.transactions.transactions_sync(
        ctx.client, req.access_token, req.cursor, req.count, o.account_id, o.days_requested,
        request_id=ctx.request_id,
    )  # fmt: skip
    added, modified, removed = _sync_changes(page, o)
    return TransactionsSyncResponse(
        transactions_update_status=UPDATE_STATUS,
        accounts=[account_view(a) for a in page.accounts],
        added=added,
        modified=modified,
        removed=removed,
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


async def processor_transactions_sync(
    ctx: Context, req: ProcessorTransactionsSyncRequest
) -> ProcessorTransactionsSyncResponse:
    o = req.options or TransactionsSyncRequestOptions()
    page = await ctx.services.transactions.processor_transactions_sync(
        ctx.client, req.processor_token, req.cursor, req.count, o.account_id, o.days_requested
    )
    added, modified, removed = _sync_changes(page, o)
    return ProcessorTransactionsSyncResponse(
        transactions_update_status=UPDATE_STATUS,
        account=account_view(page.accounts[0]),
        added=added,
        modified=modified,
        removed=removed,
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


async def processor_transactions_refresh(
    ctx: Context, req: ProcessorTransactionsRefreshRequest
) -> ProcessorTransactionsRefreshResponse:
    await ctx.services.transactions.processor_transactions_refresh(ctx.client, req.processor_token)
    return ProcessorTransactionsRefreshResponse()


async def processor_transactions_recurring_get(
    ctx: Context, req: ProcessorTransactionsRecurringGetRequest
) -> ProcessorTransactionsRecurringGetResponse:
    streams = await ctx.services.transactions.processor_transactions_recurring_get(
        ctx.client, req.processor_token
    )
    return ProcessorTransactionsRecurringGetResponse(**_streams_fields(streams))


def _streams_fields(streams: recurring.RecurringStreams) -> dict[str, Any]:
    return {
        "inflow_streams": [stream_view(x) for x in streams.inflow_streams],
        "outflow_streams": [stream_view(x) for x in streams.outflow_streams],
        "updated_datetime": iso_datetime(streams.updated_at),
    }


async def transactions_recurring_get(
    ctx: Context, req: TransactionsRecurringGetRequest
) -> TransactionsRecurringGetResponse:
    streams = await ctx.services.transactions.transactions_recurring_get(
        ctx.client, req.access_token, req.account_ids, request_id=ctx.request_id
    )
    return TransactionsRecurringGetResponse(**_streams_fields(streams))


async def transactions_refresh(
    ctx: Context, req: TransactionsRefreshRequest
) -> TransactionsRefreshResponse:
    await ctx.services.transactions.transactions_refresh(
        ctx.client, req.access_token, request_id=ctx.request_id
    )
    return TransactionsRefreshResponse()


async def sandbox_transactions_create(
    ctx: Context, req: s.SandboxTransactionsCreateRequest
) -> s.SandboxTransactionsCreateResponse:
    await ctx.services.transactions.sandbox_transactions_create(
        ctx.client,
        req.access_token,
        [
            SandboxTransaction(
                t.date_transacted,
                t.date_posted,
                t.amount,
                t.description,
                t.iso_currency_code,
                t.account_id,
            )
            for t in req.transactions
        ],
        request_id=ctx.request_id,
    )
    return s.SandboxTransactionsCreateResponse()
