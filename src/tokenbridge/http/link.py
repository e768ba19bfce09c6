"""Link tokens: /link/token/create and /link/token/get. Parse, call the LinkTokenService,
shape the reply."""

from __future__ import annotations

import msgspec
from msgspec import UNSET

from tokenbridge.domain.dates import iso_datetime
from tokenbridge.domain.link_tokens import HostedLink, LinkTokenConfig
from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context


async def link_token_create(
    ctx: Context, req: s.LinkTokenCreateRequest
) -> s.LinkTokenCreateResponse:
    hosted = req.hosted_link
    config = LinkTokenConfig(
        client_name=req.client_name,
        language=req.language,
        country_codes=req.country_codes,
        user=req.user.client_user_id if req.user is not UNSET else None,
        user_id=req.user_id,
        products=req.products,
        required_if_supported_products=req.required_if_supported_products,
        optional_products=req.optional_products,
        additional_consented_products=req.additional_consented_products,
        webhook=req.webhook,
        access_token=req.access_token,
        redirect_uri=req.redirect_uri,
        android_package_name=req.android_package_name,
        institution_data=msgspec.to_builtins(req.institution_data),
        account_filters=msgspec.to_builtins(req.account_filters),
        hosted_link=HostedLink(hosted.delivery_method, hosted.url_lifetime_seconds)
        if hosted is not None
        else None,
        transactions_days_requested=req.transactions.days_requested if req.transactions else None,
    )
    token, record = await ctx.services.link_tokens.link_token_create(
        ctx.client, config, request_id=ctx.request_id
    )
    return s.LinkTokenCreateResponse(link_token=token, expiration=iso_datetime(record.expires_at))


async def link_token_get(ctx: Context, req: s.LinkTokenGetRequest) -> s.LinkTokenGetResponse:
    record = await ctx.services.link_tokens.link_token_get(ctx.client, req.link_token)
    m = record.metadata
    metadata = s.LinkTokenGetMetadataResponse(
        initial_products=list(m.initial_products),
        webhook=m.webhook,
        country_codes=list(m.country_codes),
        language=m.language,
        institution_data=msgspec.convert(m.institution_data, s.LinkTokenCreateInstitutionData)
        if m.institution_data is not None
        else UNSET,
        account_filters=msgspec.convert(m.account_filters, s.AccountFiltersResponse)
        if m.account_filters is not None
        else UNSET,
        redirect_uri=m.redirect_uri,
        client_name=m.client_name,
    )
    return s.LinkTokenGetResponse(
        link_token=req.link_token,
        created_at=iso_datetime(record.created_at),
        expiration=iso_datetime(record.expires_at),
        link_sessions=[],
        metadata=metadata,
    )
