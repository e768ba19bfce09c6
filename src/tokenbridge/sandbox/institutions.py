"""Plaid's sandbox-only institutions (https://plaid.com/docs/sandbox/institutions/)."""

from __future__ import annotations

from dataclasses import replace

from tokenbridge.domain.models import Institution

# What every sandbox institution offers. Plaid's sandbox institutions support nearly every
# product; /item/get lists those not billed as `available_products`.
SUPPORTED_PRODUCTS: tuple[str, ...] = (
    "assets", "auth", "balance", "credit_details", "identity", "identity_match", "income",
    "income_verification", "investments", "liabilities", "processor_identity",
    "processor_payments", "recurring_transactions", "signal", "statements", "transactions",
    "transactions_refresh", "transfer",
)  # fmt: skip

INSTITUTIONS: dict[str, Institution] = {
    i.institution_id: replace(i, products=SUPPORTED_PRODUCTS)
    for i in (
        Institution("ins_109508", "First Platypus Bank"),
        Institution("ins_130016", "First Platypus Balance Bank"),
        Institution("ins_109509", "First Gingham Credit Union"),
        Institution("ins_109510", "Tattersall Federal Credit Union"),
        Institution("ins_109511", "Tartan Bank"),
        Institution("ins_109512", "Houndstooth Bank"),
        Institution("ins_43", "Tartan-Dominion Bank of Canada", ("CA",)),
        Institution("ins_116834", "Flexible Platypus Open Banking", ("GB",), oauth=True),
        Institution("ins_117650", "Royal Bank of Plaid", ("GB",), oauth=True),
        Institution("ins_127287", "Platypus OAuth Bank", oauth=True),
        Institution("ins_132241", "First Platypus OAuth App2App Bank", oauth=True),
        Institution("ins_117181", "Flexible Platypus Open Banking (QR)", ("GB",), oauth=True),
        Institution("ins_135858", "Windowpane Bank"),
        Institution("ins_132363", "Unhealthy Platypus Bank - Degraded"),
        Institution("ins_132361", "Unhealthy Platypus Bank - Down"),
        Institution("ins_133402", "Unsupported Platypus Bank"),
        Institution("ins_133502", "Platypus Bank RUX Auth"),
        Institution("ins_133503", "Platypus Bank RUX Match"),
    )
}
