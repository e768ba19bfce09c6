"""The sandbox's control of an Item: /sandbox/item/reset_login, /sandbox/item/fire_webhook,
and our own repair (an extension, under /_tokenbridge/, since Link's update mode, which
repairs an Item at Plaid, cannot run here).

Method names are Plaid's operations in snake_case; the repair is named after its path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tokenbridge.domain import audit, errors, webhook_events
from tokenbridge.domain import transactions_events as events
from tokenbridge.domain.auth import PENDING, VERIFICATION_WEBHOOKS
from tokenbridge.domain.clock import client_now
from tokenbridge.domain.dates import iso_datetime
from tokenbridge.domain.items import ItemService
from tokenbridge.domain.models import Account, Client, Item, Webhook
from tokenbridge.domain.outbox import Outboxes
from tokenbridge.domain.randomness import hash_token

# https://plaid.com/docs/api/sandbox/#sandboxitemfire_webhook: the webhook types each code
# may be fired as, the first being the one fired when the request names none, and the
# product the Item must have for it (None: any Item). Codes are plaid-python 46's list.
DEFAULT_UPDATE_TYPES: dict[str, str] = {
    "TRANSACTIONS": "transactions",
    "AUTH": "auth",
    "IDENTITY": "identity",
    "INVESTMENTS_TRANSACTIONS": "investments",
    "HOLDINGS": "investments",
    "LIABILITIES": "liabilities",
}
FIRED_AS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "NEW_ACCOUNTS_AVAILABLE": (("ITEM",), None),
    "SMS_MICRODEPOSITS_VERIFICATION": (("AUTH",), None),
    "AUTHORIZATION_GRANTED": (("ITEM",), None),
    "USER_PERMISSION_REVOKED": (("ITEM",), None),
    "USER_ACCOUNT_REVOKED": (("ITEM",), None),
    "PENDING_DISCONNECT": (("ITEM",), None),
    "LOGIN_REPAIRED": (("ITEM",), None),
    "RECURRING_TRANSACTIONS_UPDATE": (("TRANSACTIONS",), "transactions"),
    "SYNC_UPDATES_AVAILABLE": (("TRANSACTIONS",), "transactions"),
    "PRODUCT_READY": (("ASSETS",), "assets"),
    "ERROR": (("ASSETS",), "assets"),
}
WEBHOOK_CODES: tuple[str, ...] = ("DEFAULT_UPDATE", *FIRED_AS)
WEBHOOK_TYPES: tuple[str, ...] = tuple(
    dict.fromkeys([*DEFAULT_UPDATE_TYPES, *(t for ts, _ in FIRED_AS.values() for t in ts)])
)
# Products that bring another product's webhooks with them (Recurring Transactions is
# served to Items with Transactions; Plaid's Sandbox fires it for them).
_IMPLIED = {"recurring_transactions": "transactions"}
# The most transactions a test webhook may report, as /sandbox/transactions/create adds at
# most 10 at a time: a bound, so that the count stays a plausible one.
MAX_NEW_TRANSACTIONS = 1000
# A week, as Plaid's PENDING_DISCONNECT example gives the user time to act.
_DISCONNECT_AFTER = 7 * 86400.0


class SandboxItemService:
    """Raises a `PlaidError` for anything Plaid would refuse."""

    def __init__(self, items: ItemService, outbox: Outboxes, environment: str) -> None:
        self.items = items
        self.store = items.store
        self.clock = items.clock
        self.outbox = outbox
        self.environment = environment

    async def sandbox_item_reset_login(
        self, client: Client, access_token: str, *, request_id: str | None = None
    ) -> None:
        """Put the Item into ITEM_LOGIN_REQUIRED: every product read of it, by the developer
        and through its processor tokens, then fails so; an ITEM ERROR webhook goes to the
        Item's webhook, if it has one (on every call, as Plaid's Sandbox sends it)."""
        item = await self.items.item_for(client, access_token)
        await self.reset_login(item, client.client_id, request_id, hash_token(access_token))

    async def reset_login(
        self, item: Item, actor: str, request_id: str | None = None,
        token_hash: str | None = None,
    ) -> None:  # fmt: skip
        """/sandbox/item/reset_login's change of the live `item`, audited as done by `actor`
        (with the access token it was named by, if any): the operator's way in, by item_id.
        INVALID_ACCESS_TOKEN if the Item is gone."""
        entry = self._entry(actor, audit.ITEM_RESET_LOGIN, request_id, item, token_hash)
        if not await self._login_required(item, entry):
            raise errors.InvalidAccessToken()

    async def _login_required(self, item: Item, entry: audit.AuditEntry) -> bool:
        """Put the live `item` into ITEM_LOGIN_REQUIRED with `entry`, and the ITEM ERROR
        webhook to its webhook; False (nothing written) if the Item is gone."""
        error = errors.ItemLoginRequired()
        fired = self._to_item(
            item, webhook_events.item_error(item.item_id, error, self.environment)
        )
        if not await self.store.set_item_error(item.item_id, error.error_code, [entry], fired):
            return False
        item.error_code = error.error_code
        if fired:
            self.outbox.written()
        return True

    async def tokenbridge_sandbox_item_repair(
        self, client: Client, access_token: str, *, request_id: str | None = None
    ) -> bool:
        """What Link's update mode does for an Item in error: the Item is healthy again and,
        if it was in ITEM_LOGIN_REQUIRED, Plaid's LOGIN_REPAIRED webhook goes to its
        webhook. False (and nothing sent) when the Item was not in error."""
        item = await self.items.item_for(client, access_token)
        return await self.repair(
            client, item, client.client_id, request_id, hash_token(access_token)
        )

    async def repair(
        self, client: Client, item: Item, actor: str, request_id: str | None = None,
        token_hash: str | None = None,
    ) -> bool:  # fmt: skip
        """The repair of the live `item` of `client` (as tokenbridge_sandbox_item_repair),
        audited as done by `actor`. False when it was not in error."""
        if item.error_code is None:
            return False
        entry = self._entry(actor, audit.ITEM_REPAIR, request_id, item, token_hash)
        fired = (
            self._to_item(item, webhook_events.item_login_repaired(item.item_id, self.environment))
            if item.error_code == errors.ItemLoginRequired.error_code else []
        )  # fmt: skip
        # The user has just logged in again: the 30 days before the Sandbox's next
        # ITEM_LOGIN_REQUIRED start now, on the client's clock (domain/timeline.py).
        if not await self.store.set_item_error(
            item.item_id, None, [entry], fired, logged_in_at=client_now(self.clock, client)
        ):
            raise errors.InvalidAccessToken()
        if fired:
            self.outbox.written()
        return True

    async def login_expired(self, item: Item, at: float) -> None:
        """The Sandbox's automatic ITEM_LOGIN_REQUIRED of an Item whose user last logged in
        30 days before `at` on its client's clock: as sandbox_item_reset_login does it,
        audited as the operator's (who moved the clock). Nothing for an Item removed
        meanwhile."""
        entry = audit.entry(self.clock.now(), audit.OPERATOR, audit.ITEM_LOGIN_EXPIRE, None,
                            item_id=item.item_id, detail=iso_datetime(at))  # fmt: skip
        await self._login_required(item, entry)

    async def pending_expiration(self, item: Item, expires_at: float) -> None:
        """ITEM PENDING_EXPIRATION to the Item's webhook, a week before its login expires at
        `expires_at` on its client's clock (nothing for an Item without a webhook)."""
        fired = self._to_item(item, webhook_events.pending_expiration(
            item.item_id, iso_datetime(expires_at), self.environment
        ))  # fmt: skip
        if fired:
            await self.store.enqueue_webhooks(fired)
            self.outbox.written()

    async def sandbox_item_fire_webhook(
        self,
        client: Client,
        access_token: str,
        webhook_code: str,
        webhook_type: str | None = None,
        *,
        new_transactions: int | None = None,
    ) -> None:
        """Send the test webhook `webhook_code` (as `webhook_type`) to the Item's webhook.
        `new_transactions` is the count a TRANSACTIONS DEFAULT_UPDATE reports (0 by default:
        the sandbox adds no transactions for a test webhook)."""
        chosen = _fired_type(webhook_code, webhook_type, new_transactions)
        item = await self.items.item_for(client, access_token)
        await self._fire(client, item, webhook_code, chosen, new_transactions)

    async def fire_webhook(
        self, client: Client, item: Item, actor: str, webhook_code: str,
        webhook_type: str | None = None,
    ) -> None:  # fmt: skip
        """/sandbox/item/fire_webhook for the live `item` of `client`, named by its id (the
        operator's way in). Unlike the API's test webhook, it is audited (as done by `actor`): the
        operator's every action is in the log."""
        chosen = _fired_type(webhook_code, webhook_type, None)
        entry = audit.entry(
            self.clock.now(), actor, audit.ITEM_WEBHOOK_FIRE, None, item_id=item.item_id,
            detail=f"{chosen} {webhook_code}",
        )  # fmt: skip
        await self._fire(client, item, webhook_code, chosen, None, [entry])

    async def _fire(
        self, client: Client, item: Item, webhook_code: str, chosen: str,
        new_transactions: int | None,
        entries: Sequence[audit.AuditEntry] = (),
    ) -> None:  # fmt: skip
        product = (
            DEFAULT_UPDATE_TYPES[chosen] if webhook_code == "DEFAULT_UPDATE"
            else FIRED_AS[webhook_code][1]
        )  # fmt: skip
        if product is not None and not _has(item, product):
            raise errors.SandboxProductNotEnabled(product)
        if item.webhook is None:
            raise errors.SandboxWebhookInvalid()
        accounts = await self.store.get_accounts(item.item_id)
        payload = self._payload(
            webhook_code, chosen, item, accounts, client_now(self.clock, client)
        )
        if new_transactions is not None and "new_transactions" in payload:
            payload["new_transactions"] = new_transactions
        fired = self._to_item(item, payload)
        if chosen == "TRANSACTIONS":
            fired += await self._to_processor_tokens(item, payload)
        await self.store.enqueue_webhooks(fired, entries)
        self.outbox.written()

    async def _to_processor_tokens(self, item: Item, payload: dict[str, Any]) -> list[Webhook]:
        """A TRANSACTIONS test webhook in its processor form, to the webhook of each of the
        Item's processor tokens that may read the product, as a refresh sends them."""
        code = payload["webhook_code"]
        product = (
            events.RECURRING_TRANSACTIONS if code == "RECURRING_TRANSACTIONS_UPDATE"
            else events.TRANSACTIONS
        )  # fmt: skip
        tokens = await self.store.list_processor_tokens(item.item_id)
        rest = {k: v for k, v in payload.items()
                if k not in ("webhook_type", "webhook_code", "item_id", "account_ids")}  # fmt: skip
        fired = []
        for listener in events.listeners(item, (), tokens, product):
            if listener.key != "account_id":
                continue  # the Item's own webhook, which has its payload already
            form = {"webhook_type": payload["webhook_type"], "webhook_code": code,
                    "account_id": listener.value, **rest}  # fmt: skip
            fired.append(
                self.outbox.webhook(item.client_id, listener.url, form, item_id=item.item_id)
            )
        return fired

    def _payload(
        self, code: str, webhook_type: str, item: Item, accounts: list[Account], now: float
    ) -> dict[str, Any]:
        build: Callable[..., dict[str, Any]] = webhook_events.item_webhook
        first = accounts[0].account_id if accounts else None
        env = self.environment
        args = (webhook_type, code, item.item_id, env)
        if code == "DEFAULT_UPDATE":
            return build(*args, **_DEFAULT_UPDATE_FIELDS[webhook_type])
        if code == "SYNC_UPDATES_AVAILABLE":
            return build(*args, initial_update_complete=True, historical_update_complete=True)
        if code == "RECURRING_TRANSACTIONS_UPDATE":
            return build(*args, account_ids=[a.account_id for a in accounts])
        if code == "PENDING_DISCONNECT":
            disconnect = now + _DISCONNECT_AFTER
            return build(*args, reason="INSTITUTION_TOKEN_EXPIRATION",
                         disconnect_time=iso_datetime(disconnect))  # fmt: skip
        if code == "USER_ACCOUNT_REVOKED":
            return build(*args, account_id=first)
        if code == "USER_PERMISSION_REVOKED":
            revoked = errors.UserPermissionRevoked()
            return build(*args, error=webhook_events.plaid_error_object(revoked))
        if code == "SMS_MICRODEPOSITS_VERIFICATION":
            return build(*args, account_id=first, status="MANUALLY_VERIFIED")
        if code in ("ERROR", "PRODUCT_READY"):
            # Assets webhooks name the report, not the Item (AssetsProductReadyWebhook,
            # AssetsErrorWebhook).
            extra: dict[str, Any] = (
                {"report_type": "FULL"} if code == "PRODUCT_READY"
                else {"error": webhook_events.plaid_error_object(errors.InternalServerError())}
            )  # fmt: skip
            report = _asset_report_id(item)
            return {"webhook_type": webhook_type, "webhook_code": code,
                    "asset_report_id": report, **extra, "environment": env}  # fmt: skip
        if code == "NEW_ACCOUNTS_AVAILABLE":
            return build(*args, error=None)
        return build(*args)  # LOGIN_REPAIRED, AUTHORIZATION_GRANTED

    async def sandbox_item_set_verification_status(
        self,
        client: Client,
        access_token: str,
        account_id: str,
        verification_status: str,
        *,
        request_id: str | None = None,
    ) -> None:
        """Verify the account's automated micro-deposit, or let it expire; then the AUTH
        webhook to the Item's webhook, if it has one.

        INVALID_ACCOUNT_ID for an account the Item does not have; INVALID_FIELD for an
        account that is not waiting for automatic verification.
        """
        code = VERIFICATION_WEBHOOKS.get(verification_status)
        if code is None:
            raise errors.InvalidField(
                "verification_status must be one of: " + ", ".join(VERIFICATION_WEBHOOKS)
            )
        item, account = await self.items.item_and_account(client, access_token, account_id)
        if account is None:
            raise errors.InvalidAccountId()
        refused = errors.InvalidField(
            "the account is not pending automatic micro-deposit verification"
            f" (its verification_status is {account.verification_status or 'not set'})"
        )
        if account.verification_status != PENDING:
            raise refused
        entry = audit.entry(
            self.clock.now(), client.client_id, audit.ACCOUNT_VERIFICATION_STATUS_SET,
            request_id, item_id=item.item_id, account_id=account.account_id,
            detail=verification_status,
        )  # fmt: skip
        fired = self._to_item(item, webhook_events.auth_verification(
            code, item.item_id, account.account_id, self.environment
        ))  # fmt: skip
        if not await self.store.set_account_verification_status(
            account.account_id, verification_status, [entry], fired
        ):
            # Another call moved it first (or the Item was just removed).
            raise refused
        if fired:
            self.outbox.written()

    def _to_item(self, item: Item, payload: dict[str, Any]) -> list[Webhook]:
        """`payload` as a webhook to the Item's webhook URL; none if it has no URL."""
        if not item.webhook:
            return []
        return [self.outbox.webhook(item.client_id, item.webhook, payload, item_id=item.item_id)]

    def _entry(
        self, actor: str, action: str, request_id: str | None, item: Item,
        token_hash: str | None,
    ) -> audit.AuditEntry:  # fmt: skip
        return audit.entry(
            self.clock.now(), actor, action, request_id, item_id=item.item_id,
            token_hash=token_hash,
        )  # fmt: skip


