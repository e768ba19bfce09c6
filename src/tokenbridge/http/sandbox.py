"""Sandbox control endpoints: /sandbox/item/set_verification_status and
/sandbox/transactions/create. Parse, call the service, shape the reply."""

from __future__ import annotations

from tokenbridge.domain.models import SandboxTransaction
from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context


async def sandbox_item_set_verification_status(
    ctx: Context, req: s.SandboxItemSetVerificationStatusRequest
) -> s.SandboxItemSetVerificationStatusResponse:
    await ctx.services.auth.sandbox_item_set_verification_status(
        ctx.client, req.access_token, req.account_id, req.verification_status,
        request_id=ctx.request_id,
    )  # fmt: skip
    return s.SandboxItemSetVerificationStatusResponse()


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
