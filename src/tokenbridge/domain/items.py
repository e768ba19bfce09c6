"""Items: linking a sandbox Item, exchanging its public token, reading and removing it.

Method names are Plaid's operations in snake_case (`/item/public_token/exchange` ->
`item_public_token_exchange`). Each takes the authenticated `Client` first and raises a
`PlaidError` subclass for anything Plaid would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenbridge.domain import audit, errors, products, webhook_events
from tokenbridge.domain import transactions_events as events
from tokenbridge.domain.catalog import INITIAL_PRODUCTS
from tokenbridge.domain.clock import client_now
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.link import DEFAULT_PASSWORD, DEFAULT_USERNAME, LinkOptions, check_days
from tokenbridge.domain.models import (
    Account,
    AccountTemplate,
    Client,
    Item,
    ItemAccounts,
    NewItem,
    PublicToken,
)
from tokenbridge.domain.outbox import Outboxes
from tokenbridge.domain.ports import Bank, Clock, Store
from tokenbridge.domain.randomness import hash_token
from tokenbridge.domain.ratelimits import RateLimiter
from tokenbridge.domain.redaction import redact_url
from tokenbridge.domain.webhook_destinations import ANYWHERE, WebhookDestinations

# https://plaid.com/docs/api/items/#itempublic_tokenexchange: "expires after 30 minutes".
PUBLIC_TOKEN_TTL = 30 * 60.0


def item_error(item: Item) -> errors.PlaidError | None:
    """The error the Item is in (Plaid's `item.error`), or None while it is healthy."""
    if item.error_code is None:
        return None
    return errors.item_creation_error(item.error_code) or errors.ItemLoginRequired()


def check_healthy(item: Item) -> None:
    """Raise the error the Item is in, if it is in one: every product read of an Item, by
    its developer or by a partner through a processor token, checks this first once the
    Item is known (/item/get, /item/remove and the webhook and token calls do not)."""
    if item.error_code is not None:
        raise item_error(item) or errors.ItemLoginRequired()


class ItemService:
    def __init__(
        self,
        store: Store,
        bank: Bank,
        ids: Ids,
        clock: Clock,
        rate_limiter: RateLimiter,
        outbox: Outboxes,
        webhook_destinations: WebhookDestinations = ANYWHERE,
    ) -> None:
        self.store = store
        self.bank = bank
        self.ids = ids
        self.clock = clock
        self.outbox = outbox
        # Called with (operation, client_id, item_id) by every rate-limited operation once
        # the Item is known; NoRateLimits when limits are off.
        self.rate_limiter = rate_limiter
        # Checks every webhook URL set on an Item or a processor token.
        self.webhook_destinations = webhook_destinations

    def new_item(
        self,
        client: Client,
        institution_id: str,
        products: Sequence[str],
        username: str,
        password: str,
        webhook: str | None = None,
    ) -> tuple[Item, tuple[Account, ...]]:
        """A new Item and its accounts as the bank links them (not yet stored)."""
        if self.bank.institution(institution_id) is None:
            raise errors.InvalidInstitution()
        # The id comes first: a bank may derive the new Item's data from it.
        item_id = self.ids.new_id()
        login = self.bank.accounts_for_login(institution_id, username, password, item_id)
        if login is None:
            raise errors.InvalidCredentials()
        item = Item(
            item_id=item_id,
            client_id=client.client_id,
            institution_id=institution_id,
            products=tuple(dict.fromkeys(products)),
            created_at=client_now(self.clock, client),
            webhook=webhook,
            profile=login.profile,
        )
        return item, self._accounts(item.item_id, login.accounts)

    def _accounts(self, item_id: str, templates: Sequence[AccountTemplate]) -> tuple[Account, ...]:
        return tuple(
            Account(
                account_id=self.ids.new_id(),
                item_id=item_id,
                position=i,
                name=t.name,
                official_name=t.official_name,
                mask=t.mask,
                type=t.type,
                subtype=t.subtype,
                balances=t.balances,
                holder_category=t.holder_category,
                verification_status=t.verification_status,
            )
            for i, t in enumerate(templates)
        )

    async def sandbox_public_token_create(
        self,
        client: Client,
        institution_id: str,
        initial_products: Sequence[str],
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
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
        if webhook is not None:
            self.webhook_destinations.validate(webhook, "options.webhook")
        item, accounts = self.new_item(
            client, institution_id, initial_products, username, password, webhook
        )
        public_token = self.ids.token("public")
        record = PublicToken(
            token_hash=hash_token(public_token),
            item_id=item.item_id,
            client_id=client.client_id,
            expires_at=item.created_at + PUBLIC_TOKEN_TTL,
        )
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.ITEM_CREATE, request_id,
            item_id=item.item_id, products=item.products, detail=institution_id,
        )  # fmt: skip
        days = transactions.days(item.created_at) if transactions else None
        fired = []
        if events.TRANSACTIONS in item.products:
            # Linked with Transactions, the Item has its history from the start, and
            # INITIAL_UPDATE and HISTORICAL_UPDATE go to its webhook.
            days = check_days(days)
            if item.webhook:
                hearing = events.listeners(item, accounts, (), events.TRANSACTIONS)
                counts = events.pulled(self.bank, item, accounts, days, item.created_at)
                fired = events.started(self.outbox, item, hearing, counts, self.ids.environment)
        await self.store.create_item(
            NewItem(item, accounts, public_token=record, transactions_days=days), [entry], fired
        )
        if fired:
            self.outbox.written()
        return public_token

    async def item_public_token_exchange(
        self, client: Client, public_token: str, *, request_id: str | None = None
    ) -> tuple[str, str]:
        """(access_token, item_id). A public token exchanges once, and only within 30 min."""
        access_token = self.ids.token("access")
        # The 30 minutes are on the client's clock.
        now = client_now(self.clock, client)
        access_hash = hash_token(access_token)
        # The store fills in the item_id, which only the exchange itself finds out.
        entry = audit.entry(
            self.clock.now(),
            client.client_id,
            audit.ACCESS_TOKEN_CREATE,
            request_id,
            token_hash=access_hash,
        )
        item_id = await self.store.exchange_public_token(
            hash_token(public_token), client.client_id, now, access_hash, [entry]
        )
        if item_id is None:
            raise errors.InvalidPublicToken()
        return access_token, item_id

    async def item_for(self, client: Client, access_token: str) -> Item:
        """The Item of the client's access token; INVALID_ACCESS_TOKEN otherwise."""
        # Another client's token is answered exactly as a token that never existed, and
        # takes its path: the lookup names the client, so it finds no row either.
        item = await self.store.get_item_by_access_token(
            hash_token(access_token), client_id=client.client_id
        )
        if item is None or item.client_id != client.client_id:
            raise errors.InvalidAccessToken()
        return item

    async def item_and_account(
        self, client: Client, access_token: str, account_id: str
    ) -> tuple[Item, Account | None]:
        """The access token's Item, as item_for, with its account `account_id` (None if the
        Item has no such account), read together."""
        found = await self.store.get_item_and_account(
            hash_token(access_token), account_id, client_id=client.client_id
        )
        if found is None or found[0].client_id != client.client_id:
            raise errors.InvalidAccessToken()
        return found

    async def item_get(self, client: Client, access_token: str) -> Item:
        item = await self.item_for(client, access_token)
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
        item = await self.item_for(client, access_token)
        await self.rate_limiter.check(operation, client.client_id, item.item_id)
        check_healthy(item)
        accounts = await self.store.get_accounts(item.item_id)
        if account_ids is not None:
            known = {a.account_id for a in accounts}
            if any(a not in known for a in account_ids):
                raise errors.InvalidAccountId()
            wanted = set(account_ids)
            accounts = [a for a in accounts if a.account_id in wanted]
        return ItemAccounts(item, accounts)

    async def product_accounts(
        self,
        client: Client,
        access_token: str,
        account_ids: Sequence[str] | None,
        operation: str,
        product: str,
    ) -> ItemAccounts:
        """`accounts_get` for a read of `product` with an access token, with the product rule
        of `products.check_readable`. The read calls `add_product` once it has succeeded."""
        found = await self.accounts_get(client, access_token, account_ids, operation)
        products.check_readable(product, found.item.products)
        return found

    async def add_product(
        self, client: Client, access_token: str, item: Item, product: str, *,
        request_id: str | None = None,
    ) -> None:  # fmt: skip
        """After a successful read of `product`, add it to the Item if it is a product such a
        read adds (`products.to_add`), and so billed from then on, as Plaid bills it; audited
        with the request's id. Updates `item`, so the answer shows it. A refused read never
        gets here, so it adds nothing."""
        added = products.to_add(product, item.products)
        if added is None:
            return
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.ITEM_PRODUCT_ADD, request_id,
            item_id=item.item_id, token_hash=hash_token(access_token), products=(added,),
        )  # fmt: skip
        now_products = await self.store.add_item_products(item.item_id, (added,), [entry])
        if now_products is None:
            raise errors.InvalidAccessToken()
        item.products = now_products

    async def item_remove(
        self, client: Client, access_token: str, *, request_id: str | None = None
    ) -> None:
        """Remove the Item: its access token and every processor and bank account token of
        it stop working at once (https://plaid.com/docs/api/items/#itemremove)."""
        item = await self.item_for(client, access_token)
        await self.rate_limiter.check("item_remove", client.client_id, item.item_id)
        await self.remove(item, client.client_id, request_id, hash_token(access_token))

    async def remove(
        self, item: Item, actor: str, request_id: str | None = None,
        token_hash: str | None = None,
    ) -> None:  # fmt: skip
        """Remove the live `item`, audited as done by `actor` (with the access token it was
        named by, if any): /item/remove's write, and the operator's (who names the Item by
        its id, having no access token). INVALID_ACCESS_TOKEN if it is already gone."""
        now = self.clock.now()
        entry = audit.entry(
            now, actor, audit.ITEM_REMOVE, request_id, item_id=item.item_id,
            token_hash=token_hash,
        )  # fmt: skip
        if not await self.store.remove_item(item.item_id, now, [entry]):
            raise errors.InvalidAccessToken()

    async def item_webhook_update(
        self,
        client: Client,
        access_token: str,
        webhook: str | None,
        *,
        request_id: str | None = None,
    ) -> Item:
        """Set the Item's webhook URL (None removes it) and send ITEM
        WEBHOOK_UPDATE_ACKNOWLEDGED to the new URL (https://plaid.com/docs/api/items/#itemwebhookupdate).
        The Item as it is after the change."""
        if webhook is not None:
            self.webhook_destinations.validate(webhook)
        item = await self.item_for(client, access_token)
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.ITEM_WEBHOOK_UPDATE, request_id,
            item_id=item.item_id, token_hash=hash_token(access_token),
            detail=None if webhook is None else redact_url(webhook),
        )  # fmt: skip
        # Sent to the new URL (nothing when the webhook is removed).
        fired = [] if webhook is None else [self.outbox.webhook(
            item.client_id, webhook,
            webhook_events.item_webhook_update_acknowledged(
                item.item_id, webhook, self.ids.environment
            ),
            item_id=item.item_id,
        )]  # fmt: skip
        if not await self.store.set_item_webhook(item.item_id, webhook, [entry], fired):
            raise errors.InvalidAccessToken()
        item.webhook = webhook
        if fired:
            self.outbox.written()
        return item