def _fired_type(webhook_code: str, webhook_type: str | None, new_transactions: int | None) -> str:
    """The webhook type a test webhook of `webhook_code` is fired as (INVALID_FIELD for a
    code, a type or a count /sandbox/item/fire_webhook refuses)."""
    if new_transactions is not None and not 0 <= new_transactions <= MAX_NEW_TRANSACTIONS:
        raise errors.InvalidField(
            f"options.new_transactions must be between 0 and {MAX_NEW_TRANSACTIONS}"
        )
    if webhook_code == "DEFAULT_UPDATE":
        types: tuple[str, ...] = tuple(DEFAULT_UPDATE_TYPES)
    elif webhook_code in FIRED_AS:
        types = FIRED_AS[webhook_code][0]
    else:
        raise errors.InvalidField("webhook_code must be one of " + ", ".join(WEBHOOK_CODES))
    chosen = types[0] if webhook_type is None else webhook_type
    if chosen not in types:
        raise errors.InvalidField(
            f"webhook_type {chosen} cannot be fired with webhook_code {webhook_code};"
            " it takes " + ", ".join(types)
        )
    return chosen


def _has(item: Item, product: str) -> bool:
    return any(p == product or _IMPLIED.get(p) == product for p in item.products)


_DEFAULT_UPDATE_FIELDS: dict[str, dict[str, Any]] = {
    "TRANSACTIONS": {"error": None, "new_transactions": 0},
    "AUTH": {"account_ids_with_new_auth": [], "account_ids_with_updated_auth": {}, "error": None},
    "IDENTITY": {"account_ids_with_updated_identity": {}, "error": None},
    "HOLDINGS": {"error": None, "new_holdings": 0, "updated_holdings": 0},
    "INVESTMENTS_TRANSACTIONS": {
        "error": None, "new_investments_transactions": 0, "cancelled_investments_transactions": 0,
    },
    "LIABILITIES": {
        "error": None, "account_ids_with_new_liabilities": [],
        "account_ids_with_updated_liabilities": {},
    },
}  # fmt: skip


def _asset_report_id(item: Item) -> str:
    # The sandbox makes no Asset Reports: the id is derived from the Item, so that repeated
    # webhooks of one Item name one report.
    return "assets-" + item.item_id
