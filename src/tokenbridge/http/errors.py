"""The one place where errors become responses.

A `PlaidError` carries no HTTP status: its status comes from `errors.status_of`, Plaid's
table keyed by `error_type` (with the few codes Plaid answers differently), which webhooks
and `item.error` read too (their `status`). Anything else that escapes a
handler is logged here, with its traceback, and answered as API_ERROR /
INTERNAL_SERVER_ERROR without a word of it reaching the client.
"""

from __future__ import annotations

import logging

import msgspec

from tokenbridge.domain import errors
from tokenbridge.domain.errors import status_of
from tokenbridge.domain.ports import StoreUnavailable
from tokenbridge.http.schemas import PlaidErrorBody

log = logging.getLogger("tokenbridge.http")

_encoder = msgspec.json.Encoder()
# Messages may quote the request (an unknown processor, unknown field names); they are cut
# here so that an error never echoes a megabyte of input back.
MAX_MESSAGE = 512


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
