"""Link tokens: /link/token/create and /link/token/get.

A Link token is what app code hands to Plaid Link. No Link UI runs here, so a token is made,
checked and read back, and never opens a session: `link_sessions` is always empty. The rules
are those of https://plaid.com/docs/api/link/#linktokencreate; where Plaid checks something
against the Dashboard (redirect URIs, Link customizations, the products a client may use)
there is no Dashboard here, and the request is taken as configured (docs/ENDPOINTS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tokenbridge.domain import audit, errors
from tokenbridge.domain.catalog import (
    COUNTRY_CODE_SET,
    INITIAL_PRODUCTS,
    LINK_LANGUAGE_SET,
    LINK_LANGUAGES,
)
from tokenbridge.domain.clock import client_now
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.items import ItemService
from tokenbridge.domain.models import Client, LinkToken, LinkTokenMetadata
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.randomness import hash_token
from tokenbridge.domain.webhook_destinations import valid_host

# LinkTokenCreateResponse.expiration: "a link_token created to generate a public_token that
# will be exchanged for a new access_token expires after 4 hours, and a link_token created
# for an existing Item (such as when updating an existing access_token by launching Link in
# update mode) expires after 30 minutes."
LINK_TOKEN_TTL = 4 * 3600.0
UPDATE_MODE_TTL = 30 * 60.0
# "If using Hosted Link, the link_token will expire at the same time as the Hosted Link URL"
# (HostedLinkURLLifetimeSeconds): 7 days for links delivered by email, 1 day by SMS, 30
# minutes otherwise; `url_lifetime_seconds` overrides all three, positive and at most 21 days.
HOSTED_LINK_TTL = {"email": 7 * 86400.0, "sms": 86400.0, None: 30 * 60.0}
MAX_HOSTED_LINK_LIFETIME = 21 * 86400

# LinkTokenTransactions.days_requested: 1 to 730.
MAX_DAYS_REQUESTED = 730

# The four product lists, in Plaid's order. "There should be no overlap between" them
# (optional_products, required_if_supported_products, additional_consented_products).
PRODUCT_FIELDS = (
    "products",
    "required_if_supported_products",
    "optional_products",
    "additional_consented_products",
)

# Hosts a redirect URI may name over plain http: Plaid's OAuth guide allows http only for
# localhost, where the developer's own machine is the only one that can answer.
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class HostedLink:
    """LinkTokenCreateHostedLink, as far as it decides the token's lifetime."""

    delivery_method: str | None = None
    url_lifetime_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class LinkTokenConfig:
    """A /link/token/create request as the rules read it. `user` is None when the request
    has no `user` object, else its `client_user_id`."""

    client_name: str
    language: str
    country_codes: Sequence[str]
    user: str | None = None
    user_id: str | None = None
    products: Sequence[str] | None = None
    required_if_supported_products: Sequence[str] | None = None
    optional_products: Sequence[str] | None = None
    additional_consented_products: Sequence[str] | None = None
    webhook: str | None = None
    access_token: str | None = None
    redirect_uri: str | None = None
    android_package_name: str | None = None
    institution_data: dict[str, Any] | None = None
    account_filters: dict[str, Any] | None = None
    hosted_link: HostedLink | None = None
    transactions_days_requested: int | None = None

    def product_lists(self) -> list[tuple[str, Sequence[str]]]:
        """Each product list by its field name, an absent one empty."""
        return [(name, getattr(self, name) or ()) for name in PRODUCT_FIELDS]


