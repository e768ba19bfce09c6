"""Items: /sandbox/public_token/create, /item/public_token/exchange, /item/get,
/accounts/get and /item/remove. Parse, call the ItemService, shape the reply."""

from __future__ import annotations

from msgspec import UNSET

from tokenbridge.domain.dates import iso_datetime
from tokenbridge.domain.link import LinkOptions
from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context, account_view, item_view


async def sandbox_public_token_create(
    ctx: Context, req: s.SandboxPublicTokenCreateRequest
) -> s.SandboxPublicTokenCreateResponse:
    options = req.options or s.SandboxPublicTokenCreateRequestOptions()
    token = await ctx.services.items.sandbox_public_token_create(
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


async def item_public_token_exchange(
    ctx: Context, req: s.ItemPublicTokenExchangeRequest
) -> s.ItemPublicTokenExchangeResponse:
    access_token, item_id = await ctx.services.items.item_public_token_exchange(
        ctx.client, req.public_token, request_id=ctx.request_id
    )
    return s.ItemPublicTokenExchangeResponse(access_token=access_token, item_id=item_id)


async def item_get(ctx: Context, req: s.ItemGetRequest) -> s.ItemGetResponse:
    item = await ctx.services.items.item_get(ctx.client, req.access_token)
    status = s.ItemStatus(
        transactions=s.ItemStatusTransactions(
            last_successful_update=iso_datetime(item.created_at), last_failed_update=None
        )
    )
    return s.ItemGetResponse(item=item_view(ctx, item), status=status)


async def accounts_get(ctx: Context, req: s.AccountsGetRequest) -> s.AccountsGetResponse:
    account_ids = req.options.account_ids if req.options else None
    found = await ctx.services.items.accounts_get(ctx.client, req.access_token, account_ids)
    return s.AccountsGetResponse(
        accounts=[account_view(a) for a in found.accounts], item=item_view(ctx, found.item)
    )


async def item_remove(ctx: Context, req: s.ItemRemoveRequest) -> s.ItemRemoveResponse:
    await ctx.services.items.item_remove(ctx.client, req.access_token, request_id=ctx.request_id)
    # https://plaid.com/docs/api/versioning/: `removed` exists up to 2019-05-29 only.
    return s.ItemRemoveResponse(removed=True if ctx.api_version <= "2019-05-29" else UNSET)


async def item_webhook_update(
    ctx: Context, req: s.ItemWebhookUpdateRequest
) -> s.ItemWebhookUpdateResponse:
    """Set the Item's webhook URL; WEBHOOK_UPDATE_ACKNOWLEDGED goes to the new one."""
    item = await ctx.services.items.item_webhook_update(
        ctx.client, req.access_token, req.webhook, request_id=ctx.request_id
    )
    return s.ItemWebhookUpdateResponse(item=item_view(ctx, item))


async def sandbox_item_reset_login(
    ctx: Context, req: s.SandboxItemResetLoginRequest
) -> s.SandboxItemResetLoginResponse:
    """Put the Item into ITEM_LOGIN_REQUIRED."""
    await ctx.services.sandbox_items.sandbox_item_reset_login(
        ctx.client, req.access_token, request_id=ctx.request_id
    )
    return s.SandboxItemResetLoginResponse(reset_login=True)


async def sandbox_item_fire_webhook(
    ctx: Context, req: s.SandboxItemFireWebhookRequest
) -> s.SandboxItemFireWebhookResponse:
    """Send a test webhook to the Item's webhook."""
    options = req.options or s.SandboxItemFireWebhookRequestOptions()
    await ctx.services.sandbox_items.sandbox_item_fire_webhook(
        ctx.client, req.access_token, req.webhook_code, req.webhook_type,
        new_transactions=options.new_transactions,
    )  # fmt: skip
    return s.SandboxItemFireWebhookResponse(webhook_fired=True)


async def sandbox_item_set_verification_status(
    ctx: Context, req: s.SandboxItemSetVerificationStatusRequest
) -> s.SandboxItemSetVerificationStatusResponse:
    await ctx.services.sandbox_items.sandbox_item_set_verification_status(
        ctx.client, req.access_token, req.account_id, req.verification_status,
        request_id=ctx.request_id,
    )  # fmt: skip
    return s.SandboxItemSetVerificationStatusResponse()


async def tokenbridge_sandbox_item_repair(
    ctx: Context, req: s.TokenbridgeSandboxItemRepairRequest
) -> s.TokenbridgeSandboxItemRepairResponse:
    """tokenbridge's own: repair an Item in error, as Link's update mode would."""
    repaired = await ctx.services.sandbox_items.tokenbridge_sandbox_item_repair(
        ctx.client, req.access_token, request_id=ctx.request_id
    )
    return s.TokenbridgeSandboxItemRepairResponse(repaired=repaired)
