"""Plaid's sandbox-only institutions (https://plaid.com/docs/sandbox/institutions/), and the
failures of the unhealthy and unsupported ones.

What /institutions/* show of each (routing and DTC numbers, brand color) is derived from
its id, so it is the same on every server; Plaid publishes none of it for these banks.
"""

from __future__ import annotations

from dataclasses import replace

from tokenbridge.domain import errors
from tokenbridge.domain.models import Institution
from tokenbridge.sandbox.derive import digits, rng_for
from tokenbridge.sandbox.numbers import routing_number

# What every sandbox institution offers. Plaid's sandbox institutions support nearly every
# product; /item/get lists those not billed as `available_products`.
SUPPORTED_PRODUCTS: tuple[str, ...] = (
    "assets", "auth", "balance", "credit_details", "identity", "identity_match", "income",
    "income_verification", "investments", "liabilities", "processor_identity",
    "processor_payments", "recurring_transactions", "signal", "statements", "transactions",
    "transactions_refresh", "transfer",
)  # fmt: skip

# The Auth test numbers of Plaid's sandbox page: Houndstooth Bank's Instant Match and
# Automated Micro-deposits accounts use this routing number.
HOUNDSTOOTH_ROUTING = "021000021"


def _with_metadata(institution: Institution) -> Institution:
    rng = rng_for("institution", institution.institution_id)
    us = institution.country_codes == ("US",)
    routing = tuple(routing_number(rng) for _ in range(3)) if us else ()
    if institution.institution_id == "ins_109512":
        routing = (HOUNDSTOOTH_ROUTING, *routing[1:])
    return replace(
        institution,
        products=SUPPORTED_PRODUCTS,
        routing_numbers=routing,
        dtc_numbers=tuple(digits(rng, 4) for _ in range(3)) if us else (),
        url="https://plaid.com",
        primary_color="#" + "".join(f"{rng.randrange(256):02x}" for _ in range(3)),
    )


INSTITUTIONS: dict[str, Institution] = {
    i.institution_id: _with_metadata(i)
    for i in (
        Institution("ins_109508", "First Platypus Bank"),
        Institution("ins_130016", "First Platypus Balance Bank"),
        Institution("ins_109509", "First Gingham Credit Union"),
        Institution("ins_109510", "Tattersall Federal Credit Union"),
        Institution("ins_109511", "Tartan Bank"),
        Institution(
            "ins_109512",
            "Houndstooth Bank",
            auth_methods=frozenset({"instant_auth", "instant_match", "automated_micro_deposits"}),
        ),
        Institution("ins_43", "Tartan-Dominion Bank of Canada", ("CA",)),
        Institution("ins_116834", "Flexible Platypus Open Banking", ("GB",), oauth=True),
        Institution("ins_117650", "Royal Bank of Plaid", ("GB",), oauth=True),
        Institution("ins_127287", "Platypus OAuth Bank", oauth=True),
        Institution("ins_132241", "First Platypus OAuth App2App Bank", oauth=True),
        Institution("ins_117181", "Flexible Platypus Open Banking (QR)", ("GB",), oauth=True),
        Institution(
            "ins_135858",
            "Windowpane Bank",
            auth_methods=frozenset({"instant_auth", "instant_micro_deposits"}),
        ),
        Institution("ins_132363", "Unhealthy Platypus Bank - Degraded", status="DEGRADED"),
        Institution("ins_132361", "Unhealthy Platypus Bank - Down", status="DOWN"),
        Institution(
            "ins_133402",
            "Unsupported Platypus Bank",
            status="DOWN",
            connection_availability="NOT_SUPPORTED",
        ),
        Institution("ins_133502", "Platypus Bank RUX Auth"),
        Institution("ins_133503", "Platypus Bank RUX Match"),
    )
}

# The institutions where no Item can be linked, and the error each login gets. Plaid's
# Link blocks logins at an institution whose `item_logins` status is DOWN
# (https://plaid.com/docs/link/institution-status/) and the docs name ins_133402
# "Unsupported Platypus Bank - Institution Not Supported"; the codes and messages are those
# of https://plaid.com/docs/errors/institution/. Logins at the Degraded bank succeed, as
# Link lets users continue there (docs/ENDPOINTS.md, "Institutions").
# The error codes are resolved through the one catalogue of Item-creation errors.
LOGIN_FAILURES: dict[str, str] = {
    "ins_132361": "INSTITUTION_DOWN",
    "ins_133402": "INSTITUTION_NO_LONGER_SUPPORTED",
}


def check_login(institution_id: str) -> None:
    """Raise the INSTITUTION_ERROR a login at this institution fails with, if it fails."""
    code = LOGIN_FAILURES.get(institution_id)
    if code is not None:
        raise errors.item_creation_error(code) or errors.InternalServerError()