class LinkTokenService:
    def __init__(self, store: Store, items: ItemService, ids: Ids, clock: Clock) -> None:
        self.store = store
        self.items = items
        self.ids = ids
        self.clock = clock

    async def link_token_create(
        self, client: Client, config: LinkTokenConfig, *, request_id: str | None = None
    ) -> tuple[str, LinkToken]:
        """A new `link-sandbox-...` token and its stored record (for its expiration).

        INVALID_REQUEST (MISSING_FIELDS, INVALID_FIELD) for a request Plaid refuses;
        INVALID_INPUT/INVALID_ACCESS_TOKEN for an update-mode `access_token` that is not one
        of this client's live Items'.
        """
        self._check(config)
        item_id = None
        if config.access_token is not None:
            item_id = (await self.items.item_for(client, config.access_token)).item_id
        link_token = self.ids.token("link")
        # Its creation and its expiration are on the client's clock.
        now = client_now(self.clock, client)
        record = LinkToken(
            token_hash=hash_token(link_token),
            client_id=client.client_id,
            created_at=now,
            expires_at=now + _lifetime(config),
            metadata=LinkTokenMetadata(
                client_name=config.client_name,
                language=config.language,
                country_codes=tuple(config.country_codes),
                initial_products=tuple(config.products or ()),
                webhook=config.webhook,
                redirect_uri=config.redirect_uri,
                institution_data=config.institution_data,
                account_filters=config.account_filters,
            ),
            item_id=item_id,
        )
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.LINK_TOKEN_CREATE, request_id,
            item_id=item_id, token_hash=record.token_hash,
            products=record.metadata.initial_products,
        )  # fmt: skip
        await self.store.create_link_token(record, [entry])
        return link_token, record

    async def link_token_get(self, client: Client, link_token: str) -> LinkToken:
        """The client's Link token; INVALID_INPUT/INVALID_LINK_TOKEN otherwise.

        Another client's token takes the path of one that never existed (the lookup names
        the client). An expired token is still answered, with its `expiration`: Plaid
        documents expiry as a limit on opening Link with the token, not on reading it.
        """
        record = await self.store.get_link_token(hash_token(link_token), client_id=client.client_id)
        if record is None or record.client_id != client.client_id:
            raise errors.InvalidLinkToken()
        return record

    def _check(self, config: LinkTokenConfig) -> None:
        """Plaid's checks of a /link/token/create request: a missing field first, as for
        every request, then each field in the order of the request."""
        # "One of either the user_id or the user field is required" (plaid-python 46).
        if config.user is None and config.user_id is None:
            raise errors.MissingFields(["user"])
        if config.user is None and not config.user_id:
            raise errors.InvalidField("user_id must be a non-empty string")
        # Messages of the form "<field> must be a non-empty string" are Plaid's own for
        # client_name and country_codes (Plaid's answers to such requests).
        if not config.client_name:
            raise errors.InvalidField("client_name must be a non-empty string")
        if not config.language:
            raise errors.InvalidField("language must be a non-empty string")
        if config.language not in LINK_LANGUAGE_SET:
            raise errors.InvalidField(
                f"language {config.language} is not supported; use one of: "
                + ", ".join(LINK_LANGUAGES)
            )
        if not config.country_codes:
            raise errors.InvalidField("country_codes must be a non-empty string array")
        unknown = [c for c in config.country_codes if c not in COUNTRY_CODE_SET]
        if unknown:
            raise errors.InvalidField(
                "country_codes contains unsupported country codes: " + ", ".join(unknown)
            )
        if config.user is not None and not config.user:
            raise errors.InvalidField("user.client_user_id must be a non-empty string")
        self._check_products(config)
        if config.webhook is not None:
            self.items.webhook_destinations.validate(config.webhook, "webhook")
        if config.redirect_uri is not None:
            _check_redirect_uri(config.redirect_uri)
            # "When creating a link_token for initializing Link on other platforms,
            # android_package_name must be left blank and redirect_uri should be used."
            if config.android_package_name:
                raise errors.InvalidField(
                    "redirect_uri and android_package_name cannot both be set: use"
                    " android_package_name for Link on Android, redirect_uri elsewhere"
                )
        if config.hosted_link is not None:
            seconds = config.hosted_link.url_lifetime_seconds
            if seconds is not None and not 0 < seconds <= MAX_HOSTED_LINK_LIFETIME:
                raise errors.InvalidField(
                    "hosted_link.url_lifetime_seconds must be positive and at most"
                    f" {MAX_HOSTED_LINK_LIFETIME} (21 days)"
                )
        days = config.transactions_days_requested
        if days is not None and not 1 <= days <= MAX_DAYS_REQUESTED:
            raise errors.InvalidField(
                f"transactions.days_requested must be between 1 and {MAX_DAYS_REQUESTED}"
            )

    def _check_products(self, config: LinkTokenConfig) -> None:
        lists = config.product_lists()
        for name, products in lists:
            # `balance` "is not a valid value" in any of the lists: it needs no initializing.
            unknown = [p for p in products if p not in INITIAL_PRODUCTS]
            if unknown:
                raise errors.InvalidField(
                    f"{name} contains unknown or unsupported products: " + ", ".join(unknown)
                )
        # Update mode (an access_token) needs no products; every other Link does, and the
        # other three lists need `products` too ("The products array must have at least
        # one product").
        if not config.products and config.access_token is None:
            raise errors.InvalidField("must provide at least one product")
        for i, (name, products) in enumerate(lists):
            for other, others in lists[i + 1 :]:
                shared = [p for p in dict.fromkeys(products) if p in others]
                if shared:
                    raise errors.InvalidField(
                        f"{name} and {other} must not share products: " + ", ".join(shared)
                    )


def _lifetime(config: LinkTokenConfig) -> float:
    """Seconds from creation to `expiration`, by Plaid's rules (LINK_TOKEN_TTL above)."""
    if config.hosted_link is not None:
        if config.hosted_link.url_lifetime_seconds is not None:
            return float(config.hosted_link.url_lifetime_seconds)
        return HOSTED_LINK_TTL.get(config.hosted_link.delivery_method, HOSTED_LINK_TTL[None])
    if config.access_token is not None:
        return UPDATE_MODE_TTL
    return LINK_TOKEN_TTL


def _check_redirect_uri(uri: str) -> None:
    """An absolute https URI, or http on localhost (Plaid's OAuth guide: redirect URIs use
    HTTPS; custom URI schemes are not supported). Plaid also requires it to be listed in the
    Dashboard's Allowed redirect URIs; with no Dashboard here, every such URI counts as listed."""
    try:
        parts = urlsplit(uri)
        scheme, host, port = parts.scheme, parts.hostname, parts.port
    except ValueError:
        scheme, host, port = "", None, None
    # A bracketed host is an IPv6 address, and a port is 1-65535.
    bracketed = "[" in parts.netloc if scheme else False
    if host is not None and (not valid_host(host) or port == 0 or (bracketed and ":" not in host)):
        host = None
    if not host or not (scheme == "https" or (scheme == "http" and host in _LOCAL_HOSTS)):
        raise errors.InvalidField(
            "redirect_uri must be an https URI (http is allowed for localhost only)"
        )
