"""Institutions: listing, looking up and searching the bank's institutions.

Method names are Plaid's operations in snake_case (`/institutions/get_by_id` ->
`institutions_get_by_id`); the rules follow https://plaid.com/docs/api/institutions/.
Every method raises a `PlaidError` for anything Plaid would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokenbridge.domain import errors
from tokenbridge.domain.catalog import COUNTRY_CODE_SET, COUNTRY_CODES, PRODUCT_SET
from tokenbridge.domain.models import Institution
from tokenbridge.domain.ports import Bank

# "up to a maximum of ten institutions per query" (/institutions/search).
SEARCH_LIMIT = 10
# plaid-python 46's InstitutionConnectionAvailability: an institution where no new Item can
# be created is "returned only by /institutions/get_by_id".
NOT_SUPPORTED = "NOT_SUPPORTED"

# What /institutions/get_by_id shows with `include_status` for each health of an
# institution's logins (ProductStatus): the share of successes and of failures, Plaid's
# and the institution's, and how often subscription data is refreshed. Plaid computes
# these from live traffic ("status is not available in the Sandbox environment"); the
# sandbox's are fixed, so that the unhealthy sandbox banks can be told apart.
BREAKDOWNS: dict[str, tuple[float, float, float, str]] = {
    "HEALTHY": (0.99, 0.005, 0.005, "NORMAL"),
    "DEGRADED": (0.55, 0.05, 0.40, "DELAYED"),
    "DOWN": (0.0, 0.0, 1.0, "STOPPED"),
}
# The day every sandbox status last changed (ISO 8601, as ProductStatus.last_status_change).
STATUS_SINCE = "2026-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class InstitutionHealth:
    """The health of an institution's logins and product requests (InstitutionStatus)."""

    status: str
    last_status_change: str
    success: float
    error_plaid: float
    error_institution: float
    refresh_interval: str


@dataclass(frozen=True, slots=True)
class InstitutionsPage:
    institutions: list[Institution]
    total: int


def health_of(institution: Institution) -> InstitutionHealth:
    success, plaid, bank, interval = BREAKDOWNS[institution.status]
    return InstitutionHealth(institution.status, STATUS_SINCE, success, plaid, bank, interval)


def aba_valid(routing: str) -> bool:
    """Whether a routing number has 9 digits and passes the ABA checksum."""
    if len(routing) != 9 or not routing.isascii() or not routing.isdigit():
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


class InstitutionService:
    """The bank's institutions, as Plaid's Institutions endpoints show them."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank

    def institutions_get(
        self,
        country_codes: Sequence[str],
        count: int,
        offset: int,
        products: Sequence[str] | None = None,
        routing_numbers: Sequence[str] | None = None,
        oauth: bool | None = None,
    ) -> InstitutionsPage:
        """`count` institutions from `offset`, in the bank's order, of those that take new
        Items, in any of
        `country_codes` that offer every one of `products`, know every valid one of
        `routing_numbers` and, with `oauth`, have (or lack) an OAuth login; with the
        number of all that match."""
        wanted = _countries(country_codes)
        needed = _products(products, "options.products")
        routing = _routing_numbers(routing_numbers)
        found = [
            i for i in self.bank.institutions()
            if i.connection_availability != NOT_SUPPORTED
            and _in_countries(i, wanted) and needed <= set(i.products)
            and routing <= set(i.routing_numbers) and (oauth is None or i.oauth == oauth)
        ]  # fmt: skip
        return InstitutionsPage(found[offset : offset + count], len(found))

    def institutions_get_by_id(
        self, institution_id: str, country_codes: Sequence[str], include_status: bool = False
    ) -> tuple[Institution, InstitutionHealth | None]:
        """The institution, with its health when `include_status`; INVALID_INSTITUTION if
        the bank has none by that id in any of `country_codes`."""
        wanted = _countries(country_codes)
        institution = self.bank.institution(institution_id)
        if institution is None or not _in_countries(institution, wanted):
            raise errors.InvalidInstitution()
        return institution, health_of(institution) if include_status else None

    def institutions_search(
        self,
        query: str,
        country_codes: Sequence[str],
        products: Sequence[str] | None = None,
        oauth: bool | None = None,
    ) -> list[Institution]:
        """At most ten institutions that take new Items, in the bank's order, whose name
        holds every word of
        `query` (case-insensitively), in any of `country_codes`, offering every one of
        `products` and, with `oauth`, having (or lacking) an OAuth login."""
        words = query.casefold().split()
        if not words:
            raise errors.InvalidField("query must contain at least one non-space character")
        wanted = _countries(country_codes)
        needed = _products(products, "products")
        found = [
            i for i in self.bank.institutions()
            if i.connection_availability != NOT_SUPPORTED
            and all(w in i.name.casefold() for w in words) and _in_countries(i, wanted)
            and needed <= set(i.products) and (oauth is None or i.oauth == oauth)
        ]  # fmt: skip
        return found[:SEARCH_LIMIT]


def _countries(country_codes: Sequence[str]) -> set[str]:
    if not country_codes:
        raise errors.InvalidField("country_codes must contain at least one country code")
    unknown = [c for c in country_codes if c not in COUNTRY_CODE_SET]
    if unknown:
        raise errors.InvalidField(
            "country_codes must be among " + ", ".join(COUNTRY_CODES) + "; got "
            + ", ".join(unknown[:5])
        )  # fmt: skip
    return set(country_codes)


def _in_countries(institution: Institution, wanted: set[str]) -> bool:
    return not wanted.isdisjoint(institution.country_codes)


def _products(products: Sequence[str] | None, field: str) -> set[str]:
    if products is None:
        return set()
    if not products:
        raise errors.InvalidField(f"{field} must contain at least one product, or be null")
    unknown = [p for p in products if p not in PRODUCT_SET]
    if unknown:
        raise errors.InvalidField(f"{field} contains unknown products: " + ", ".join(unknown))
    return set(products)


def _routing_numbers(routing_numbers: Sequence[str] | None) -> set[str]:
    """The valid numbers of the filter. Plaid drops invalid ones (not 9 digits, or a bad
    checksum) and refuses a filter that has none left."""
    if not routing_numbers:
        return set()
    valid = {r for r in routing_numbers if aba_valid(r)}
    if not valid:
        raise errors.InvalidField(
            "options.routing_numbers contains no valid routing number (9 digits with a valid "
            "checksum)"
        )
    return valid
