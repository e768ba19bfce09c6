"""The processor token service: every rule of the developer-side API.

Method names are Plaid's operations in snake_case (`/processor/token/create` ->
`processor_token_create`). Each takes the authenticated `Client` first and raises a
`PlaidError` subclass for anything Plaid would refuse.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tokenbridge.domain import audit, errors
from tokenbridge.domain.catalog import INITIAL_PRODUCTS, PROCESSOR_SET, PRODUCT_SET
from tokenbridge.domain.models import (
    Account,
    BankAccountToken,
    Client,
    Item,
    NewItem,
    ProcessorToken,
    PublicToken,
)
from tokenbridge.domain.randomness import RandomSource, hash_token
from tokenbridge.domain.ratelimits import NoRateLimits, RateLimiter
from tokenbridge.domain.transactions import LinkOptions
from tokenbridge.sandbox.institutions import INSTITUTIONS
from tokenbridge.sandbox.users import AccountTemplate, accounts_for
from tokenbridge.storage.base import Store

# https://plaid.com/docs/api/items/#itempublic_tokenexchange: "expires after 30 minutes".
PUBLIC_TOKEN_TTL = 30 * 60.0

# Products of an Item made by /sandbox/processor_token/create. Plaid does not document
# them; a processor token is mostly used for Auth, and partner reads obey the token's
# permission list, not this list.
SANDBOX_PROCESSOR_ITEM_PRODUCTS = ("auth",)

# An id of Plaid's shape: 37 base62 characters, like "M5eVJqLnv3tbzdngLDp9FL5OlDNxlNhlE55op".
ID_LENGTH = 37
# Stripe shows 20 characters after "btok_"; 24 keep us above 128 bits of entropy.
BTOK_LENGTH = 24
CLIENT_ID_LENGTH = 24
SECRET_LENGTH = 30
# Plaid's request ids are 15 base62 characters, like "m8MDnv9okwxFNBV".
REQUEST_ID_LENGTH = 15


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


class TokenService:
    def __init__(
        self,
        store: Store,
        random: RandomSource,
        environment: str = "sandbox",
        clock: Callable[[], float] = time.time,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.store = store
        self.random = random
        self.environment = environment
        self.clock = clock
        # Called with (operation, client_id, item_id) by every rate-limited operation once
        # the Item is known; NoRateLimits when limits are off.
        self.rate_limiter: RateLimiter = rate_limiter or NoRateLimits()
        # Clients are few and their secrets never change in place, so a found client is
        # kept; an unknown client_id is asked of the store every time, so that a client
        # created by another process is seen at once.
        self._clients: dict[str, Client] = {}
        # The secret that last authenticated each client, so that the next request with it
        # is checked by one constant-time comparison instead of a hash and a comparison.
        # Secrets stay in this process's memory only, as long as the client stays cached.
        self._verified: dict[str, tuple[str, Client]] = {}
        self._dummy_hash = hash_token(self.random.uuid4())

    # Ids and tokens -------------------------------------------------------------------

    def new_id(self) -> str:
        return self.random.base62(ID_LENGTH)

    def request_id(self) -> str:
        return self.random.base62_text(REQUEST_ID_LENGTH)

    def _token(self, kind: str) -> str:
        return f"{kind}-{self.environment}-{self.random.uuid4()}"

    # Clients --------------------------------------------------------------------------

    async def create_client(
        self, name: str, processor: str | None = None, *, request_id: str | None = None
    ) -> tuple[Client, str]:
        """A new client and its secret, which is returned here once and stored hashed."""
        if processor is not None and processor not in PROCESSOR_SET and processor != "stripe":
            raise errors.InvalidField(f"unknown processor {processor!r}")
        secret = self.random.base62(SECRET_LENGTH)
        client = Client(
            client_id=self.random.base62(CLIENT_ID_LENGTH).lower(),
            name=name,
            secret_hash=hash_token(secret),
            created_at=self.clock(),
            processor=processor,
        )
        # The actor of a client's creation is the new client itself: clients are made by an
        # operator (the command line), who has no client_id.
        action = audit.CLIENT_CREATE if processor is None else audit.PARTNER_CREATE
        entry = audit.entry(
            client.created_at, client.client_id, action, request_id, processor=processor,
            detail=name,
        )  # fmt: skip
        if not await self.store.create_client(client, [entry]):
            raise errors.InvalidField("a client with this client_id exists")
        return client, secret

    async def pin_client(self, client_id: str, secret: str, name: str) -> Client:
        """Make sure a client with exactly these credentials exists (TOKENBRIDGE_CLIENT_ID)."""
        client = Client(client_id, name, hash_token(secret), self.clock())
        existing = await self.store.get_client(client_id)
        if existing is None or existing.secret_hash != client.secret_hash:
            entry = audit.entry(client.created_at, client_id, audit.CLIENT_PUT, None, detail=name)
            await self.store.put_client(client, [entry])
        return client

    async def authenticate(self, client_id: str, secret: str) -> Client:
        """The client these credentials belong to; raises InvalidApiKeys otherwise."""
        verified = self._verified.get(client_id)
        # compare_digest takes str only when it is ASCII; other secrets go the long way.
        if verified is not None and secret.isascii() and hmac.compare_digest(verified[0], secret):
            return verified[1]
        client = self._clients.get(client_id)
        if client is None:
            client = await self.store.get_client(client_id)
            if client is not None:
                self._clients[client_id] = client
        # The comparison runs whether or not the client exists, in constant time, so that
        # timing tells nothing about which client_ids exist.
        expected = client.secret_hash if client is not None else self._dummy_hash
        if not hmac.compare_digest(hash_token(secret), expected) or client is None:
            raise errors.InvalidApiKeys()
        if secret.isascii():
            self._verified[client_id] = (secret, client)
        return client

    # Items ----------------------------------------------------------------------------

    def _new_item(
        self,
        client: Client,
        institution_id: str,
        products: Sequence[str],
        username: str,
        password: str,
        webhook: str | None = None,
    ) -> tuple[Item, tuple[Account, ...]]:
        if institution_id not in INSTITUTIONS:
            raise errors.InvalidInstitution()
        templates = accounts_for(username, password)
        if templates is None:
            raise errors.InvalidCredentials()
        item = Item(
            item_id=self.new_id(),
            client_id=client.client_id,
            institution_id=institution_id,
            products=tuple(dict.fromkeys(products)),
            created_at=self.clock(),
            webhook=webhook,
        )
        return item, self._accounts(item.item_id, templates)

    def _accounts(self, item_id: str, templates: Sequence[AccountTemplate]) -> tuple[Account, ...]:
        return tuple(
            Account(
                account_id=self.new_id(),
                item_id=item_id,
                position=i,
                name=t.name,
                official_name=t.official_name,
                mask=t.mask,
                type=t.type,
                subtype=t.subtype,
                balances=t.balances,
                holder_category=t.holder_category,
            )
            for i, t in enumerate(templates)
        )

    async def sandbox_public_token_create(
        self,
        client: Client,
        institution_id: str,
        initial_products: Sequence[str],
        username: str = "user_good",
        password: str = "pass_good",  # noqa: S107 - Plaid's documented sandbox password
        webhook: str | None = None,
        *,
        request_id: str | None = None,
        transactions: LinkOptions | None = None,
    ) -> str:
        """A public token for a new sandbox Item (it exchanges once, within 30 minutes).
        With `transactions`, Transactions starts with the days of history they ask for."""
        if not initial_products:
            raise errors.InvalidField("initial_products must contain at least one product")
        unknown = [p for p in initial_products if p not in INITIAL_PRODUCTS]
        if unknown:
            raise errors.InvalidField(
                "initial_products contains unknown or unsupported products: " + ", ".join(unknown)
            )
        item, accounts = self._new_item(
            client, institution_id, initial_products, username, password, webhook
        )
        public_token = self._token("public")
        record = PublicToken(
            token_hash=hash_token(public_token),
            item_id=item.item_id,
            client_id=client.client_id,
            expires_at=item.created_at + PUBLIC_TOKEN_TTL,
        )
        entry = audit.entry(
            item.created_at, client.client_id, audit.ITEM_CREATE, request_id,
            item_id=item.item_id, products=item.products, detail=institution_id,
        )  # fmt: skip
        days = transactions.days(item.created_at) if transactions else None
        await self.store.create_item(
            NewItem(item, accounts, public_token=record, transactions_days=days), [entry]
        )
        return public_token

    async def item_public_token_exchange(
        self, client: Client, public_token: str, *, request_id: str | None = None
    ) -> tuple[str, str]:
        """(access_token, item_id). A public token exchanges once, and only within 30 min."""
        access_token = self._token("access")
        now = self.clock()
        access_hash = hash_token(access_token)
        # The store fills in the item_id, which only the exchange itself finds out.
        entry = audit.entry(
            now, client.client_id, audit.ACCESS_TOKEN_CREATE, request_id, token_hash=access_hash
        )
        item_id = await self.store.exchange_public_token(
            hash_token(public_token), client.client_id, now, access_hash, [entry]
        )
        if item_id is None:
            raise errors.InvalidPublicToken()
        return access_token, item_id

    async def _item_for(self, client: Client, access_token: str) -> Item:
        item = await self.store.get_item_by_access_token(hash_token(access_token))
        # Another client's token is answered exactly as a token that never existed.
        if item is None or item.client_id != client.client_id:
            raise errors.InvalidAccessToken()
        return item

    async def item_get(self, client: Client, access_token: str) -> Item:
        item = await self._item_for(client, access_token)
        await self.rate_limiter.check("item_get", client.client_id, item.item_id)
        return item

    async def accounts_get(
        self,
        client: Client,
        access_token: str,
        account_ids: Sequence[str] | None = None,
        operation: str = "accounts_get",
    ) -> ItemAccounts:
        """The Item and its accounts, narrowed to `account_ids` when given.

        `operation` is the rate limit the read counts toward: /auth/get, /identity/get and
        the like read accounts through here and are counted under their own name only.
        """
        item = await self._item_for(client, access_token)
        await self.rate_limiter.check(operation, client.client_id, item.item_id)
        accounts = await self.store.get_accounts(item.item_id)
        if account_ids is not None:
            known = {a.account_id for a in accounts}
            if any(a not in known for a in account_ids):
                raise errors.InvalidAccountId()
            wanted = set(account_ids)
            accounts = [a for a in accounts if a.account_id in wanted]
        return ItemAccounts(item, accounts)

    async def item_remove(
        self, client: Client, access_token: str, *, request_id: str | None = None
    ) -> None:
        """Remove the Item: its access token and every processor and bank account token of
        it stop working at once (https://plaid.com/docs/api/items/#itemremove)."""
        item = await self._item_for(client, access_token)
        await self.rate_limiter.check("item_remove", client.client_id, item.item_id)
        now = self.clock()
        entry = audit.entry(
            now, client.client_id, audit.ITEM_REMOVE, request_id, item_id=item.item_id,
            token_hash=hash_token(access_token),
        )  # fmt: skip
        if not await self.store.remove_item(item.item_id, now, [entry]):
            raise errors.InvalidAccessToken()

    # Processor tokens -----------------------------------------------------------------

    async def _item_and_account(
        self, client: Client, access_token: str, account_id: str
    ) -> tuple[Item, Account | None]:
        """The access token's Item, as _item_for, with its account `account_id` (None if the
        Item has no such account), read together."""
        found = await self.store.get_item_and_account(hash_token(access_token), account_id)
        if found is None or found[0].client_id != client.client_id:
            raise errors.InvalidAccessToken()
        return found

    async def processor_token_create(
        self,
        client: Client,
        access_token: str,
        account_id: str,
        processor: str,
        *,
        request_id: str | None = None,
    ) -> str:
        """A new processor token for one account; an Item may have any number of them."""
        if processor not in PROCESSOR_SET:
            raise errors.InvalidField(
                f"processor must be one of Plaid's processors, not {processor!r}"
            )
        item, account = await self._item_and_account(client, access_token, account_id)
        await self.rate_limiter.check("processor_token_create", client.client_id, item.item_id)
        if account is None:
            raise errors.InvalidAccountId()
        token = self._token("processor")
        record = ProcessorToken(
            token_hash=hash_token(token),
            item_id=item.item_id,
            account_id=account.account_id,
            client_id=client.client_id,
            processor=processor,
            created_at=self.clock(),
        )
        entry = audit.entry(
            record.created_at, client.client_id, audit.PROCESSOR_TOKEN_CREATE, request_id,
            item_id=item.item_id, account_id=account.account_id, token_hash=record.token_hash,
            processor=processor,
        )  # fmt: skip
        await self.store.create_processor_token(record, [entry])
        return token

    async def _processor_token_of(self, client: Client, processor_token: str) -> ProcessorToken:
        token = await self.store.get_processor_token(hash_token(processor_token))
        if token is None or token.client_id != client.client_id:
            raise errors.InvalidProcessorToken()
        return token

    async def processor_token_for_partner(
        self, client: Client, processor_token: str, product: str | None
    ) -> PartnerGrant:
        """The grant behind a processor token presented on a partner endpoint.

        A token made for a processor works only with that processor partner's credentials;
        a token that names no processor (made by /sandbox/processor_token/create with a
        developer's credentials) works only for the client that made it. Anyone else,
        the developer who made a partner's token included, gets INVALID_PROCESSOR_TOKEN,
        as for a token that never existed. `product` is the product the endpoint needs
        (None for none); the token's permissions must include it, or be empty (= all).
        """
        found = await self.store.get_processor_token_grant(hash_token(processor_token))
        if found is None:
            raise errors.InvalidProcessorToken()
        token, item, account = found
        if token.processor is None:
            allowed = token.client_id == client.client_id
        else:
            allowed = client.processor == token.processor
        if not allowed:
            raise errors.InvalidProcessorToken()
        if product is not None and token.products and product not in token.products:
            raise errors.InvalidProduct([product])
        return PartnerGrant(token, item, account)

    async def processor_token_permissions_set(
        self,
        client: Client,
        processor_token: str,
        products: Sequence[str],
        *,
        request_id: str | None = None,
    ) -> None:
        """Replace the token's product permissions; an empty list grants every product."""
        unknown = [p for p in products if p not in PRODUCT_SET]
        if unknown:
            raise errors.InvalidField("products contains unknown products: " + ", ".join(unknown))
        token = await self._processor_token_of(client, processor_token)
        wanted = tuple(dict.fromkeys(products))
        entry = audit.entry(
            self.clock(), client.client_id, audit.PROCESSOR_TOKEN_PERMISSIONS_SET, request_id,
            item_id=token.item_id, account_id=token.account_id, token_hash=token.token_hash,
            processor=token.processor, products=wanted,
        )  # fmt: skip
        if not await self.store.set_processor_token_products(token.token_hash, wanted, [entry]):
            raise errors.InvalidProcessorToken()

    async def processor_token_permissions_get(
        self, client: Client, processor_token: str
    ) -> tuple[str, ...]:
        """The token's product permissions; empty means every product, future ones too."""
        return (await self._processor_token_of(client, processor_token)).products

    async def processor_stripe_bank_account_token_create(
        self, client: Client, access_token: str, account_id: str, *, request_id: str | None = None
    ) -> str:
        """A Stripe bank account token (`btok_...`) for one account of the Item."""
        item, account = await self._item_and_account(client, access_token, account_id)
        if account is None:
            raise errors.InvalidAccountId()
        token = "btok_" + self.random.base62(BTOK_LENGTH)
        record = BankAccountToken(
            token_hash=hash_token(token),
            item_id=item.item_id,
            account_id=account.account_id,
            client_id=client.client_id,
            created_at=self.clock(),
        )
        entry = audit.entry(
            record.created_at, client.client_id, audit.STRIPE_BANK_ACCOUNT_TOKEN_CREATE,
            request_id, item_id=item.item_id, account_id=account.account_id,
            token_hash=record.token_hash, processor="stripe",
        )  # fmt: skip
        await self.store.create_bank_account_token(record, [entry])
        return token

    async def sandbox_processor_token_create(
        self,
        client: Client,
        institution_id: str,
        username: str = "user_good",
        password: str = "pass_good",  # noqa: S107 - Plaid's documented sandbox password
        *,
        request_id: str | None = None,
    ) -> str:
        """A processor token for the first checking account of a new sandbox Item.

        Plaid does not say which account the token is bound to; its examples use Plaid
        Checking, the first depository checking account, and so do we.
        """
        item, accounts = self._new_item(
            client, institution_id, SANDBOX_PROCESSOR_ITEM_PRODUCTS, username, password
        )
        account = next(
            (a for a in accounts if a.type == "depository" and a.subtype == "checking"), None
        )
        if account is None:
            raise errors.NoAuthAccounts()
        token = self._token("processor")
        record = ProcessorToken(
            token_hash=hash_token(token),
            item_id=item.item_id,
            account_id=account.account_id,
            client_id=client.client_id,
            processor=client.processor,
            created_at=item.created_at,
        )
        entries = [
            audit.entry(
                item.created_at, client.client_id, audit.ITEM_CREATE, request_id,
                item_id=item.item_id, products=item.products, detail=institution_id,
            ),
            audit.entry(
                item.created_at, client.client_id, audit.PROCESSOR_TOKEN_CREATE, request_id,
                item_id=item.item_id, account_id=account.account_id,
                token_hash=record.token_hash, processor=record.processor,
            ),
        ]  # fmt: skip
        await self.store.create_item(NewItem(item, accounts, processor_token=record), entries)
        return token
