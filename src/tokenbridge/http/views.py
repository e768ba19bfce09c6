"""What every handler shares: the request's context, and the views of an Item and an account."""

from __future__ import annotations

from dataclasses import dataclass

from msgspec import UNSET

from tokenbridge.domain import models
from tokenbridge.domain.dates import iso_datetime
from tokenbridge.domain.errors import status_of
from tokenbridge.domain.items import item_error
from tokenbridge.domain.services import Services
from tokenbridge.http import schemas as s


# Not frozen: one is made per request, and a frozen dataclass takes three times as long.
@dataclass(slots=True)
class Context:
    services: Services
    client: models.Client
    api_version: str
    # The id the response will carry; the services write it into the audit log.
    request_id: str | None = None


def item_view(ctx: Context, item: models.Item) -> s.Item:
    institution = ctx.services.bank.institution(item.institution_id)
    billed = list(item.products)
    offered = institution.products if institution else ()
    return s.Item(
        item_id=item.item_id,
        institution_id=item.institution_id,
        institution_name=institution.name if institution else None,
        webhook=item.webhook,
        auth_method=None,
        error=_error_view(item),
        available_products=[p for p in offered if p not in item.products],
        billed_products=billed,
        products=billed,
        consented_products=billed,
        consent_expiration_time=None,
        update_type="background",
        created_at=iso_datetime(item.created_at),
    )


def _error_view(item: models.Item) -> s.PlaidErrorObject | None:
    """`item.error`: the PlaidError of the error the Item is in, or None."""
    error = item_error(item)
    if error is None:
        return None
    return s.PlaidErrorObject(
        error_type=error.error_type,
        error_code=error.error_code,
        error_message=error.error_message,
        display_message=error.display_message,
        status=status_of(error),
        documentation_url=error.documentation_url,
    )


def account_view(account: models.Account) -> s.AccountBase:
    b = account.balances
    return s.AccountBase(
        account_id=account.account_id,
        balances=s.AccountBalance(
            available=b.available,
            current=b.current,
            limit=b.limit,
            iso_currency_code=b.iso_currency_code,
            unofficial_currency_code=b.unofficial_currency_code,
        ),
        mask=account.mask,
        name=account.name,
        official_name=account.official_name,
        type=account.type,
        subtype=account.subtype,
        holder_category=account.holder_category or UNSET,
        verification_status=account.verification_status or UNSET,
    )
