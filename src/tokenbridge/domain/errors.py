"""Plaid's error family.

Each error carries Plaid's ``error_type``, ``error_code``, a developer message and a
display message, and nothing about HTTP: ``tokenbridge.http.errors`` alone maps them to a
status. Codes and sample messages follow https://plaid.com/docs/errors/.
"""

from __future__ import annotations

from collections.abc import Iterable


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


class InvalidAccountId(InvalidInput):
    error_code = "INVALID_ACCOUNT_ID"
    default_message = "failed to find requested account ID for requested item"


class InvalidInstitution(InvalidInput):
    error_code = "INVALID_INSTITUTION"
    default_message = "invalid institution_id provided"


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


class ProductsNotSupported(ItemError):
    error_code = "PRODUCTS_NOT_SUPPORTED"
    default_message = ""


class ProductNotReady(ItemError):
    error_code = "PRODUCT_NOT_READY"
    default_message = (
        "the requested product is not yet ready. please provide a webhook or try the request"
        " again later"
    )


class NoAccounts(ItemError):
    error_code = "NO_ACCOUNTS"
    default_message = "no valid accounts were found for this item"


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
