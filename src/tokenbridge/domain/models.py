"""Plaid's nouns as plain records: Client, Item, Account, tokens.

The records are not frozen, though nothing changes one after it is made: one is built for
every row a request reads, and a frozen dataclass's __init__ costs about three times as
much (it sets each field through object.__setattr__), which was a tenth of a partner read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(slots=True)
class Client:
    """An API client. A processor partner is a client with `processor` set. Clients of
    different worlds never see each other's data: a partner uses only the processor tokens
    made in its world."""

    client_id: str
    name: str
    secret_hash: str
    created_at: float
    processor: str | None = None
    # "" for the shared world; for an isolated sandbox client and its partners, that
    # client's id (migration 0012).
    world: str = ""
    # How far the clock of the client's world has been advanced, in seconds (migration
    # 0013): the client's time is the real time plus this (domain/timeline.py).
    clock_offset: float = 0.0


@dataclass(slots=True)
class Balances:
    available: float | None
    current: float | None
    limit: float | None
    iso_currency_code: str | None = "USD"
    unofficial_currency_code: str | None = None


@dataclass(slots=True)
class Account:
    account_id: str
    item_id: str
    position: int
    name: str
    official_name: str | None
    mask: str | None
    type: str
    subtype: str | None
    balances: Balances
    holder_category: str | None = None
    # Plaid's AccountBase.verification_status: set only for an account in a micro-deposit
    # flow (`pending_automatic_verification`, then `automatically_verified` or
    # `verification_expired`); None for every other account.
    verification_status: str | None = None


@dataclass(slots=True)
class Item:
    item_id: str
    client_id: str
    institution_id: str
    products: tuple[str, ...]
    created_at: float
    webhook: str | None = None
    removed_at: float | None = None
    # The error the Item is in (Plaid's `item.error`), by its code: ITEM_LOGIN_REQUIRED
    # after /sandbox/item/reset_login; None while the Item is healthy.
    error_code: str | None = None
    # The bank's own record of the Item's data, a JSON document the `Bank` wrote when the
    # Item was linked (`Login.profile`) and reads back on every answer about it; None when
    # the bank derives everything from the ids. Opaque to the domain and the store.
    profile: str | None = None


@dataclass(slots=True)
class PublicToken:
    token_hash: str
    item_id: str
    client_id: str
    expires_at: float


@dataclass(slots=True)
class AccessToken:
    token_hash: str
    item_id: str
    client_id: str
    created_at: float


@dataclass(slots=True)
class ProcessorToken:
    """A processor token as stored: the hash, never the token itself.

    `products` is the permission list; empty means every product, future ones included.
    `processor` is None for a token made by /sandbox/processor_token/create with a
    developer's credentials, which names no processor.
    """

    token_hash: str
    item_id: str
    account_id: str
    client_id: str
    processor: str | None
    created_at: float
    products: tuple[str, ...] = ()
    webhook: str | None = None
    # The world of the client that made it (Client.world).
    world: str = ""


@dataclass(slots=True)
class BankAccountToken:
    """A Stripe bank account token (`btok_...`), as stored."""

    token_hash: str
    item_id: str
    account_id: str
    client_id: str
    created_at: float


@dataclass(slots=True)
class LinkTokenMetadata:
    """What /link/token/create was asked for and /link/token/get echoes back (Plaid's
    LinkTokenGetMetadataResponse). `institution_data` and `account_filters` are the request's
    objects as JSON values."""

    client_name: str
    language: str
    country_codes: tuple[str, ...]
    initial_products: tuple[str, ...]
    webhook: str | None = None
    redirect_uri: str | None = None
    institution_data: dict[str, Any] | None = None
    account_filters: dict[str, Any] | None = None


@dataclass(slots=True)
class LinkToken:
    """A Link token as stored: the hash, never the token. `item_id` is the Item of an
    update-mode token (made with an access token), None otherwise."""

    token_hash: str
    client_id: str
    created_at: float
    expires_at: float
    metadata: LinkTokenMetadata
    item_id: str | None = None


@dataclass(slots=True)
class NewItem:
    """Everything that comes into being with an Item, written in one transaction."""

    item: Item
    accounts: tuple[Account, ...]
    public_token: PublicToken | None = None
    access_token: AccessToken | None = None
    processor_token: ProcessorToken | None = None
    # Days of transactions history when the link already asks for them (Transactions is
    # then initialized with the Item); None leaves that to the first transactions call.
    transactions_days: int | None = None


@dataclass(frozen=True, slots=True)
class Institution:
    """A bank a sandbox Item can be linked at, and the products it offers."""

    institution_id: str
    name: str
    country_codes: tuple[str, ...] = ("US",)
    oauth: bool = False
    products: tuple[str, ...] = ()
    # What /institutions/* show of it (the Institution schema's optional metadata).
    routing_numbers: tuple[str, ...] = ()
    dtc_numbers: tuple[str, ...] = ()
    url: str | None = None
    primary_color: str | None = None
    logo: str | None = None
    # The health of its logins (ProductStatus.status: HEALTHY, DEGRADED or DOWN) and the
    # Auth methods it supports (AuthSupportedMethods' field names).
    status: str = "HEALTHY"
    auth_methods: frozenset[str] = frozenset({"instant_auth"})
    # Whether new Items can be created there (InstitutionConnectionAvailability:
    # SUPPORTED or NOT_SUPPORTED).
    connection_availability: str = "SUPPORTED"


@dataclass(frozen=True, slots=True)
class AccountTemplate:
    """An account a login links, before it belongs to an Item (the Item gives it its ids)."""

    name: str
    official_name: str | None
    mask: str | None
    type: str
    subtype: str
    balances: Balances
    holder_category: str | None = None
    verification_status: str | None = None


@dataclass(frozen=True, slots=True)
class Login:
    """What a login links: its accounts, in the bank's order, and what the bank keeps
    with the Item (stored as `Item.profile`: the user's own data, which no id derives)."""

    accounts: tuple[AccountTemplate, ...]
    profile: str | None = None


@dataclass(slots=True)
class ItemAccounts:
    item: Item
    accounts: list[Account]


@dataclass(slots=True)
class PartnerGrant:
    """What a partner reads through one processor token: the token, its Item and account."""

    token: ProcessorToken
    item: Item
    account: Account


@dataclass(frozen=True, slots=True)
class TransactionsState:
    """What the store keeps per Item once Transactions is initialized."""

    item_id: str
    days_requested: int
    generation: int  # the number of refreshes so far
    refreshed_at: tuple[float, ...]  # when each refresh happened, oldest first
    sync_users: frozenset[str]  # "" = the Item's developer, else processor token hashes
    # What /sandbox/transactions/create added, oldest first (read only for an Item whose
    # bank takes such transactions).
    created: tuple[CreatedTransaction, ...] = ()


@dataclass(frozen=True, slots=True)
class SandboxTransaction:
    """A transaction /sandbox/transactions/create is asked to add (CustomSandboxTransaction),
    before the service checks it."""

    date_transacted: str
    date_posted: str
    amount: float
    description: str
    iso_currency_code: str | None = None
    account_id: str | None = None  # None: the Item's first depository account


@dataclass(frozen=True, slots=True)
class CreatedTransaction:
    """A transaction /sandbox/transactions/create added, as stored: the refresh round
    (`generation`) that added it, its place in the call (`seq`) and its account."""

    generation: int
    seq: int
    account_id: str
    date_transacted: date
    date_posted: date
    amount: float
    description: str
    iso_currency_code: str


# A Signal call as the store keeps it: (account_id, kind, client_transaction_id, data,
# created_at), kind being evaluate, decision, return or prepare.
SignalRecord = tuple[str, str, str | None, dict[str, Any], float]


@dataclass(frozen=True, slots=True)
class WebhookKey:
    """A P-256 key that signs webhooks' `Plaid-Verification` JWTs, as stored.

    `private_key` is the PKCS#8 PEM text of the private key: it leaves the store only for
    the signer, and is kept out of the record's repr so that no log line or traceback that
    shows a key shows it. `x` and `y` are the public point's coordinates, base64url (the
    JWK's members). `expired_at` is None while the key is valid; `current` marks the one
    key that signs (at most one is current).
    """

    kid: str
    private_key: str = field(repr=False)
    x: str
    y: str
    created_at: float
    expired_at: float | None = None
    current: bool = False


@dataclass(frozen=True, slots=True)
class Webhook:
    """One webhook in the outbox. `body` is the JSON text posted, byte for byte, on every
    attempt. `url` may carry a user and password (sent as Basic auth), so it is kept out of
    the repr; show it with `redaction.redact_url`. `attempts` counts the attempts of the
    current round, which began at `round_started_at` (a redelivery begins a new one)."""

    webhook_id: str
    client_id: str
    url: str = field(repr=False)
    webhook_type: str
    webhook_code: str
    body: str
    created_at: float
    item_id: str | None = None
    account_id: str | None = None
    status: str = "pending"  # see domain/outbox.py
    attempts: int = 0
    round_started_at: float = 0.0
    next_attempt_at: float | None = None


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """How one attempt ended: the receiver's HTTP status, or what went wrong instead (an
    error with no status), and how long it took. `attempt` counts from 1 across rounds."""

    webhook_id: str
    attempt: int
    at: float
    latency_ms: float
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class InboxDelivery:
    """One POST an inbox received: its number in the inbox (from 1), when, its headers (a
    JSON object of lower-case names) and its raw body (UTF-8 text)."""

    seq: int
    received_at: float
    headers: str
    body: str
