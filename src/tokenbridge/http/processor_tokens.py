"""Processor tokens: /processor/token/create, permissions set and get, webhook update,
the Stripe bank account token and /sandbox/processor_token/create."""

from __future__ import annotations

from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context


class ProcessorTokenWebhookUpdateRequest(s.PlaidRequest):
    processor_token: str
    # Required but nullable: null removes the webhook.
    webhook: str | None


class ProcessorTokenWebhookUpdateResponse(s.PlaidResponse):
    pass


async def processor_token_create(
    ctx: Context, req: s.ProcessorTokenCreateRequest
) -> s.ProcessorTokenCreateResponse:
    token = await ctx.services.processor_tokens.processor_token_create(
        ctx.client, req.access_token, req.account_id, req.processor, request_id=ctx.request_id
    )
    return s.ProcessorTokenCreateResponse(processor_token=token)


async def processor_token_permissions_set(
    ctx: Context, req: s.ProcessorTokenPermissionsSetRequest
) -> s.ProcessorTokenPermissionsSetResponse:
    await ctx.services.processor_tokens.processor_token_permissions_set(
        ctx.client, req.processor_token, req.products, request_id=ctx.request_id
    )
    return s.ProcessorTokenPermissionsSetResponse()


async def processor_token_permissions_get(
    ctx: Context, req: s.ProcessorTokenPermissionsGetRequest
) -> s.ProcessorTokenPermissionsGetResponse:
    products = await ctx.services.processor_tokens.processor_token_permissions_get(
        ctx.client, req.processor_token
    )
    return s.ProcessorTokenPermissionsGetResponse(products=list(products))


async def processor_stripe_bank_account_token_create(
    ctx: Context, req: s.ProcessorStripeBankAccountTokenCreateRequest
) -> s.ProcessorStripeBankAccountTokenCreateResponse:
    token = await ctx.services.processor_tokens.processor_stripe_bank_account_token_create(
        ctx.client, req.access_token, req.account_id, request_id=ctx.request_id
    )
    return s.ProcessorStripeBankAccountTokenCreateResponse(stripe_bank_account_token=token)


async def sandbox_processor_token_create(
    ctx: Context, req: s.SandboxProcessorTokenCreateRequest
) -> s.SandboxProcessorTokenCreateResponse:
    options = req.options or s.SandboxProcessorTokenCreateRequestOptions()
    token = await ctx.services.processor_tokens.sandbox_processor_token_create(
        ctx.client,
        req.institution_id,
        *options.credentials(),
        request_id=ctx.request_id,
    )
    return s.SandboxProcessorTokenCreateResponse(processor_token=token)


async def processor_token_webhook_update(
    ctx: Context, req: ProcessorTokenWebhookUpdateRequest
) -> ProcessorTokenWebhookUpdateResponse:
    await ctx.services.processor_tokens.processor_token_webhook_update(
        ctx.client, req.processor_token, req.webhook, request_id=ctx.request_id
    )
    return ProcessorTokenWebhookUpdateResponse()
