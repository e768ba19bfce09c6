"""Processor tokens: making them, narrowing their permissions, and the grant behind one.

Method names are Plaid's operations in snake_case (`/processor/token/create` ->
`processor_token_create`). Each takes the authenticated `Client` first and raises a
`PlaidError` subclass for anything Plaid would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenbridge.domain import audit, errors, webhook_events
from tokenbridge.domain.catalog import PROCESSOR_SET, PRODUCT_SET
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.items import ItemService, check_healthy
from tokenbridge.domain.link import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tokenbridge.domain.models import (
    Account,
    BankAccountToken,
    Client,
    Item,
    NewItem,
    PartnerGrant,
    ProcessorToken,
)
from tokenbridge.domain.outbox import Outboxes
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.randomness import hash_token
from tokenbridge.domain.redaction import redact_url

# Products of an Item made by /sandbox/processor_token/create. Plaid does not document
# them; a processor token is mostly used for Auth, and partner reads obey the token's
# permission list, not this list.
SANDBOX_PROCESSOR_ITEM_PRODUCTS = ("auth",)


class ProcessorTokenService:
    def __init__(
        self, store: Store, items: ItemService, ids: Ids, clock: Clock, outbox: Outboxes
    ) -> None:
        self.store = store
        self.items = items
        self.ids = ids
        self.clock = clock
        self.outbox = outbox
        self.rate_limiter = items.rate_limiter

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
        item, account = await self.items.item_and_account(client, access_token, account_id)
        await self.rate_limiter.check("processor_token_create", client.client_id, item.item_id)
        if account is None:
            raise errors.InvalidAccountId()
        token, record, entry = self._new_token(
            client, item, account, processor, self.clock.now(), request_id
        )
        await self.store.create_processor_token(record, [entry])
        return token

    def _new_token(
        self,
        client: Client,
        item: Item,
        account: Account,
        processor: str | None,
        created_at: float,
        request_id: str | None,
    ) -> tuple[str, ProcessorToken, audit.AuditEntry]:
        """A new processor token for `account`, its stored record and its audit entry."""
        token = self.ids.token("processor")
        record = ProcessorToken(
            token_hash=hash_token(token),
            item_id=item.item_id,
            account_id=account.account_id,
            client_id=client.client_id,
            processor=processor,
            created_at=created_at,
            world=client.world,
        )
        entry = audit.entry(
            created_at,
            client.client_id,
            audit.PROCESSOR_TOKEN_CREATE,
            request_id,
            item_id=item.item_id,
            account_id=account.account_id,
            token_hash=record.token_hash,
            processor=processor,
        )
        return token, record, entry

    async def _processor_token_of(self, client: Client, processor_token: str) -> ProcessorToken:
        # The lookup names the client: another client's token finds no row, as an unknown one.
        token = await self.store.get_processor_token(
            hash_token(processor_token), client_id=client.client_id
        )
        if token is None or token.client_id != client.client_id:
            raise errors.InvalidProcessorToken()
        return token

    async def processor_token_for_partner(
        self, client: Client, processor_token: str, product: str | None, *, read: bool = True
    ) -> PartnerGrant:
        """The grant behind a processor token presented on a partner endpoint.

        A token made for a processor works only with the credentials of that processor's
        partners of the token's world (models.Client.world);
        a token that names no processor (made by /sandbox/processor_token/create with a
        developer's credentials) works only for the client that made it. Anyone else,
        the developer who made a partner's token included, gets INVALID_PROCESSOR_TOKEN,
        as for a token that never existed. `product` is the product the endpoint needs
        (None for none); the token's permissions must include it, or be empty (= all).
        A `read` of an Item in error fails with that error (`check_healthy`).
        """
        # The store applies the rule below in the lookup itself, so that a token that this
        # client may not use finds no row, the path of a token that never existed; the
        # check below stays the rule's statement (and a guard should the two ever differ).
        found = await self.store.get_processor_token_grant(
            hash_token(processor_token), usable_by=client
        )
        if found is None:
            raise errors.InvalidProcessorToken()
        token, item, account = found
        if token.processor is None:
            allowed = token.client_id == client.client_id
        else:
            allowed = client.processor == token.processor and client.world == token.world
        if not allowed:
            raise errors.InvalidProcessorToken()
        if product is not None and token.products and product not in token.products:
            raise errors.InvalidProduct([product])
        if read:
            check_healthy(item)
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
            self.clock.now(), client.client_id, audit.PROCESSOR_TOKEN_PERMISSIONS_SET, request_id,
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

    async def processor_token_webhook_update(
        self,
        client: Client,
        processor_token: str,
        webhook: str | None,
        *,
        request_id: str | None = None,
    ) -> None:
        """Store the token's webhook URL (None removes it) and send WEBHOOK_UPDATE_ACKNOWLEDGED
        to the new URL in the background."""
        if webhook is not None:
            self.items.webhook_destinations.validate(webhook)
        grant = await self.processor_token_for_partner(client, processor_token, None, read=False)
        token = grant.token
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.PROCESSOR_TOKEN_WEBHOOK_UPDATE,
            request_id, item_id=token.item_id, account_id=token.account_id,
            token_hash=token.token_hash, processor=token.processor,
            # The audit log is read by operators and printed: never a password in it.
            detail=None if webhook is None else redact_url(webhook),
        )  # fmt: skip
        fired = [] if webhook is None else [self.outbox.webhook(
            grant.item.client_id, webhook,
            webhook_events.processor_webhook_update_acknowledged(
                grant.account.account_id, webhook, self.ids.environment
            ),
            item_id=token.item_id,
        )]  # fmt: skip
        if not await self.store.set_processor_token_webhook(
            token.token_hash, webhook, [entry], fired
        ):
            raise errors.InvalidProcessorToken()
        if fired:
            self.outbox.written()

    async def processor_stripe_bank_account_token_create(
        self, client: Client, access_token: str, account_id: str, *, request_id: str | None = None
    ) -> str:
        """A Stripe bank account token (`btok_...`) for one account of the Item."""
        item, account = await self.items.item_and_account(client, access_token, account_id)
        if account is None:
            raise errors.InvalidAccountId()
        token = self.ids.bank_account_token()
        record = BankAccountToken(
            token_hash=hash_token(token),
            item_id=item.item_id,
            account_id=account.account_id,
            client_id=client.client_id,
            created_at=self.clock.now(),
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
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        *,
        request_id: str | None = None,
    ) -> str:
        """A processor token for the first checking account of a new sandbox Item.

        Plaid does not say which account the token is bound to; its examples use Plaid
        Checking, the first depository checking account, and so do we.
        """
        item, accounts = self.items.new_item(
            client, institution_id, SANDBOX_PROCESSOR_ITEM_PRODUCTS, username, password
        )
        account = next(
            (a for a in accounts if a.type == "depository" and a.subtype == "checking"), None
        )
        if account is None:
            raise errors.NoAuthAccounts()
        token, record, created = self._new_token(
            client, item, account, client.processor, item.created_at, request_id
        )
        entries = [
            audit.entry(
                item.created_at, client.client_id, audit.ITEM_CREATE, request_id,
                item_id=item.item_id, products=item.products, detail=institution_id,
            ),
            created,
        ]  # fmt: skip
        await self.store.create_item(NewItem(item, accounts, processor_token=record), entries)
        return token
