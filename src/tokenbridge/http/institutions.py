"""Institutions: /institutions/get, /institutions/get_by_id and /institutions/search.
Parse, call the InstitutionService, shape the reply (the `include_*` options choose which
of the institution's optional parts the reply carries)."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from tokenbridge.domain import models
from tokenbridge.domain.institutions import InstitutionHealth
from tokenbridge.http import schemas as s
from tokenbridge.http.views import Context


async def institutions_get(
    ctx: Context, req: s.InstitutionsGetRequest
) -> s.InstitutionsGetResponse:
    options = (
        s.InstitutionsGetRequestOptions() if isinstance(req.options, UnsetType) else req.options
    )
    page = ctx.services.institutions.institutions_get(
        req.country_codes, req.count, req.offset, options.products, options.routing_numbers,
        options.oauth,
    )  # fmt: skip
    return s.InstitutionsGetResponse(
        institutions=[
            _view(i, options) for i in page.institutions
        ],
        total=page.total,
    )  # fmt: skip


async def institutions_get_by_id(
    ctx: Context, req: s.InstitutionsGetByIdRequest
) -> s.InstitutionsGetByIdResponse:
    options = (
        s.InstitutionsGetByIdRequestOptions() if isinstance(req.options, UnsetType) else req.options
    )
    institution, health = ctx.services.institutions.institutions_get_by_id(
        req.institution_id, req.country_codes, options.include_status
    )
    view = _view(institution, options)
    if health is not None:
        view.status = _status(health)
    return s.InstitutionsGetByIdResponse(institution=view)


async def institutions_search(
    ctx: Context, req: s.InstitutionsSearchRequest
) -> s.InstitutionsSearchResponse:
    options = (
        s.InstitutionsSearchRequestOptions() if isinstance(req.options, UnsetType) else req.options
    )
    found = ctx.services.institutions.institutions_search(
        req.query, req.country_codes, req.products, options.oauth
    )
    return s.InstitutionsSearchResponse(
        institutions=[
            _view(i, options) for i in found
        ]
    )  # fmt: skip


# What asks for the optional parts of an institution (each endpoint's options).
_ViewOptions = (
    s.InstitutionsGetRequestOptions
    | s.InstitutionsGetByIdRequestOptions
    | s.InstitutionsSearchRequestOptions
)


def _view(institution: models.Institution, options: _ViewOptions) -> s.Institution:
    metadata = options.include_optional_metadata
    auth = bool(options.include_auth_metadata)
    payment_initiation = bool(options.include_payment_initiation_metadata)
    methods = institution.auth_methods
    return s.Institution(
        institution_id=institution.institution_id,
        name=institution.name,
        products=list(institution.products),
        country_codes=list(institution.country_codes),
        url=institution.url if metadata else None,
        primary_color=institution.primary_color if metadata else None,
        logo=institution.logo if metadata else None,
        routing_numbers=list(institution.routing_numbers),
        dtc_numbers=list(institution.dtc_numbers),
        oauth=institution.oauth,
        connection_availability=institution.connection_availability,  # type: ignore[arg-type]
        payment_initiation_metadata=None if payment_initiation else UNSET,
        auth_metadata=s.AuthMetadata(
            supported_methods=s.AuthSupportedMethods(
                instant_auth="instant_auth" in methods,
                instant_match="instant_match" in methods,
                automated_micro_deposits="automated_micro_deposits" in methods,
                instant_micro_deposits="instant_micro_deposits" in methods,
            )
        )
        if auth
        else UNSET,
    )


def _status(health: InstitutionHealth) -> s.InstitutionStatus:
    def product(updates: bool) -> s.ProductStatus:
        return s.ProductStatus(
            status=health.status,  # type: ignore[arg-type]
            last_status_change=health.last_status_change,
            breakdown=s.ProductStatusBreakdown(
                success=health.success,
                error_plaid=health.error_plaid,
                error_institution=health.error_institution,
                refresh_interval=health.refresh_interval if updates else UNSET,  # type: ignore[arg-type]
            ),
        )

    return s.InstitutionStatus(
        item_logins=product(False), transactions_updates=product(True), auth=product(False),
        identity=product(False), investments_updates=product(True),
        liabilities_updates=product(True), liabilities=product(False),
        investments=product(False),
    )  # fmt: skip
