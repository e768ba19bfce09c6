"""Plaid's closed vocabularies: processors, products and API versions.

Each list starts in Plaid's own order of the 2020-09-14 OpenAPI, 1.697.4 (the seed list), so
that a Plaid release can be compared line by line; the names the newest official SDKs send
beyond it (plaid-python 46, built from 1.778.0; npm `plaid` 47, from 1.740.0) follow, in the
SDKs' order. tests/sdk/test_catalog_sdk.py fails when an installed SDK knows a name these
lists lack. To support a new processor or product, add its name here; nothing else in the
project names them.
"""

from __future__ import annotations

# ProcessorTokenCreateRequest.processor. Stripe is not here: it has its own endpoint,
# /processor/stripe/bank_account_token/create.
PROCESSORS: tuple[str, ...] = (
    "dwolla", "galileo", "modern_treasury", "ocrolus", "vesta", "drivewealth", "vopay",
    "achq", "check", "checkbook", "circle", "sila_money", "rize", "svb_api", "unit", "wyre",
    "lithic", "alpaca", "astra", "moov", "treasury_prime", "marqeta", "checkout", "solid",
    "highnote", "gemini", "apex_clearing", "gusto", "adyen", "atomic", "i2c", "wepay",
    "riskified", "utb", "adp_roll", "fortress_trust", "bond", "bakkt", "teal", "zero_hash",
    "taba_pay", "knot", "sardine", "alloy", "finix", "nuvei", "layer", "boom", "paynote",
    "stake", "wedbush", "esusu", "ansa", "scribeup", "straddle", "loanpro", "bloom_credit",
    "sfox", "brale", "parafin", "cardless", "open_ledger", "valon", "gainbridge",
    "cardlytics", "pinwheel", "thread_bank", "array", "fiant", "oatfi", "curinos", "frame",
    "interchecks", "interchange", "atomicfi",
    # plaid-python 46 and npm plaid 47 (npm plaid 47 has replaced `paynote` with
    # `seamlessach`; plaid-python 46 sends neither `paynote` nor the last three of npm's).
    "seamlessach", "pay", "natural", "kanmon", "kick", "increase", "airwallex", "cybrid",
    "bizcap", "webull", "kikoff_enterprise",
    # plaid-python 46 only.
    "adyen_ca", "bitgo", "anchorage",
)  # fmt: skip

# Names of the seed list that no current SDK sends any more; accepted still, since code
# built on an older SDK or on the 1.697.4 spec sends them.
SEED_ONLY_PROCESSORS: frozenset[str] = frozenset({"paynote"})

# The Products enum. An empty permissions list means every product, these and future ones.
PRODUCTS: tuple[str, ...] = (
    "assets", "auth", "balance", "balance_plus", "beacon", "identity", "identity_match",
    "investments", "investments_auth", "liabilities", "payment_initiation",
    "identity_verification", "transactions", "credit_details", "income",
    "income_verification", "standing_orders", "transfer", "employment",
    "recurring_transactions", "transactions_refresh", "signal", "statements",
    "processor_payments", "processor_identity", "profile", "cra_base_report",
    "cra_income_insights", "cra_partner_insights", "cra_network_insights",
    "cra_cashflow_insights", "cra_monitoring", "cra_lend_score", "cra_plaid_credit_score",
    "layer", "pay_by_bank", "protect_linked_bank", "protect_transactions",
    # plaid-python 46 and npm plaid 47 (which list them before `layer`).
    "cra_qualify", "cra_home_lending",
)  # fmt: skip

# Products that a sandbox Item can be created with through /sandbox/public_token/create.
# `balance` is always available and is not an initial product (Products schema). The
# request's `initial_products` is the whole Products enum (in the spec and in both SDKs'
# SandboxPublicTokenCreateRequest), so every other product, the new Consumer Report ones
# (`cra_qualify`, `cra_home_lending`) included, may be one, as `cra_base_report` is.
INITIAL_PRODUCTS: frozenset[str] = frozenset(PRODUCTS) - {"balance"}

# https://plaid.com/docs/api/versioning/. A request without Plaid-Version gets the default,
# as a Plaid dashboard configured with the current version would give it.
API_VERSIONS: tuple[str, ...] = ("2017-03-08", "2018-05-22", "2019-05-29", "2020-09-14")
DEFAULT_API_VERSION = "2020-09-14"

PROCESSOR_SET = frozenset(PROCESSORS)
PRODUCT_SET = frozenset(PRODUCTS)

# CountryCode: the countries Link can be launched for (ISO-3166-1 alpha-2), in Plaid's order.
COUNTRY_CODES: tuple[str, ...] = (
    "US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT",
    "LV", "PT", "BE", "AT", "FI",
)  # fmt: skip

# LinkTokenCreateRequest.language: the languages Link is displayed in.
LINK_LANGUAGES: tuple[str, ...] = (
    "da", "nl", "en", "et", "fr", "de", "hi", "it", "lv", "lt", "no", "pl", "pt", "ro", "es",
    "sv", "vi",
)  # fmt: skip

COUNTRY_CODE_SET = frozenset(COUNTRY_CODES)
LINK_LANGUAGE_SET = frozenset(LINK_LANGUAGES)
