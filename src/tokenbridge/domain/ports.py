"""The ports: every interface the domain needs from outside, owned by the domain.

The domain's services are written against these Protocols only. The composition root
(`tokenbridge.app`) chooses what implements each one: `storage` implements `Store`,
`sandbox.SandboxBank` implements `Bank`, `clock.SystemClock` implements `Clock` and
`webhooks.DeliveryWorker` implements `Outbox` and `webhooks.signing.ES256Keys`
implements `WebhookKeyMaker`. A test, or a later production mode, hands the
factory others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from tokenbridge.domain.audit import AuditEntry
from tokenbridge.domain.bank_records import (
    AccountNumbers,
    BankTransaction,
    Holding,
    InvestmentsAuthNumbers,
    InvestmentTransaction,
    LiabilitiesObject,
    Owner,
    Security,
    SignalScores,
)
from tokenbridge.domain.models import (
    Account,
    BankAccountToken,
    Client,
    CreatedTransaction,
    Fault,
    FaultRule,
    InboxDelivery,
    Institution,
    Item,
    LinkToken,
    Login,
    NewItem,
    ProcessorToken,
    SignalRecord,
    TransactionsState,
    Webhook,
    WebhookAttempt,
    WebhookKey,
)


class Clock(Protocol):
    """Where every "now" of the domain comes from."""

    def now(self) -> float:
        """The current time as Unix seconds (UTC)."""


class Outbox(Protocol):
    """What hears that webhooks were written to the store's outbox: the local delivery
    worker, which then looks for due webhooks at once rather than at its next poll."""

    def notify(self) -> None:
        """Webhooks are due. Returns at once and never raises: the webhooks are already
        stored, and every worker over the store finds them by itself (Plaid fires webhooks
        after the API call that causes them, https://plaid.com/docs/api/webhooks/)."""


class WebhookKeyMaker(Protocol):
    """Where new webhook signing keys come from (the domain holds no cryptography)."""

    def new_key(self, created_at: float) -> WebhookKey:
        """A new P-256 key, not current, not expired, with a kid of its own."""


class Bank(Protocol):
    """Everything the bank behind the Items answers: institutions, the accounts a login
    links, and each product's data about an Item's accounts.

    The answers are the bank's: whether an account may be read for a product at all is
    the domain's rule (domain/eligibility.py), checked before the bank is asked.
    """

    def institution(self, institution_id: str) -> Institution | None:
        """The institution, or None if the bank has no such institution."""

    def institutions(self) -> Sequence[Institution]:
        """Every institution of the bank, in the bank's order."""

    def accounts_for_login(
        self, institution_id: str, username: str, password: str, item_id: str
    ) -> Login | None:
        """What these credentials link at the institution for the new Item `item_id`: the
        accounts, in the bank's order, and the profile to store with the Item. None when
        they are not a valid login. Raises the `PlaidError` of a login the bank refuses
        otherwise (a locked account, an institution that is down or no longer
        supported, a configuration it refuses, ...)."""

    def numbers(self, item: Item, account: Account) -> AccountNumbers:
        """The account's account and routing numbers (Auth)."""

    def owners(self, item: Item, account: Account) -> list[Owner]:
        """The owners of one of the Item's accounts (Identity)."""

    def liabilities(self, item: Item, accounts: Sequence[Account]) -> LiabilitiesObject:
        """Liability details of those of `accounts` that are liabilities."""

    def holdings(self, item: Item, account: Account) -> tuple[list[Holding], list[Security]]:
        """An investment account's holdings and the securities they name."""

    def investment_transactions(
        self, item: Item, account: Account
    ) -> tuple[list[InvestmentTransaction], list[Security]]:
        """An investment account's transactions, newest first, and the securities named."""

    def investments_numbers(self, item: Item, account: Account) -> InvestmentsAuthNumbers:
        """An investment account's numbers for moving its holdings (Investments Auth)."""

    def signal_scores(
        self, item: Item, account: Account, client_transaction_id: str, amount: float,
        returns: int,
    ) -> SignalScores:  # fmt: skip
        """Return-risk scores of a planned debit of `amount`, given `returns` ACH returns
        already reported for the account."""

    def transactions(
        self, item: Item, account: Account, days_requested: int, refreshes: Sequence[date],
        created: Sequence[CreatedTransaction] = (),
    ) -> dict[str, BankTransaction]:  # fmt: skip
        """The account's transactions (by transaction_id) with `days_requested` days of
        history, after refreshes on the days `refreshes` (oldest first), with those of
        `created` (the account's, added by /sandbox/transactions/create)."""

    def accepts_sandbox_transactions(self, item: Item) -> bool:
        """Whether /sandbox/transactions/create may add transactions to the Item."""


class Faults(Protocol):
    """What decides whether a Plaid call is faulted (domain/faults.py): consulted once per
    operation, after authentication, and only when `server_wide` is true or the client's
    world has a rule (`Client.faulted`), so that a call without a rule costs nothing."""

    # True while the server has rules of its own (`serve --faults FILE`), for every client.
    server_wide: bool

    async def fault_for(self, client: Client, path: str) -> Fault | None:
        """What this call to `path` gets (an error, a delay, a dropped connection), or None
        to answer it as usual. A rule with a limited number of uses spends one here."""


class StoreUnavailable(Exception):
    """The database cannot be reached or failed; the request may succeed if retried."""


class Store(Protocol):
    async def migrate(self) -> None:
        """Apply every migration not yet applied. Safe when several servers start at once."""

    async def close(self) -> None:
        """Release connections. The store is unusable afterwards."""

    async def create_client(self, client: Client, audit: Sequence[AuditEntry] = ()) -> bool:
        """Insert a client. Returns False (and changes nothing) if the client_id exists.

        Every write method takes `audit`: entries written in the same transaction as the
        change, and only if the change is made.
        """

    async def put_client(self, client: Client, audit: Sequence[AuditEntry] = ()) -> None:
        """Insert a client, or replace the secret and name of the existing one."""

    async def get_client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""

    async def list_clients(
        self, *, partners: bool | None = None, world: str | None = None,
        after: tuple[float, str] | None = None, limit: int | None = None,
    ) -> list[Client]:  # fmt: skip
        """Clients, oldest first (by created_at, then client_id): every one, or with
        `partners` only partners (True) or only developers' clients (False), of `world` if
        given; with `after` (a client's (created_at, client_id)), those after it; at most
        `limit`."""

    async def count_clients(self) -> tuple[int, int]:
        """How many developers' clients and how many partners there are."""

    async def create_item(
        self, new: NewItem, audit: Sequence[AuditEntry] = (), webhooks: Sequence[Webhook] = ()
    ) -> None:
        """Write an Item with its accounts, any first tokens and, with
        `new.transactions_days`, its transactions state, all in one transaction with the
        audit entries and the webhooks its creation fires."""

    async def count_items(self) -> int:
        """How many Items were ever created, removed ones included."""

    async def list_items(
        self, client_id: str | None = None, limit: int = 100, *,
        before: tuple[float, str] | None = None,
    ) -> list[Item]:  # fmt: skip
        """At most `limit` Items, newest first (by created_at, then item_id), removed ones
        included: of the client with this id, or of every client. With `before` (an Item's
        (created_at, item_id)), only those that come after it in that order: the next
        page."""

    async def claim_seeded_start(self) -> int:
        """Count one more start of a seeded server on this database; returns how many
        started before it (0 on a fresh database). Atomic: servers starting together on one
        database each get a number of their own."""

    async def get_item(self, item_id: str) -> Item | None:
        """The Item, removed or not, or None if it never existed."""

    async def get_accounts(self, item_id: str) -> list[Account]:
        """The Item's accounts in Plaid's order (by position)."""

    async def get_account(self, account_id: str) -> Account | None:
        """The account with this id, whatever its Item's state, or None."""

    async def remove_item(
        self, item_id: str, removed_at: float, audit: Sequence[AuditEntry] = ()
    ) -> bool:
        """Mark the Item removed. From then on no token of it is returned by any lookup.

        Returns False if it was already removed or never existed.
        """

    async def set_item_error(
        self,
        item_id: str,
        error_code: str | None,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
        *,
        logged_in_at: float | None = None,
    ) -> bool:
        """Put the live Item into the error `error_code` (None: healthy again), and when
        given, record `logged_in_at` as when its user last logged in (a repair). False if
        the Item is removed or never existed.

        Here and wherever a write takes `webhooks`, they are written to the outbox in the
        transaction of the change, as `audit` is, and only if the change is made."""

    async def set_item_webhook(
        self,
        item_id: str,
        webhook: str | None,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
    ) -> bool:
        """Set (or with None, remove) the live Item's webhook URL. False if the Item is
        removed or never existed."""

    async def add_item_products(
        self, item_id: str, products: Sequence[str], audit: Sequence[AuditEntry] = ()
    ) -> tuple[str, ...] | None:
        """Add `products` to the live Item's products (those it has keep their place, new
        ones go last) and record `audit` if any was new; the Item's products after it, or
        None if the Item is removed or never existed."""

    async def exchange_public_token(
        self,
        token_hash: str,
        client_id: str,
        now: float,
        access_token_hash: str,
        audit: Sequence[AuditEntry] = (),
    ) -> str | None:
        """Consume a public token and store an access token for its Item, atomically, once.

        The public token must belong to `client_id`, be unexpired at `now`, unused, and its
        Item not removed. Returns the item_id, or None (writing nothing) otherwise: of any
        number of concurrent exchanges of one token, exactly one gets the item_id. The
        audit entries get the item_id filled in, as it is known only here.
        """

    async def get_item_by_access_token(
        self, token_hash: str, *, client_id: str | None = None
    ) -> Item | None:
        """The Item of this access token, or None if the token is unknown or the Item removed.

        With `client_id`, None also if the token is another client's. Every token lookup of
        a request names the client: another client's token is then a lookup that finds no
        row, the very path of a token that never existed, so that neither the answer nor
        its timing tells them apart.
        """

    async def get_item_and_account(
        self, token_hash: str, account_id: str, *, client_id: str | None = None
    ) -> tuple[Item, Account | None] | None:
        """The Item of this access token with its account `account_id` (None if the Item has
        no such account), or None as for get_item_by_access_token (one round trip: the
        token-making writes start here)."""

    async def create_processor_token(
        self, token: ProcessorToken, audit: Sequence[AuditEntry] = ()
    ) -> None:
        """Insert a processor token with its permissions."""

    async def get_processor_token(
        self, token_hash: str, *, client_id: str | None = None
    ) -> ProcessorToken | None:
        """The processor token, or None if unknown or its Item is removed; with
        `client_id`, None also if another client made it (as get_item_by_access_token)."""

    async def get_processor_token_grant(
        self, token_hash: str, *, usable_by: Client | None = None
    ) -> tuple[ProcessorToken, Item, Account] | None:
        """The processor token with its Item and account, or None if the token is unknown
        or its Item removed (one round trip: every partner read starts here).

        With `usable_by`, None also if that client may not use the token: a token made for
        a processor is usable by that processor's partners only, one that names no
        processor by the client that made it only (the rule of
        `ProcessorTokenService.processor_token_for_partner`, applied in the lookup so that
        another's token takes the path of an unknown one).
        """

    async def set_processor_token_products(
        self, token_hash: str, products: Sequence[str], audit: Sequence[AuditEntry] = ()
    ) -> bool:
        """Replace the token's permission list in one write. False if the token is gone."""

    async def create_bank_account_token(
        self, token: BankAccountToken, audit: Sequence[AuditEntry] = ()
    ) -> None:
        """Insert a Stripe bank account token."""

    async def get_bank_account_token(self, token_hash: str) -> BankAccountToken | None:
        """The bank account token, or None if unknown or its Item is removed."""

    async def list_bank_account_tokens(self, item_id: str) -> list[BankAccountToken]:
        """Every Stripe bank account token of the Item, removed or not, oldest first."""

    async def set_account_verification_status(
        self,
        account_id: str,
        status: str,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
    ) -> bool:
        """Move the account out of `pending_automatic_verification` to `status`, atomically.

        False (writing nothing) if the account is not pending automatic verification, or its
        Item is removed: of concurrent calls, exactly one moves it.
        """

    # Link tokens ------------------------------------------------------------------------

    async def create_link_token(self, token: LinkToken, audit: Sequence[AuditEntry] = ()) -> None:
        """Insert a Link token with what /link/token/get echoes back."""

    async def get_link_token(self, token_hash: str, *, client_id: str) -> LinkToken | None:
        """The Link token, expired or not, or None if it is unknown or another client's (the
        lookup names the client, as get_item_by_access_token's does)."""

    # Audit log and rate-limit counters ---------------------------------------------------

    async def list_audit(self, item_id: str | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first; only those about one Item if `item_id` is given."""

    async def list_audit_page(
        self, *, item_id: str | None = None, actor: str | None = None,
        action: str | None = None, since: float | None = None, until: float | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:  # fmt: skip
        """Audit entries, newest first, of the Item, the actor and the action given, made at
        `since` or later and before `until`: about `limit` of them, the page ending with
        every entry of its last instant (so the next page is the one with `until` set to
        that instant, and no entry falls between two pages)."""

    async def increment_rate_counters(
        self, scopes: Sequence[str], window_start: int, prune_before: int | None = None
    ) -> list[int]:
        """Add one to the counter of each scope in the window, atomically; the new counts.

        Every server over the database counts in the same rows. With `prune_before`, the
        counters of older windows are deleted in the same transaction.
        """

    # Partner side ------------------------------------------------------------------------

    async def set_processor_token_webhook(
        self,
        token_hash: str,
        webhook: str | None,
        audit: Sequence[AuditEntry] = (),
        webhooks: Sequence[Webhook] = (),
    ) -> bool:
        """Set (or with None, remove) the token's webhook URL. False if the token is gone."""

    async def add_signal_record(
        self,
        item_id: str,
        account_id: str,
        kind: str,
        client_transaction_id: str | None,
        data: dict[str, Any],
        created_at: float,
        client_id: str | None = None,
    ) -> None:
        """Record a Signal call of `kind` (evaluate, decision, return, prepare) for an account,
        made by `client_id` (the developer with an access token, or the partner with a
        processor token)."""

    async def list_signal_records(
        self, item_id: str, kind: str | None = None
    ) -> list[SignalRecord]:
        """The Item's Signal records, oldest first, as (account_id, kind,
        client_transaction_id, data, created_at); only those of `kind` if it is given."""

    async def find_signal_evaluation(
        self, client_id: str, client_transaction_id: str, account_id: str | None = None
    ) -> tuple[str, str] | None:
        """(item_id, account_id) of the latest evaluation `client_id` made with this
        client_transaction_id on a live Item (of `account_id` only, if given), or None. With
        `account_id`, a record older than the record of its maker counts as the partner's
        it then was."""

    # Transactions ------------------------------------------------------------------------

    async def get_transactions_state(self, item_id: str) -> TransactionsState | None:
        """The Item's transactions state, or None while Transactions is not initialized."""

    async def init_transactions(
        self, item_id: str, days_requested: int, now: float, *, webhooks: Sequence[Webhook] = ()
    ) -> TransactionsState:
        """Initialize Transactions on the Item (generation 0) unless it already is; the state.

        Of several servers initializing one Item at once, the first write wins and every
        one of them gets the state it wrote; only the winner's `webhooks` are written (in
        its transaction), so Transactions starting fires its webhooks once.
        """

    async def refresh_transactions(
        self,
        item_id: str,
        now: float,
        *,
        generation: int | None = None,
        webhooks: Sequence[Webhook] = (),
    ) -> TransactionsState | None:
        """Add one refresh round at `now`, atomically; the state after it.

        With `generation`, only if that is still the Item's generation (the caller worked
        out the round's webhooks from it): None, writing nothing, if another round came
        first. The Item's Transactions must be initialized.
        """

    async def create_sandbox_transactions(
        self,
        item_id: str,
        transactions: Sequence[CreatedTransaction],
        now: float,
        audit: Sequence[AuditEntry] = (),
        *,
        generation: int | None = None,
        webhooks: Sequence[Webhook] = (),
    ) -> TransactionsState | None:
        """Add one refresh round at `now` that adds `transactions`, atomically; the state
        after it, `created` included. Each is stored with that round as its generation
        (whatever the records say). With `generation`, as refresh_transactions: None if
        another round came first. The Item's Transactions must be initialized."""

    async def list_sandbox_transactions(self, item_id: str) -> list[CreatedTransaction]:
        """What /sandbox/transactions/create added to the Item, oldest first."""

    async def add_transactions_sync_user(self, item_id: str, subject: str, now: float) -> None:
        """Record that `subject` ('' for the developer, else a processor token hash) syncs."""

    async def list_processor_tokens(self, item_id: str) -> list[ProcessorToken]:
        """Every processor token of the Item, oldest first."""

    # Webhook signing keys ----------------------------------------------------------------

    async def ensure_webhook_key(
        self, candidate: WebhookKey, audit: Sequence[AuditEntry] = ()
    ) -> WebhookKey:
        """The current webhook signing key; `candidate` is stored as the current key first
        (with `audit`) if there is none. Atomic: of servers starting at once over one
        database, one stores its candidate and every one of them gets that key back."""

    async def rotate_webhook_key(
        self, new: WebhookKey, old_expires_at: float, audit: Sequence[AuditEntry] = ()
    ) -> WebhookKey | None:
        """Make `new` the current key, in one transaction with `audit`: the key that was
        current stays stored (and published) with `expired_at` = `old_expires_at`, and is
        returned as it is now (None if there was no current key). Of concurrent rotations
        each one's key is current in turn, and every key but the last ends up expired."""

    async def get_webhook_key(self, kid: str) -> WebhookKey | None:
        """The key with this kid, expired or not, or None."""

    async def current_webhook_key(self) -> WebhookKey | None:
        """The key that signs now, or None before any was made."""

    async def list_webhook_keys(self) -> list[WebhookKey]:
        """Every key, oldest first."""

    # The webhook outbox (domain/outbox.py) ----------------------------------------------

    async def enqueue_webhooks(
        self, webhooks: Sequence[Webhook], audit: Sequence[AuditEntry] = ()
    ) -> None:
        """Write webhooks that accompany no other change (a test webhook), with `audit` in
        the same transaction."""

    async def claim_webhooks(self, now: float, claim_until: float, limit: int) -> list[Webhook]:
        """Up to `limit` pending webhooks due at `now` and claimed by no one (or by a claim
        that lapsed), oldest due first, each claimed until `claim_until`. Of workers
        claiming at once, over any number of servers, each webhook goes to one."""

    async def next_webhook_due(self) -> float | None:
        """When the next pending, unclaimed webhook is due, or None if none is."""

    async def record_webhook_attempt(
        self,
        webhook_id: str,
        at: float,
        latency_ms: float,
        status_code: int | None,
        error: str | None,
        status: str,
        next_attempt_at: float | None,
    ) -> None:
        """Record how an attempt ended (as the webhook's next `WebhookAttempt`) and what
        becomes of the webhook: its `status`, the next attempt's time (while pending), one
        more attempt in its round, no claim."""

    async def list_webhooks(
        self, *, item_id: str | None = None, status: str | None = None, limit: int = 50,
        client_id: str | None = None, before: tuple[float, str] | None = None,
    ) -> list[Webhook]:  # fmt: skip
        """The newest webhooks, newest first by created_at, then webhook_id (of `item_id`,
        in `status`, of `client_id`, if given); with `before` (a webhook's (created_at,
        webhook_id)), those after it in that order."""

    async def get_webhook(self, webhook_id: str) -> Webhook | None: ...

    async def list_webhook_attempts(self, webhook_id: str) -> list[WebhookAttempt]:
        """The webhook's attempts, oldest first."""

    async def redeliver_webhook(
        self, webhook_id: str, now: float, audit: Sequence[AuditEntry] = ()
    ) -> bool:
        """Begin a new round for the webhook, its first attempt due at `now` (its attempts so
        far are kept). False if there is no such webhook."""

    # The virtual clock ---------------------------------------------------------------

    async def advance_clock(
        self, world: str, seconds: float, audit: Sequence[AuditEntry] = ()
    ) -> float | None:
        """Move the clock of every client of the isolated `world` `seconds` on (an
        increment, so that advances made at once all count), with `audit`; the world's
        clock offset after it, or None (and nothing written) if no client has that world."""

    async def list_clock_items(self, client_id: str) -> list[tuple[Item, float]]:
        """The client's live Items, oldest first, each with when its user last logged in
        (its creation, or its last repair), on the client's clock."""

    # Worlds and inboxes (the control API) ---------------------------------------------

    async def reset_client(self, client_id: str, audit: Sequence[AuditEntry] = ()) -> None:
        """Delete everything of the client but the client itself: its Items with their
        accounts, tokens, transactions and Signal records, its Link tokens, its webhooks
        with their attempts, its rate-limit counters and the fault rules of its world
        (stored under its client_id); in one transaction with `audit`.
        The audit log is kept."""

    async def reset_everything(self, audit: Sequence[AuditEntry] = ()) -> None:
        """Delete the data of every client (as reset_client), every client of an isolated
        world (world != ""), every inbox, rate-limit counter and fault rule, in one transaction
        with `audit`. The shared world's clients, the webhook keys and the audit log stay."""

    async def add_fault_rule(self, rule: FaultRule, audit: Sequence[AuditEntry] = ()) -> None:
        """Insert a fault rule and mark every client of its world (`rule.world`: the
        clients whose client_id or world it is) faulted, in one transaction with `audit`.
        A client made in the world later is made faulted."""

    async def list_fault_rules(self, world: str) -> list[FaultRule]:
        """The world's rules that have a use left (or are unlimited), oldest first."""

    async def take_fault_rule(self, rule_id: str) -> bool:
        """Spend one use of a limited rule, atomically: False (nothing written) if it has
        none left or is gone, so that of any number of servers taking at once, as many
        succeed as the rule had uses. The rule's last use deletes it, and clears the flag
        of its world's clients when no rule is left there."""

    async def remove_fault_rules(
        self, world: str, rule_id: str | None = None, audit: Sequence[AuditEntry] = ()
    ) -> int:
        """Delete the world's rule `rule_id` (all its rules, with None), clear the world's
        flag if none is left, in one transaction with `audit`; how many were deleted."""

    async def create_inbox(self, inbox_id: str, world: str, now: float) -> None:
        """Create an empty inbox."""

    async def add_inbox_delivery(
        self, inbox_id: str, now: float, headers: str, body: str, most: int
    ) -> bool | None:
        """Record a POST the inbox received, numbered after the last (`body` holds no NUL,
        which PostgreSQL's text cannot). None if there is no such inbox; False (nothing
        recorded) if it already holds `most`."""

    async def list_inbox_deliveries(
        self, inbox_id: str, after: int = 0, limit: int = 100
    ) -> list[InboxDelivery] | None:
        """The inbox's deliveries numbered after `after`, oldest first, at most `limit`;
        None if there is no such inbox."""
