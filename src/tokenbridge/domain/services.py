"""The domain's services, built once over the ports and handed to every edge.

The composition root (`tokenbridge.app`) chooses the implementations; this only wires the
services to them and to each other, in one place, so that every service of one app shares
one store, one bank, one clock, one outbox and one source of ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokenbridge.domain.clients import ClientService
from tokenbridge.domain.faults import FaultService
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.institutions import InstitutionService
from tokenbridge.domain.items import ItemService
from tokenbridge.domain.link_tokens import LinkTokenService
from tokenbridge.domain.models import FaultRule
from tokenbridge.domain.operator import OperatorService
from tokenbridge.domain.outbox import Outboxes, WebhookOutboxService
from tokenbridge.domain.partner import PartnerService
from tokenbridge.domain.ports import Bank, Clock, Outbox, Store, WebhookKeyMaker
from tokenbridge.domain.processor_tokens import ProcessorTokenService
from tokenbridge.domain.randomness import RandomSource
from tokenbridge.domain.ratelimits import NoRateLimits, RateLimiter
from tokenbridge.domain.sandbox_items import SandboxItemService
from tokenbridge.domain.signal import SignalService
from tokenbridge.domain.timeline import TimelineService
from tokenbridge.domain.transactions import TransactionsService
from tokenbridge.domain.webhook_destinations import ANYWHERE, WebhookDestinations
from tokenbridge.domain.webhook_keys import WebhookKeyService


@dataclass(frozen=True, slots=True)
class Services:
    store: Store
    bank: Bank
    clock: Clock
    outbox: Outbox
    ids: Ids
    clients: ClientService
    items: ItemService
    processor_tokens: ProcessorTokenService
    partner: PartnerService
    sandbox_items: SandboxItemService
    signal: SignalService
    transactions: TransactionsService
    link_tokens: LinkTokenService
    institutions: InstitutionService
    webhook_keys: WebhookKeyService
    webhook_deliveries: WebhookOutboxService
    operator: OperatorService
    faults: FaultService

    @classmethod
    def build(
        cls,
        *,
        store: Store,
        bank: Bank,
        clock: Clock,
        outbox: Outbox,
        random: RandomSource,
        environment: str = "sandbox",
        rate_limiter: RateLimiter | None = None,
        webhook_destinations: WebhookDestinations = ANYWHERE,
        webhook_key_maker: WebhookKeyMaker | None = None,
        operation_paths: Sequence[str] = (),
        fault_rules: Sequence[FaultRule] = (),
    ) -> Services:
        """Every service over these ports. Without `rate_limiter`, nothing is limited;
        `webhook_destinations` is what a webhook URL may point to when it is set. Without
        `webhook_key_maker`, webhook keys can be read but not made or rotated.
        `operation_paths` are the Plaid paths a fault rule may name; `fault_rules` the
        server's own rules (`serve --faults FILE`)."""
        ids = Ids(random, environment)
        # The client service draws from `random` first, as it always has: a seeded server
        # hands out the same ids as before.
        clients = ClientService(store, ids, clock)
        # Services write the webhooks they fire to the store; `outbox` hears of them.
        webhooks = Outboxes(ids, clock, outbox)
        items = ItemService(
            store, bank, ids, clock, rate_limiter or NoRateLimits(), webhooks,
            webhook_destinations,
        )  # fmt: skip
        processor_tokens = ProcessorTokenService(store, items, ids, clock, webhooks)
        sandbox_items = SandboxItemService(items, webhooks, environment)
        transactions = TransactionsService(store, bank, clock, webhooks, items, processor_tokens)
        timeline = TimelineService(store, clock, clients, transactions, sandbox_items)
        faults = FaultService(store, ids, clock, clients.forget, operation_paths, fault_rules)
        return cls(
            store=store,
            bank=bank,
            clock=clock,
            outbox=outbox,
            ids=ids,
            clients=clients,
            items=items,
            processor_tokens=processor_tokens,
            partner=PartnerService(bank, items, processor_tokens),
            sandbox_items=sandbox_items,
            signal=SignalService(store, bank, clock, items, processor_tokens),
            transactions=transactions,
            link_tokens=LinkTokenService(store, items, ids, clock),
            institutions=InstitutionService(bank),
            webhook_keys=WebhookKeyService(store, clock, webhook_key_maker),
            webhook_deliveries=WebhookOutboxService(store, clock, outbox),
            operator=OperatorService(
                store, ids, clock, clients, items, sandbox_items, timeline, faults
            ),
            faults=faults,
        )
