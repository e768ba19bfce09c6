"""One handler per Plaid operation: take the typed request, call the service, shape the reply.

Handlers hold no rules; `tokenbridge.domain.service` decides everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from msgspec import UNSET, Struct

from tokenbridge.domain import models
from tokenbridge.domain.partner import PartnerService
from tokenbridge.domain.service import TokenService
from tokenbridge.domain.transactions import LinkOptions, TransactionsService
from tokenbridge.http import schemas as s
from tokenbridge.http.parsing import Shape
from tokenbridge.sandbox.institutions import INSTITUTIONS, SUPPORTED_PRODUCTS
from tokenbridge.webhooks import WebhookSender


@dataclass(frozen=True, slots=True)
class Services:
    """The services of one app, built once over its TokenService and store."""

    tokens: TokenService
    partner: PartnerService
    transactions: TransactionsService
    webhooks: WebhookSender

    @classmethod
    def over(cls, tokens: TokenService) -> Services:
        webhooks = WebhookSender()
        return cls(
            tokens,
            PartnerService(tokens, webhooks),
            TransactionsService(tokens, webhooks.send),
            webhooks,
        )


# Not frozen: one is made per request, and a frozen dataclass takes three times as long.
@dataclass(slots=True)
class Context:
    services: Services
    client: models.Client
    api_version: str
    # The id the response will carry; the service writes it into the audit log.
    request_id: str | None = None

    @property
    def service(self) -> TokenService:
        return self.services.tokens


Handler = Callable[[Context, Any], Awaitable[Struct]]


@dataclass(frozen=True, slots=True)
class Route:
    path: str
    shape: Shape
    handler: Handler


ROUTES: dict[str, Route] = {}


def operation(path: str, request_type: type[Struct]) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[path] = Route(path, Shape(request_type), handler)
        return handler

    return register


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def item_view(item: models.Item) -> s.Item:
    institution = INSTITUTIONS.get(item.institution_id)
    billed = list(item.products)
    return s.Item(
        item_id=item.item_id,
        institution_id=item.institution_id,
        institution_name=institution.name if institution else None,
        webhook=item.webhook,
        auth_method=None,
        error=None,
        available_products=[p for p in SUPPORTED_PRODUCTS if p not in item.products],
        billed_products=billed,
        products=billed,
        consented_products=billed,
        consent_expiration_time=None,
        update_type="background",
        created_at=_iso(item.created_at),
    )


def account_view(account: models.Account) -> s.AccountBase:
    b = account.balances
    return s.AccountBase(
        account_id=account.account_id,
        balances=s.AccountBalance(
            available=b.available,
            current=b.current,
            limit=b.limit,
            iso_currency_code=b.iso_currency_code,
            unofficial_currency_code=b.unofficial_currency_code,
        ),
        mask=account.mask,
        name=account.name,
        official_name=account.official_name,
        type=account.type,
        subtype=account.subtype,
        holder_category=account.holder_category or UNSET,
    )


@operation("/sandbox/public_token/create", s.SandboxPublicTokenCreateRequest)
async def sandbox_public_token_create(
    ctx: Context, req: s.SandboxPublicTokenCreateRequest
) -> s.SandboxPublicTokenCreateResponse:
    options = req.options or s.SandboxPublicTokenCreateRequestOptions()
    token = await ctx.service.sandbox_public_token_create(
        ctx.client,
        req.institution_id,
        req.initial_products,
        *options.credentials(),
        options.webhook,
        request_id=ctx.request_id,
        transactions=_link_options(options.transactions),
    )
    return s.SandboxPublicTokenCreateResponse(public_token=token)


def _link_options(
    options: s.SandboxPublicTokenCreateRequestOptionsTransactions | None,
) -> LinkOptions | None:
    if options is None:
        return None
    return LinkOptions(options.days_requested, options.start_date, options.end_date)


@operation("/item/public_token/exchange", s.ItemPublicTokenExchangeRequest)
async def item_public_token_exchange(
    ctx: Context, req: s.ItemPublicTokenExchangeRequest
) -> s.ItemPublicTokenExchangeResponse:
    access_token, item_id = await ctx.service.item_public_token_exchange(
        ctx.client, req.public_token, request_id=ctx.request_id
    )
    return s.ItemPublicTokenExchangeResponse(access_token=access_token, item_id=item_id)


@operation("/item/get", s.ItemGetRequest)
async def item_get(ctx: Context, req: s.ItemGetRequest) -> s.ItemGetResponse:
    item = await ctx.service.item_get(ctx.client, req.access_token)
    status = s.ItemStatus(
        transactions=s.ItemStatusTransactions(
            last_successful_update=_iso(item.created_at), last_failed_update=None
        )
    )
    return s.ItemGetResponse(item=item_view(item), status=status)


@operation("/accounts/get", s.AccountsGetRequest)
async def accounts_get(ctx: Context, req: s.AccountsGetRequest) -> s.AccountsGetResponse:
    account_ids = req.options.account_ids if req.options else None
    found = await ctx.service.accounts_get(ctx.client, req.access_token, account_ids)
    return s.AccountsGetResponse(
        accounts=[account_view(a) for a in found.accounts], item=item_view(found.item)
    )


@operation("/item/remove", s.ItemRemoveRequest)
async def item_remove(ctx: Context, req: s.ItemRemoveRequest) -> s.ItemRemoveResponse:
    await ctx.service.item_remove(ctx.client, req.access_token, request_id=ctx.request_id)
    # https://plaid.com/docs/api/versioning/: `removed` exists up to 2019-05-29 only.
    return s.ItemRemoveResponse(removed=True if ctx.api_version <= "2019-05-29" else UNSET)


@operation("/processor/token/create", s.ProcessorTokenCreateRequest)
async def processor_token_create(
    ctx: Context, req: s.ProcessorTokenCreateRequest
) -> s.ProcessorTokenCreateResponse:
    token = await ctx.service.processor_token_create(
        ctx.client, req.access_token, req.account_id, req.processor, request_id=ctx.request_id
    )
    return s.ProcessorTokenCreateResponse(processor_token=token)


@operation("/processor/token/permissions/set", s.ProcessorTokenPermissionsSetRequest)
async def processor_token_permissions_set(
    ctx: Context, req: s.ProcessorTokenPermissionsSetRequest
) -> s.ProcessorTokenPermissionsSetResponse:
    await ctx.service.processor_token_permissions_set(
        ctx.client, req.processor_token, req.products, request_id=ctx.request_id
    )
    return s.ProcessorTokenPermissionsSetResponse()


@operation("/processor/token/permissions/get", s.ProcessorTokenPermissionsGetRequest)
async def processor_token_permissions_get(
    ctx: Context, req: s.ProcessorTokenPermissionsGetRequest
) -> s.ProcessorTokenPermissionsGetResponse:
    products = await ctx.service.processor_token_permissions_get(ctx.client, req.processor_token)
    return s.ProcessorTokenPermissionsGetResponse(products=list(products))


@operation(
    "/processor/stripe/bank_account_token/create", s.ProcessorStripeBankAccountTokenCreateRequest
)
async def processor_stripe_bank_account_token_create(
    ctx: Context, req: s.ProcessorStripeBankAccountTokenCreateRequest
) -> s.ProcessorStripeBankAccountTokenCreateResponse:
    token = await ctx.service.processor_stripe_bank_account_token_create(
        ctx.client, req.access_token, req.account_id, request_id=ctx.request_id
    )
    return s.ProcessorStripeBankAccountTokenCreateResponse(stripe_bank_account_token=token)


@operation("/sandbox/processor_token/create", s.SandboxProcessorTokenCreateRequest)
async def sandbox_processor_token_create(
    ctx: Context, req: s.SandboxProcessorTokenCreateRequest
) -> s.SandboxProcessorTokenCreateResponse:
    options = req.options or s.SandboxProcessorTokenCreateRequestOptions()
    token = await ctx.service.sandbox_processor_token_create(
        ctx.client,
        req.institution_id,
        *options.credentials(),
        request_id=ctx.request_id,
    )
    return s.SandboxProcessorTokenCreateResponse(processor_token=token)
