"""Plaid's error family.

Each error carries Plaid's ``error_type``, ``error_code``, a developer message and a
display message, and nothing about HTTP: ``tokenbridge.http.errors`` alone maps them to a
status. Codes and sample messages follow https://plaid.com/docs/errors/.
"""

from __future__ import annotations

from collections.abc import Iterable

# https://plaid.com/docs/errors/: 4xx for developer and user errors, 5xx for Plaid's own.
# A PlaidError's HTTP status, which the API answers with and webhooks and `item.error`
# carry as `status`: by error_type, with the few codes Plaid answers differently.
STATUS_BY_TYPE: dict[str, int] = {
    "INVALID_REQUEST": 400,
    "INVALID_INPUT": 400,
    "INVALID_RESULT": 400,
    "ITEM_ERROR": 400,
    "INSTITUTION_ERROR": 400,
    "SANDBOX_ERROR": 400,
    "RATE_LIMIT_EXCEEDED": 429,
    "API_ERROR": 500,
}
STATUS_BY_CODE: dict[str, int] = {
    "NOT_FOUND": 404,
    "INVALID_ADMIN_KEY": 401,
    "CSRF_TOKEN_INVALID": 403,
    "NO_LONGER_AVAILABLE": 404,
    "PLANNED_MAINTENANCE": 503,
}


def status_of(error: PlaidError) -> int:
    return STATUS_BY_CODE.get(error.error_code) or STATUS_BY_TYPE.get(error.error_type, 400)


class PlaidError(Exception):
    """Base of every error that the API answers with a PlaidError body."""

    error_type: str = "API_ERROR"
    error_code: str = "INTERNAL_SERVER_ERROR"
    default_message: str = "an unexpected error occurred"
    display_message: str | None = None
    docs_page: str = "api"

    def __init__(self, message: str | None = None) -> None:
        self.error_message = message if message is not None else self.default_message
        super().__init__(self.error_message)

    @property
    def documentation_url(self) -> str:
        return f"https://plaid.com/docs/errors/{self.docs_page}/#{self.error_code.lower()}"


# INVALID_REQUEST: https://plaid.com/docs/errors/invalid-request/


class InvalidRequest(PlaidError):
    error_type = "INVALID_REQUEST"
    docs_page = "invalid-request"


class InvalidBody(InvalidRequest):
    error_code = "INVALID_BODY"
    default_message = "body could not be parsed as JSON"


class InvalidHeaders(InvalidRequest):
    error_code = "INVALID_HEADERS"
    default_message = "a required header is missing or invalid"


class MissingFields(InvalidRequest):
    error_code = "MISSING_FIELDS"

    def __init__(self, fields: Iterable[str]) -> None:
        super().__init__("the following required fields are missing: " + ", ".join(fields))


class UnknownFields(InvalidRequest):
    error_code = "UNKNOWN_FIELDS"

    def __init__(self, fields: Iterable[str]) -> None:
        super().__init__(
            "the following fields are not recognized by this endpoint: " + ", ".join(fields)
        )


class InvalidField(InvalidRequest):
    error_code = "INVALID_FIELD"


class NotFound(InvalidRequest):
    error_code = "NOT_FOUND"
    default_message = "not found"


# INVALID_INPUT: https://plaid.com/docs/errors/invalid-input/


class InvalidInput(PlaidError):
    error_type = "INVALID_INPUT"
    docs_page = "invalid-input"


class InvalidApiKeys(InvalidInput):
    error_code = "INVALID_API_KEYS"
    default_message = "invalid client_id or secret provided"


class InvalidAccessToken(InvalidInput):
    error_code = "INVALID_ACCESS_TOKEN"
    default_message = "could not find matching access token"


class InvalidPublicToken(InvalidInput):
    error_code = "INVALID_PUBLIC_TOKEN"
    default_message = "could not find matching public token"


class InvalidProcessorToken(InvalidInput):
    error_code = "INVALID_PROCESSOR_TOKEN"
    default_message = "could not find matching processor token"


class InvalidLinkToken(InvalidInput):
    # https://plaid.com/docs/errors/invalid-input/#invalid_link_token
    error_code = "INVALID_LINK_TOKEN"
    default_message = "invalid link_token provided"


class InvalidAccountId(InvalidInput):
    error_code = "INVALID_ACCOUNT_ID"
    default_message = "failed to find requested account ID for requested item"


class InvalidInstitution(InvalidInput):
    error_code = "INVALID_INSTITUTION"
    default_message = "invalid institution_id provided"


class InvalidWebhookVerificationKeyId(InvalidInput):
    # https://plaid.com/docs/errors/invalid-input/#invalid_webhook_verification_key_id: the
    # code Plaid answers /webhook_verification_key/get with for a key_id it does not know
    # (HTTP 400, as plaid-node's integration tests expect); the message is ours.
    error_code = "INVALID_WEBHOOK_VERIFICATION_KEY_ID"
    default_message = "invalid key_id provided"


class UserPermissionRevoked(InvalidInput):
    error_code = "USER_PERMISSION_REVOKED"
    default_message = (
        "the holder of this account has revoked their permission for your application to access it"
    )


