"""Request and response shapes, named and shaped as in Plaid's OpenAPI (2020-09-14).

Requests reject unknown fields, as Plaid does (UNKNOWN_FIELDS). Responses carry every
field that Plaid marks required, with null where Plaid sends null, so that the official
SDKs deserialise them unmodified.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from tokenbridge.domain.catalog import COUNTRY_CODES, PROCESSORS, PRODUCTS
from tokenbridge.domain.link import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tokenbridge.domain.sandbox_items import WEBHOOK_CODES, WEBHOOK_TYPES

# Plaid's `processor` and `Products` enums, for the OpenAPI document only: the domain checks
# the names itself, with Plaid's messages, so the wire format does not reject them first.
Processor = Annotated[str, Meta(extra_json_schema={"enum": list(PROCESSORS)})]
Product = Annotated[str, Meta(extra_json_schema={"enum": list(PRODUCTS)})]
CountryCode = Annotated[str, Meta(extra_json_schema={"enum": list(COUNTRY_CODES)})]
# A JSON object of a /link/token/create option that is accepted in Plaid's name and not read
# here (payment_initiation, cra_options, ...): its contents are not checked.
AnyObject = dict[str, Any]


# AccountBase.verification_status (the values this sandbox sets).
VerificationStatus = Annotated[
    str,
    Meta(extra_json_schema={"enum": [
        "pending_automatic_verification", "automatically_verified", "verification_expired",
    ]}),
]  # fmt: skip


class PlaidRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    # APIClientID / APISecret: "may be provided either in the PLAID-CLIENT-ID /
    # PLAID-SECRET header or as part of a request body".
    client_id: str | None = None
    secret: str | None = None


class Options(Struct, kw_only=True, forbid_unknown_fields=True):
    pass


# Requests -----------------------------------------------------------------------------


class SandboxPublicTokenCreateRequestOptionsTransactions(Options):
    start_date: str | None = None
    end_date: str | None = None
    days_requested: int | None = None


# Statements and income verification are not sandboxed here: the options are accepted, in
# Plaid's shapes, so that SDK users who set them are not refused, and then ignored.
class SandboxPublicTokenCreateRequestOptionsStatements(Options):
    start_date: str
    end_date: str


class SandboxPublicTokenCreateRequestIncomeVerificationBankIncome(Options):
    days_requested: int | None = None


class SandboxPublicTokenCreateRequestOptionsIncomeVerification(Options):
    income_source_types: list[Literal["bank", "payroll"]] | None = None
    bank_income: SandboxPublicTokenCreateRequestIncomeVerificationBankIncome | None = None


class SandboxOverrides(Options):
    # SandboxOverrideUsername / SandboxOverridePassword are nullable with a default, and
    # plaid-python sends null for None: null means the default (user_good / pass_good).
    override_username: str | None = DEFAULT_USERNAME
    override_password: str | None = DEFAULT_PASSWORD

    def credentials(self) -> tuple[str, str]:
        """The sandbox username and password to link with, defaults in place of null."""
        return (
            self.override_username or DEFAULT_USERNAME,
            self.override_password or DEFAULT_PASSWORD,
        )


class SandboxPublicTokenCreateRequestOptions(SandboxOverrides):
    webhook: str | None = None
    transactions: SandboxPublicTokenCreateRequestOptionsTransactions | None = None
    statements: SandboxPublicTokenCreateRequestOptionsStatements | None = None
    income_verification: SandboxPublicTokenCreateRequestOptionsIncomeVerification | None = None


class SandboxPublicTokenCreateRequest(PlaidRequest):
    institution_id: str
    # Plaid: `minItems: 1`; the domain answers an empty list with INVALID_FIELD.
    initial_products: Annotated[list[Product], Meta(extra_json_schema={"minItems": 1})]
    options: SandboxPublicTokenCreateRequestOptions | UnsetType = UNSET
    user_token: str | None = None
    user_id: str | None = None


class SandboxProcessorTokenCreateRequestOptions(SandboxOverrides):
    pass


class SandboxProcessorTokenCreateRequest(PlaidRequest):
    institution_id: str
    options: SandboxProcessorTokenCreateRequestOptions | UnsetType = UNSET


class ItemPublicTokenExchangeRequest(PlaidRequest):
    public_token: str


class ItemGetRequest(PlaidRequest):
    access_token: str


class AccountsGetRequestOptions(Options):
    account_ids: list[str] | None = None


class AccountsGetRequest(PlaidRequest):
    access_token: str
    options: AccountsGetRequestOptions | UnsetType = UNSET


ItemRemoveReasonCode = Literal[
    "FRAUD_FIRST_PARTY",
    "FRAUD_FALSE_IDENTITY",
    "FRAUD_ABUSE",
    "FRAUD_OTHER",
    "CONNECTION_IS_NON_FUNCTIONAL",
    "OTHER",
]


class ItemRemoveRequest(PlaidRequest):
    access_token: str
    reason_code: ItemRemoveReasonCode | None = None
    # Plaid: "maxLength: 512" (ItemRemoveRequest.reason_note).
    reason_note: Annotated[str, Meta(max_length=512)] | None = None


class ItemWebhookUpdateRequest(PlaidRequest):
    access_token: str
    webhook: str | None = None


class SandboxItemResetLoginRequest(PlaidRequest):
    access_token: str


WebhookCode = Annotated[str, Meta(extra_json_schema={"enum": list(WEBHOOK_CODES)})]
WebhookType = Annotated[str, Meta(extra_json_schema={"enum": list(WEBHOOK_TYPES)})]


class SandboxItemFireWebhookRequestOptions(Options):
    # plaid-python 46 (spec 1.778) sends it; the 1.697.4 document has no options.
    new_transactions: int | None = None


class SandboxItemFireWebhookRequest(PlaidRequest):
    access_token: str
    # plaid-python 46's values; the domain checks them, with which code takes which type.
    webhook_code: WebhookCode
    webhook_type: WebhookType | None = None
    options: SandboxItemFireWebhookRequestOptions | None = None


class TokenbridgeSandboxItemRepairRequest(PlaidRequest):
    access_token: str


class ProcessorTokenCreateRequest(PlaidRequest):
    access_token: str
    account_id: str
    processor: Processor


class ProcessorTokenPermissionsSetRequest(PlaidRequest):
    processor_token: str
    products: list[Product]


class ProcessorTokenPermissionsGetRequest(PlaidRequest):
    processor_token: str


class ProcessorStripeBankAccountTokenCreateRequest(PlaidRequest):
    access_token: str
    account_id: str


class LinkTokenCreateRequestUser(Options):
    client_user_id: Annotated[str, Meta(extra_json_schema={"minLength": 1})]
    legal_name: str | None = None
    name: AnyObject | None = None
    phone_number: str | None = None
    phone_number_verified_time: str | None = None
    email_address: str | None = None
    email_address_verified_time: str | None = None
    ssn: str | None = None
    date_of_birth: str | None = None
    address: AnyObject | None = None
    id_number: AnyObject | None = None


class LinkTokenCreateInstitutionData(Options):
    routing_number: str | UnsetType = UNSET
    # plaid-python 46 has it; Plaid's 1.697.4 document does not.
    institution_id: str | UnsetType = UNSET


# The account filters allow fields beyond their own (additionalProperties: true): those are
# accepted and not kept.
class DepositoryFilter(Struct, kw_only=True):
    account_subtypes: list[str]
    limited_purpose_types: list[str] | UnsetType = UNSET


class CreditFilter(Struct, kw_only=True):
    account_subtypes: list[str]


class LoanFilter(CreditFilter):
    pass


class InvestmentFilter(CreditFilter):
    pass


class OtherFilter(CreditFilter):
    pass


class LinkTokenAccountFilters(Struct, kw_only=True):
    depository: DepositoryFilter | UnsetType = UNSET
    credit: CreditFilter | UnsetType = UNSET
    loan: LoanFilter | UnsetType = UNSET
    investment: InvestmentFilter | UnsetType = UNSET
    other: OtherFilter | UnsetType = UNSET


class LinkTokenCreateHostedLink(Struct, kw_only=True):
    delivery_method: Literal["sms", "email"] | None = None
    completion_redirect_uri: str | None = None
    url_lifetime_seconds: int | None = None
    is_mobile_app: bool | None = None


class LinkTokenCreateRequestUpdate(Options):
    account_selection_enabled: bool | None = None
    reauthorization_enabled: bool | None = None
    user: bool | None = None
    item_ids: list[str] | None = None


class LinkTokenTransactions(Options):
    days_requested: int | None = None


class LinkTokenCreateRequest(PlaidRequest):
    """Every field plaid-python 46 can send. Those the rules read are typed; the options of
    products not emulated here are accepted as objects and not read (docs/ENDPOINTS.md)."""

    # Plaid: minLength 1 (client_name, language), minItems 1 (country_codes); the domain
    # answers an empty value with Plaid's INVALID_FIELD message.
    client_name: Annotated[str, Meta(extra_json_schema={"minLength": 1})]
    language: Annotated[str, Meta(extra_json_schema={"minLength": 1})]
    country_codes: Annotated[list[CountryCode], Meta(extra_json_schema={"minItems": 1})]
    user: LinkTokenCreateRequestUser | UnsetType = UNSET
    user_id: str | None = None
    products: list[Product] | None = None
    required_if_supported_products: list[Product] | None = None
    optional_products: list[Product] | None = None
    additional_consented_products: list[Product] | None = None
    webhook: str | None = None
    access_token: str | None = None
    access_tokens: list[str] | None = None
    link_customization_name: str | None = None
    appearance_mode: Literal["LIGHT", "DARK", "SYSTEM"] | None = None
    redirect_uri: str | None = None
    android_package_name: str | None = None
    institution_data: LinkTokenCreateInstitutionData | None = None
    card_switch: AnyObject | None = None
    account_filters: LinkTokenAccountFilters | None = None
    eu_config: AnyObject | None = None
    institution_id: str | None = None
    payment_configuration: AnyObject | None = None
    payment_initiation: AnyObject | None = None
    employment: AnyObject | None = None
    income_verification: AnyObject | None = None
    base_report: AnyObject | None = None
    credit_partner_insights: AnyObject | None = None
    cra_options: AnyObject | None = None
    cra_report_parameter: AnyObject | None = None
    consumer_report_permissible_purpose: str | None = None
    auth: AnyObject | None = None
    transfer: AnyObject | None = None
    update: LinkTokenCreateRequestUpdate | None = None
    identity_verification: AnyObject | None = None
    statements: AnyObject | None = None
    third_party_user_token: str | None = None
    investments: AnyObject | None = None
    investments_auth: AnyObject | None = None
    hosted_link: LinkTokenCreateHostedLink | None = None
    transactions: LinkTokenTransactions | None = None
    cashflow_report: AnyObject | None = None
    cra_enabled: bool | None = None
    identity: AnyObject | None = None
    financekit_supported: bool | None = None
    enable_multi_item_link: bool | None = None
    user_token: str | None = None


class LinkTokenGetRequest(PlaidRequest):
    link_token: str


class WebhookVerificationKeyGetRequest(PlaidRequest):
    # The `kid` of a webhook's Plaid-Verification JWT.
    key_id: str


# Responses ----------------------------------------------------------------------------


class PlaidResponse(Struct, kw_only=True):
    request_id: str = ""


class AccountBalance(Struct, kw_only=True):
    available: float | None
    current: float | None
    limit: float | None
    iso_currency_code: str | None
    unofficial_currency_code: str | None


class AccountBase(Struct, kw_only=True):
    account_id: str
    balances: AccountBalance
    mask: str | None
    name: str
    official_name: str | None
    type: str
    subtype: str | None
    holder_category: str | UnsetType = UNSET
    # Only for an account in a micro-deposit flow, as Plaid sends it.
    verification_status: VerificationStatus | UnsetType = UNSET


class PlaidErrorObject(Struct, kw_only=True):
    """The error an Item is in, as `item.error` carries it (Plaid's PlaidError schema)."""

    error_type: str
    error_code: str
    error_message: str
    display_message: str | None
    status: int | None
    documentation_url: str
    error_code_reason: None = None
    request_id: str = ""
    causes: list[str] = []
    suggested_action: str | None = None


class Item(Struct, kw_only=True):
    item_id: str
    institution_id: str | None
    institution_name: str | None
    webhook: str | None
    auth_method: str | None
    error: PlaidErrorObject | None
    available_products: list[str]
    billed_products: list[str]
    products: list[str]
    consented_products: list[str]
    consent_expiration_time: str | None
    update_type: str
    created_at: str | UnsetType = UNSET


class ItemStatusTransactions(Struct, kw_only=True):
    last_successful_update: str | None
    last_failed_update: str | None


class ItemStatus(Struct, kw_only=True):
    investments: None = None
    transactions: ItemStatusTransactions | None = None
    last_webhook: None = None


class SandboxPublicTokenCreateResponse(PlaidResponse):
    public_token: str


class ItemPublicTokenExchangeResponse(PlaidResponse):
    access_token: str
    item_id: str


class ItemGetResponse(PlaidResponse):
    item: Item
    status: ItemStatus | None


class AccountsGetResponse(PlaidResponse):
    accounts: list[AccountBase]
    item: Item


class ItemRemoveResponse(PlaidResponse):
    # Only API versions 2019-05-29 and earlier return `removed`.
    removed: bool | UnsetType = UNSET


class ItemWebhookUpdateResponse(PlaidResponse):
    item: Item


class SandboxItemResetLoginResponse(PlaidResponse):
    reset_login: bool


class SandboxItemFireWebhookResponse(PlaidResponse):
    webhook_fired: bool


class TokenbridgeSandboxItemRepairResponse(PlaidResponse):
    # False when the Item was not in error (nothing changed, no webhook).
    repaired: bool


class ProcessorTokenCreateResponse(PlaidResponse):
    processor_token: str


class ProcessorTokenPermissionsSetResponse(PlaidResponse):
    pass


class ProcessorTokenPermissionsGetResponse(PlaidResponse):
    products: list[Product]


class ProcessorStripeBankAccountTokenCreateResponse(PlaidResponse):
    stripe_bank_account_token: str


class SandboxProcessorTokenCreateResponse(PlaidResponse):
    processor_token: str


class LinkTokenCreateResponse(PlaidResponse):
    link_token: str
    expiration: str


class AccountFiltersResponse(Struct, kw_only=True):
    depository: DepositoryFilter | UnsetType = UNSET
    credit: CreditFilter | UnsetType = UNSET
    loan: LoanFilter | UnsetType = UNSET
    investment: InvestmentFilter | UnsetType = UNSET


class LinkTokenGetMetadataResponse(Struct, kw_only=True):
    initial_products: list[Product]
    webhook: str | None
    country_codes: list[CountryCode]
    language: str | None
    institution_data: LinkTokenCreateInstitutionData | UnsetType = UNSET
    account_filters: AccountFiltersResponse | UnsetType = UNSET
    redirect_uri: str | None
    client_name: str | None


class LinkTokenGetSessionsResponse(Struct, kw_only=True):
    link_session_id: str
    started_at: str | UnsetType = UNSET
    finished_at: str | UnsetType | None = UNSET


class LinkTokenGetResponse(PlaidResponse):
    link_token: str
    created_at: str | None
    expiration: str | None
    metadata: LinkTokenGetMetadataResponse
    # No Link UI runs here, so no session is ever started with a token.
    link_sessions: list[LinkTokenGetSessionsResponse] = []


class JWKPublicKey(Struct, kw_only=True):
    """A webhook key's public half as a JWK, with Plaid's `created_at` and `expired_at`
    (Unix seconds; `expired_at` null while the key is valid)."""

    alg: str
    crv: str
    kid: str
    kty: str
    use: str
    x: str
    y: str
    created_at: int
    expired_at: int | None


class WebhookVerificationKeyGetResponse(PlaidResponse):
    key: JWKPublicKey


# PlaidErrorType, in Plaid's order: the OpenAPI document lists them, so a property-based
# test can check that no answer carries an error_type Plaid does not have.
PlaidErrorType = Annotated[str, Meta(extra_json_schema={"enum": [
    "INVALID_REQUEST", "INVALID_RESULT", "INVALID_INPUT", "INSTITUTION_ERROR",
    "RATE_LIMIT_EXCEEDED", "API_ERROR", "ITEM_ERROR", "ASSET_REPORT_ERROR", "BASE_REPORT_ERROR",
    "RECAPTCHA_ERROR", "OAUTH_ERROR", "PAYMENT_ERROR", "BANK_TRANSFER_ERROR",
    "INCOME_VERIFICATION_ERROR", "MICRODEPOSITS_ERROR", "SANDBOX_ERROR", "PARTNER_ERROR",
    "SIGNAL_ERROR", "TRANSACTIONS_ERROR", "TRANSACTION_ERROR", "TRANSFER_ERROR",
    "CHECK_REPORT_ERROR", "CONSUMER_REPORT_ERROR", "USER_ERROR",
]})]  # fmt: skip


class PlaidErrorBody(Struct, kw_only=True):
    error_type: PlaidErrorType
    error_code: str
    error_code_reason: None = None
    error_message: str
    display_message: str | None
    request_id: str
    documentation_url: str
    suggested_action: str | None = None


# Institutions -------------------------------------------------------------------------

# Plaid: `minItems: 1` for /institutions/get; the domain answers an empty list with
# INVALID_FIELD on all three endpoints.
CountryCodes = Annotated[list[CountryCode], Meta(extra_json_schema={"minItems": 1})]
InstitutionProducts = Annotated[list[Product], Meta(extra_json_schema={"minItems": 1})]


class InstitutionsGetRequestOptions(Options):
    products: InstitutionProducts | None = None
    routing_numbers: list[str] | None = None
    oauth: bool | None = None
    include_optional_metadata: bool = False
    include_auth_metadata: bool = False
    include_payment_initiation_metadata: bool = False


class InstitutionsGetRequest(PlaidRequest):
    count: Annotated[int, Meta(ge=1, le=500)]
    offset: Annotated[int, Meta(ge=0)]
    country_codes: CountryCodes
    options: InstitutionsGetRequestOptions | UnsetType = UNSET


class InstitutionsGetByIdRequestOptions(Options):
    include_optional_metadata: bool = False
    include_status: bool = False
    include_auth_metadata: bool = False
    include_payment_initiation_metadata: bool = False


class InstitutionsGetByIdRequest(PlaidRequest):
    institution_id: Annotated[str, Meta(min_length=1)]
    country_codes: CountryCodes
    options: InstitutionsGetByIdRequestOptions | UnsetType = UNSET


class InstitutionsSearchPaymentInitiationOptions(Options):
    payment_id: str | None = None
    consent_id: str | None = None


class InstitutionsSearchRequestOptions(Options):
    oauth: bool | None = None
    include_optional_metadata: bool = False
    include_auth_metadata: bool | None = False
    include_payment_initiation_metadata: bool | None = False
    payment_initiation: InstitutionsSearchPaymentInitiationOptions | None = None


class InstitutionsSearchRequest(PlaidRequest):
    # Plaid sets no maximum; ours keeps a search from scanning megabytes (docs/ENDPOINTS.md).
    query: Annotated[str, Meta(min_length=1, max_length=256)]
    country_codes: CountryCodes
    products: InstitutionProducts | None = None
    options: InstitutionsSearchRequestOptions | UnsetType = UNSET


class ProductStatusBreakdown(Struct, kw_only=True):
    success: float
    error_plaid: float
    error_institution: float
    refresh_interval: Literal["NORMAL", "DELAYED", "STOPPED"] | UnsetType = UNSET


class ProductStatus(Struct, kw_only=True):
    status: Literal["HEALTHY", "DEGRADED", "DOWN"]
    last_status_change: str
    breakdown: ProductStatusBreakdown


class InstitutionStatus(Struct, kw_only=True):
    item_logins: ProductStatus
    transactions_updates: ProductStatus
    auth: ProductStatus
    identity: ProductStatus
    investments_updates: ProductStatus
    liabilities_updates: ProductStatus
    liabilities: ProductStatus
    investments: ProductStatus
    health_incidents: None = None


class AuthSupportedMethods(Struct, kw_only=True):
    instant_auth: bool
    instant_match: bool
    automated_micro_deposits: bool
    instant_micro_deposits: bool


class AuthMetadata(Struct, kw_only=True):
    supported_methods: AuthSupportedMethods


class Institution(Struct, kw_only=True):
    institution_id: str
    name: str
    products: list[Product]
    country_codes: list[CountryCode]
    url: str | None
    primary_color: str | None
    logo: str | None
    routing_numbers: list[str]
    dtc_numbers: list[str]
    oauth: bool
    # Newer than Plaid's 1.697.4 document; plaid-python 46 requires it.
    connection_availability: Literal["SUPPORTED", "NOT_SUPPORTED"]
    status: InstitutionStatus | UnsetType = UNSET
    # No sandbox institution here offers Payment Initiation: null when asked for.
    payment_initiation_metadata: UnsetType | None = UNSET
    auth_metadata: AuthMetadata | UnsetType = UNSET


class InstitutionsGetResponse(PlaidResponse):
    institutions: list[Institution]
    total: int


class InstitutionsGetByIdResponse(PlaidResponse):
    institution: Institution


class InstitutionsSearchResponse(PlaidResponse):
    institutions: list[Institution]


# Sandbox control endpoints -------------------------------------------------------------

# SandboxItemSetVerificationStatusRequest.verification_status; the domain checks the value
# itself, with a message naming the choices.
SandboxVerificationStatus = Annotated[
    str, Meta(extra_json_schema={"enum": ["automatically_verified", "verification_expired"]})
]


class SandboxItemSetVerificationStatusRequest(PlaidRequest):
    access_token: str
    account_id: str
    verification_status: SandboxVerificationStatus


class SandboxItemSetVerificationStatusResponse(PlaidResponse):
    pass


class CustomSandboxTransaction(Options):
    date_transacted: str
    date_posted: str
    amount: float
    description: str
    iso_currency_code: str | None = None
    # In plaid-python 46 (newer than the spec, which applies every transaction to the
    # depository account): the account to add the transaction to.
    account_id: str | None = None


class SandboxTransactionsCreateRequest(PlaidRequest):
    access_token: str
    transactions: list[CustomSandboxTransaction]


class SandboxTransactionsCreateResponse(PlaidResponse):
    pass
