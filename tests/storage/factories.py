"""Small factories of stored records for the storage contract suite."""

from __future__ import annotations

import itertools
import secrets

from tokenbridge.domain.models import (
    AccessToken,
    Account,
    Balances,
    BankAccountToken,
    Client,
    Item,
    NewItem,
    ProcessorToken,
    PublicToken,
    Webhook,
    WebhookKey,
)
from tokenbridge.domain.outbox import outbound
from tokenbridge.domain.randomness import hash_token

NOW = 1_700_000_000.0
_clock = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def client(processor: str | None = None, name: str = "app") -> Client:
    # Distinct creation times keep list_clients' order well defined.
    return Client(unique("client"), name, hash_token(unique("secret")), NOW + next(_clock),
                  processor)  # fmt: skip


def account(item_id: str, position: int, account_id: str | None = None) -> Account:
    return Account(
        account_id=account_id or unique("acc"),
        item_id=item_id,
        position=position,
        name=f"Plaid Account {position}",
        official_name=None if position else "Plaid Gold Standard 0% Interest Checking",
        mask=f"{position:04d}",
        type="depository",
        subtype="checking" if position == 0 else "savings",
        balances=Balances(100.5, 110.25, None, "USD", None),
        holder_category="personal" if position == 0 else None,
    )


def new_item(
    client_id: str,
    accounts: int = 2,
    public_token: str | None = None,
    access_token: str | None = None,
    processor_token: str | None = None,
    processor: str | None = None,
    expires_at: float = NOW + 1800,
) -> NewItem:
    """An Item with `accounts` accounts and, for each token given, its stored record."""
    item = Item(unique("item"), client_id, "ins_109508", ("auth", "transactions"), NOW,
                "https://example.com/hook")  # fmt: skip
    records = tuple(account(item.item_id, i) for i in range(accounts))
    return NewItem(
        item,
        records,
        public_token=PublicToken(hash_token(public_token), item.item_id, client_id, expires_at)
        if public_token
        else None,
        access_token=AccessToken(hash_token(access_token), item.item_id, client_id, NOW)
        if access_token
        else None,
        processor_token=processor_token_of(item, records[0], processor_token, processor)
        if processor_token
        else None,
    )


def processor_token_of(
    item: Item,
    of: Account,
    token: str | None = None,
    processor: str | None = "dwolla",
    products: tuple[str, ...] = (),
) -> ProcessorToken:
    return ProcessorToken(
        token_hash=hash_token(token or unique("processor-sandbox")),
        item_id=item.item_id,
        account_id=of.account_id,
        client_id=item.client_id,
        processor=processor,
        created_at=NOW,
        products=products,
        webhook=None,
    )


def bank_account_token_of(item: Item, of: Account, token: str) -> BankAccountToken:
    return BankAccountToken(hash_token(token), item.item_id, of.account_id, item.client_id, NOW)


def webhook_key(created_at: float = NOW) -> WebhookKey:
    """A key record as the store sees it: opaque text where the PEM and the point go."""
    return WebhookKey(unique("kid"), f"-----PEM {secrets.token_hex(16)}-----",
                      unique("x"), unique("y"), created_at)  # fmt: skip


def webhook(due: float = NOW, item_id: str | None = None, code: str = "DEFAULT_UPDATE") -> Webhook:
    """A webhook for the outbox, due at `due` (as a service writes it: pending, no attempt)."""
    payload = {"webhook_type": "TRANSACTIONS", "webhook_code": code, "item_id": item_id}
    return outbound(unique("wh"), due, unique("client"), "https://example.com/hook", payload,
                    item_id=item_id)  # fmt: skip