class InvalidProduct(InvalidInput):
    error_code = "INVALID_PRODUCT"

    def __init__(self, products: Iterable[str]) -> None:
        names = ", ".join(f'"{p}"' for p in products)
        super().__init__(f"client is not authorized to access the following products: [{names}]")


# ITEM_ERROR: https://plaid.com/docs/errors/item/


class ItemError(PlaidError):
    error_type = "ITEM_ERROR"
    docs_page = "item"


class InvalidCredentials(ItemError):
    error_code = "INVALID_CREDENTIALS"
    default_message = "the provided credentials were not correct"
    display_message = "The provided credentials were not correct. Please try again."


class InsufficientCredentials(ItemError):
    error_code = "INSUFFICIENT_CREDENTIALS"
    default_message = "insufficient authorization was provided to complete the request"
    display_message = "INSUFFICIENT_CREDENTIALS"


class InvalidMfa(ItemError):
    error_code = "INVALID_MFA"
    default_message = "the provided MFA response(s) were not correct"
    display_message = "The provided MFA responses were not correct. Please try again."


class InvalidSendMethod(ItemError):
    error_code = "INVALID_SEND_METHOD"
    default_message = "the provided MFA send_method was invalid"


class ItemLocked(ItemError):
    error_code = "ITEM_LOCKED"
    default_message = (
        "the account is locked. prompt the user to visit the institution's site and unlock "
        "their account"
    )
    display_message = (
        "The given account has been locked by the financial institution. Please visit your "
        "financial institution's website to unlock your account."
    )


class ItemLoginRequired(ItemError):
    error_code = "ITEM_LOGIN_REQUIRED"
    default_message = (
        "the login details of this item have changed (credentials, MFA, or required user "
        "action) and a user login is required to update this information. use Link's update "
        "mode to restore the item to a good state"
    )


class ItemNotSupported(ItemError):
    error_code = "ITEM_NOT_SUPPORTED"
    default_message = "this account is currently not supported"
    display_message = (
        "The given account is not currently supported for this financial institution. We "
        "apologize for the inconvenience."
    )


class MfaNotSupported(ItemError):
    error_code = "MFA_NOT_SUPPORTED"
    default_message = (
        "this account requires a MFA type that we do not currently support for the institution"
    )
    display_message = (
        "The multi-factor security features enabled on this account are not currently "
        "supported for this financial institution. We apologize for the inconvenience."
    )


class NoAccounts(ItemError):
    error_code = "NO_ACCOUNTS"
    default_message = "no valid accounts were found for this item"
    display_message = (
        "No valid accounts were found at the financial institution. Please visit your "
        "financial institution's website to confirm accounts are available."
    )


class UserSetupRequired(ItemError):
    error_code = "USER_SETUP_REQUIRED"
    default_message = (
        "the account has not been fully set up. prompt the user to visit the issuing "
        "institution's site and finish the setup process"
    )
    display_message = (
        "The given account is not fully setup. Please visit your financial institution's "
        "website to setup your account."
    )


class UserInputTimeout(ItemError):
    error_code = "USER_INPUT_TIMEOUT"
    default_message = "user must retry this operation"
    display_message = "The application timed out waiting for user input"


class CountryNotSupported(ItemError):
    # Not on Plaid's error pages; the sandbox's error_COUNTRY_NOT_SUPPORTED password names
    # it, and Plaid says those passwords give ITEM_ERROR or INSTITUTION_ERROR errors.
    error_code = "COUNTRY_NOT_SUPPORTED"
    default_message = "the country of this institution is not supported"

    @property
    def documentation_url(self) -> str:
        # No error page of Plaid's has it: the page of the password that makes it.
        return "https://plaid.com/docs/sandbox/test-credentials/"


class ProductsNotSupported(ItemError):
    error_code = "PRODUCTS_NOT_SUPPORTED"
    default_message = ""


class ProductNotReady(ItemError):
    error_code = "PRODUCT_NOT_READY"
    default_message = (
        "the requested product is not yet ready. please provide a webhook or try the request"
        " again later"
    )


class NoAuthAccounts(ItemError):
    error_code = "NO_AUTH_ACCOUNTS"
    default_message = "no valid checking or savings accounts found to retrieve routing numbers"


class NoLiabilityAccounts(ItemError):
    error_code = "NO_LIABILITY_ACCOUNTS"
    default_message = (
        "There are no valid liability account(s) associated with this Item. See "
        "https://plaid.com/docs/api/#item-errors for more information."
    )


class NoInvestmentAccounts(ItemError):
    error_code = "NO_INVESTMENT_ACCOUNTS"
    default_message = (
        "There are no valid investment account(s) associated with this Item. See "
        "https://plaid.com/docs/api/#item-errors for more information."
    )


# INSTITUTION_ERROR: https://plaid.com/docs/errors/institution/


class InstitutionError(PlaidError):
    error_type = "INSTITUTION_ERROR"
    docs_page = "institution"


