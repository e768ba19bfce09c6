"""The one place where errors become responses.

A `PlaidError` carries no HTTP status: its status comes from the table below, keyed by
`error_type` (with the few codes Plaid answers differently). Anything else that escapes a
handler is logged here, with its traceback, and answered as API_ERROR /
INTERNAL_SERVER_ERROR without a word of it reaching the client.
"""

from __future__ import annotations

import logging

import msgspec

from tokenbridge.domain import errors
from tokenbridge.domain.ports import StoreUnavailable
from tokenbridge.http.schemas import PlaidErrorBody

log = logging.getLogger("tokenbridge.http")

# https://plaid.com/docs/errors/: 4xx for developer and user errors, 5xx for Plaid's own.
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
    "NO_LONGER_AVAILABLE": 404,
    "PLANNED_MAINTENANCE": 503,
}

_encoder = msgspec.json.Encoder()
# Messages may quote the request (an unknown processor, unknown field names); they are cut
# here so that an error never echoes a megabyte of input back.
MAX_MESSAGE = 512


def status_of(error: errors.PlaidError) -> int:
    return STATUS_BY_CODE.get(error.error_code) or STATUS_BY_TYPE.get(error.error_type, 400)


def render(error: errors.PlaidError, request_id: str) -> tuple[int, bytes]:
    body = PlaidErrorBody(
        error_type=error.error_type,
        error_code=error.error_code,
        error_message=_cut(error.error_message),
        display_message=error.display_message,
        request_id=request_id,
        documentation_url=error.documentation_url,
    )
    return status_of(error), _encoder.encode(body)


def _cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "\u2026"


def render_unexpected(exc: BaseException, request_id: str) -> tuple[int, bytes]:
    """A 500 PlaidError for an exception that is not a PlaidError."""
    if isinstance(exc, StoreUnavailable):
        log.error("request %s: database unavailable: %s", request_id, exc)
    else:
        log.error("request %s: unexpected error", request_id, exc_info=exc)
    return render(errors.InternalServerError(), request_id)
