"""Every Plaid operation the app serves, in one explicit table.

Path = handler = service method = operationId (tests/hostile/test_openapi.py checks it).
A new operation is one line here and one handler in the module of its Plaid area.
"""

from __future__ import annotations

from tokenbridge.http import (
    institutions,
    items,
    link,
    partner,
    processor_tokens,
    transactions,
    webhook_keys,
)
from tokenbridge.http.router import Operation

OPERATIONS: tuple[Operation, ...] = tuple(
    Operation.of(path, handler)
    for path, handler in (
        # Items
        ("/sandbox/public_token/create", items.sandbox_public_token_create),
        ("/item/public_token/exchange", items.item_public_token_exchange),
        ("/item/get", items.item_get),
        ("/accounts/get", items.accounts_get),
        ("/item/remove", items.item_remove),
        ("/item/webhook/update", items.item_webhook_update),
        # Sandbox controls
        ("/sandbox/item/reset_login", items.sandbox_item_reset_login),
        ("/sandbox/item/fire_webhook", items.sandbox_item_fire_webhook),
        ("/sandbox/item/set_verification_status", items.sandbox_item_set_verification_status),
        ("/sandbox/transactions/create", transactions.sandbox_transactions_create),
        # Ours, under our own prefix: Link's update mode cannot run here.
        ("/_tokenbridge/sandbox/item/repair", items.tokenbridge_sandbox_item_repair),
        # Webhook verification
        ("/webhook_verification_key/get", webhook_keys.webhook_verification_key_get),
        # Link tokens
        ("/link/token/create", link.link_token_create),
        ("/link/token/get", link.link_token_get),
        # Institutions
        ("/institutions/get", institutions.institutions_get),
        ("/institutions/get_by_id", institutions.institutions_get_by_id),
        ("/institutions/search", institutions.institutions_search),
        # Processor tokens
        ("/processor/token/create", processor_tokens.processor_token_create),
        ("/processor/token/permissions/set", processor_tokens.processor_token_permissions_set),
        ("/processor/token/permissions/get", processor_tokens.processor_token_permissions_get),
        ("/processor/token/webhook/update", processor_tokens.processor_token_webhook_update),
        (
            "/processor/stripe/bank_account_token/create",
            processor_tokens.processor_stripe_bank_account_token_create,
        ),
        ("/sandbox/processor_token/create", processor_tokens.sandbox_processor_token_create),
        # Partner reads
        ("/processor/account/get", partner.processor_account_get),
        ("/processor/auth/get", partner.processor_auth_get),
        ("/processor/balance/get", partner.processor_balance_get),
        ("/processor/identity/get", partner.processor_identity_get),
        ("/processor/identity/match", partner.processor_identity_match),
        ("/processor/liabilities/get", partner.processor_liabilities_get),
        ("/processor/investments/holdings/get", partner.processor_investments_holdings_get),
        ("/processor/investments/auth/get", partner.processor_investments_auth_get),
        (
            "/processor/investments/transactions/get",
            partner.processor_investments_transactions_get,
        ),
        ("/processor/signal/evaluate", partner.processor_signal_evaluate),
        ("/processor/signal/decision/report", partner.processor_signal_decision_report),
        ("/processor/signal/return/report", partner.processor_signal_return_report),
        ("/processor/signal/prepare", partner.processor_signal_prepare),
        # Developer-side reads of the partner products
        ("/auth/get", partner.auth_get),
        ("/accounts/balance/get", partner.accounts_balance_get),
        ("/identity/get", partner.identity_get),
        ("/identity/match", partner.identity_match),
        ("/liabilities/get", partner.liabilities_get),
        ("/investments/holdings/get", partner.investments_holdings_get),
        ("/investments/auth/get", partner.investments_auth_get),
        ("/investments/transactions/get", partner.investments_transactions_get),
        ("/signal/evaluate", partner.signal_evaluate),
        ("/signal/decision/report", partner.signal_decision_report),
        ("/signal/return/report", partner.signal_return_report),
        ("/signal/prepare", partner.signal_prepare),
        # Transactions
        ("/transactions/get", transactions.transactions_get),
        ("/processor/transactions/get", transactions.processor_transactions_get),
        ("/transactions/sync", transactions.transactions_sync),
        ("/processor/transactions/sync", transactions.processor_transactions_sync),
        ("/transactions/refresh", transactions.transactions_refresh),
        ("/processor/transactions/refresh", transactions.processor_transactions_refresh),
        ("/transactions/recurring/get", transactions.transactions_recurring_get),
        (
            "/processor/transactions/recurring/get",
            transactions.processor_transactions_recurring_get,
        ),
    )
)