class InstitutionDown(InstitutionError):
    error_code = "INSTITUTION_DOWN"
    default_message = (
        "this institution is not currently responding to this request. please try again soon"
    )
    display_message = (
        "This financial institution is not currently responding to requests. We apologize for "
        "the inconvenience."
    )


class InstitutionNotResponding(InstitutionDown):
    error_code = "INSTITUTION_NOT_RESPONDING"


class InstitutionNoLongerSupported(InstitutionError):
    error_code = "INSTITUTION_NO_LONGER_SUPPORTED"
    default_message = "this institution is no longer supported"
    display_message = (
        "This financial institution is no longer supported. We apologize for the inconvenience."
    )


# SANDBOX_ERROR: https://plaid.com/docs/errors/sandbox/


class SandboxProductNotEnabled(PlaidError):
    error_type = "SANDBOX_ERROR"
    error_code = "SANDBOX_PRODUCT_NOT_ENABLED"
    docs_page = "sandbox"

    def __init__(self, product: str) -> None:
        super().__init__(f"The {product} product is not enabled on this item")


class SandboxWebhookInvalid(PlaidError):
    error_type = "SANDBOX_ERROR"
    error_code = "SANDBOX_WEBHOOK_INVALID"
    default_message = (
        "Webhook for this item is either not set up, or invalid. Please update the item's "
        "webhook and try again."
    )
    docs_page = "sandbox"


# API_ERROR: https://plaid.com/docs/errors/api/


class InternalServerError(PlaidError):
    error_type = "API_ERROR"
    error_code = "INTERNAL_SERVER_ERROR"
    docs_page = "api"


# RATE_LIMIT_EXCEEDED: https://plaid.com/docs/errors/rate-limit-exceeded/


class RateLimitExceeded(PlaidError):
    error_type = "RATE_LIMIT_EXCEEDED"
    error_code = "RATE_LIMIT"
    default_message = "rate limit exceeded for attempts to access this item. please try again later"
    docs_page = "rate-limit-exceeded"

    def __init__(self, code: str, message: str | None = None) -> None:
        self.error_code = code
        super().__init__(message)


class InboxFull(RateLimitExceeded):
    """Ours: an inbox (the control API) holds as many deliveries as it keeps."""

    def __init__(self, most: int) -> None:
        super().__init__("INBOX_FULL", f"the inbox holds {most} deliveries, the most it keeps")


# Ours: the control API's refusal of a request without the admin key.


class InvalidAdminKey(InvalidInput):
    error_code = "INVALID_ADMIN_KEY"
    default_message = (
        "the control API needs the admin key (TOKENBRIDGE_ADMIN_KEY) as"
        " 'Authorization: Bearer <key>'; Plaid client credentials are not accepted"
    )


# Ours: the dashboard's refusal of a form without its CSRF token, or sent from another
# site's page (docs/DASHBOARD.md).


class CsrfTokenInvalid(InvalidRequest):
    error_code = "CSRF_TOKEN_INVALID"
    default_message = (
        "the form's CSRF token is missing or not this session's: reload the page and send"
        " the form again"
    )


# The errors a sandbox Item's creation can be made to fail with: the `error_<CODE>`
# passwords (https://plaid.com/docs/sandbox/test-credentials/) and user_custom's
# `force_error` (https://plaid.com/docs/sandbox/user-custom/). `PLAID_ERROR` names no
# error code of Plaid's reference; it is answered as Plaid's generic internal error.
ITEM_CREATION_ERRORS: dict[str, type[PlaidError]] = {
    cls.error_code: cls
    for cls in (
        CountryNotSupported, InstitutionDown, InstitutionNotResponding,
        InstitutionNoLongerSupported, InsufficientCredentials, InternalServerError,
        InvalidCredentials, InvalidMfa, InvalidSendMethod, ItemLocked, ItemLoginRequired,
        ItemNotSupported, MfaNotSupported, NoAccounts, ProductsNotSupported, UserSetupRequired,
        UserInputTimeout, InvalidLinkToken,
    )
}  # fmt: skip
ITEM_CREATION_ERRORS["PLAID_ERROR"] = InternalServerError

# The codes of the `error_<CODE>` passwords (Plaid's list); force_error has its own.
ERROR_PASSWORD_CODES: frozenset[str] = frozenset({
    "COUNTRY_NOT_SUPPORTED", "INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING",
    "INSTITUTION_NO_LONGER_SUPPORTED", "INSUFFICIENT_CREDENTIALS", "INTERNAL_SERVER_ERROR",
    "INVALID_CREDENTIALS", "INVALID_MFA", "INVALID_SEND_METHOD", "ITEM_LOCKED",
    "ITEM_NOT_SUPPORTED", "MFA_NOT_SUPPORTED", "NO_ACCOUNTS", "PRODUCTS_NOT_SUPPORTED",
    "USER_SETUP_REQUIRED",
})  # fmt: skip


def item_creation_error(code: str) -> PlaidError | None:
    """The error that creating an Item fails with for `code` (an `error_<CODE>` password's
    or `force_error`'s code), or None if no such error can be forced."""
    cls = ITEM_CREATION_ERRORS.get(code)
    return cls() if cls is not None else None
