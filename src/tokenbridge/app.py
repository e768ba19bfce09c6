"""The composition root: the one place that knows every piece and builds the app from them.

`create_app` chooses what implements each of the domain's ports (a store from the database
URL, the sandbox bank, the system clock, the webhook delivery worker and its signer, the
maker of webhook keys), builds the domain's services
once over them, and hands them to the HTTP app with the route table. Tests, the benchmark
and the command line build apps here, and may hand in any port themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenbridge.clock import SystemClock
from tokenbridge.dashboard import DashboardApp
from tokenbridge.domain.faults import parse_rules_file
from tokenbridge.domain.models import FaultRule
from tokenbridge.domain.ports import Bank, Clock, Outbox, Store
from tokenbridge.domain.randomness import RandomSource
from tokenbridge.domain.ratelimits import RateLimiter, rate_limiter
from tokenbridge.domain.services import Services
from tokenbridge.domain.webhook_destinations import WebhookDestinations
from tokenbridge.http import openapi
from tokenbridge.http.app import TokenBridgeApp
from tokenbridge.http.control import CONTROL_PREFIX, INBOX_PREFIX, ControlApp, InboxApp
from tokenbridge.http.router import DASHBOARD_PREFIX, Endpoint, Mount, Router
from tokenbridge.http.routes import OPERATIONS
from tokenbridge.sandbox.bank import SandboxBank
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store
from tokenbridge.webhooks import DeliveryWorker
from tokenbridge.webhooks.signing import ES256Keys, WebhookSigner

_HEALTH = b'{"status":"ok"}'


class _NoWorker:
    """The Outbox of a process that runs no delivery worker (a command of the command line):
    what it writes to the outbox is sent by the servers' workers, at their next look."""

    def notify(self) -> None:
        pass


def build_services(
    settings: Settings,
    store: Store,
    *,
    bank: Bank | None = None,
    clock: Clock | None = None,
    outbox: Outbox | None = None,
    limiter: RateLimiter | None = None,
) -> Services:
    """The domain's services over `store` and the ports given (the defaults otherwise), for
    the command line and tests that need no HTTP."""
    clock = clock or SystemClock()
    destinations = WebhookDestinations.parse(settings.webhook_hosts)
    return Services.build(
        store=store,
        bank=bank or SandboxBank(),
        clock=clock,
        outbox=outbox or _NoWorker(),
        random=RandomSource(settings.seed),
        environment=settings.environment,
        rate_limiter=limiter
        or rate_limiter(settings.rate_limits, store, clock, settings.rate_limit_scale),
        webhook_destinations=destinations,
        webhook_key_maker=ES256Keys(),
        operation_paths=OPERATION_PATHS,
        fault_rules=load_fault_rules(settings.faults) if settings.faults else (),
    )


# The paths a fault rule may name: Plaid's operations that this server serves.
OPERATION_PATHS = tuple(op.path for op in OPERATIONS)


def load_fault_rules(path: str) -> list[FaultRule]:
    """The server's own fault rules from the --faults file (TOKENBRIDGE_FAULTS); ValueError
    with a message that names the file and what is wrong in it."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--faults {path}: cannot read it: {exc}") from None
    try:
        return parse_rules_file(text, OPERATION_PATHS)
    except ValueError as exc:
        raise ValueError(f"--faults {path}: {exc}") from None


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    bank: Bank | None = None,
    clock: Clock | None = None,
    outbox: Outbox | None = None,
    limiter: RateLimiter | None = None,
    mounts: Iterable[Mount] = (),
) -> TokenBridgeApp:
    """The ASGI app. Without `store`, the store named by `settings.database_url` is opened
    at start-up (in each worker process); either way the app closes it at shutdown.
    Services tell `outbox` of the webhooks they write; without one, this app runs a delivery
    worker from start-up to shutdown. `mounts` are
    further surfaces of ours under /_tokenbridge/. The dashboard is mounted at
    /dashboard/, with the admin key of `settings`."""
    # The worker judges each destination after DNS; the services judge each URL when set.
    destinations = WebhookDestinations.parse(settings.webhook_hosts)
    # The worker signs every attempt with the store's current key, so it is made once the
    # store is open; `stop` stops it.
    workers: list[DeliveryWorker] = []
    # The services once built, for the mounted edges.
    built: list[Services] = []

    async def start() -> Services:
        opened = store if store is not None else await open_store(settings.database_url)
        notified = outbox
        if notified is None:
            signer = WebhookSigner(opened, clock or SystemClock())
            worker = DeliveryWorker(
                opened, signer, destinations=destinations, retry_scale=settings.webhook_retry_scale
            )
            workers.append(worker)
            notified = worker
        services = build_services(
            settings, opened, bank=bank, clock=clock, outbox=notified, limiter=limiter
        )
        random = services.ids.random
        if random.seeded:
            random.resume(await opened.claim_seeded_start())
        if settings.client_id and settings.secret:
            await services.clients.pin_client(settings.client_id, settings.secret, "sandbox")
        for worker in workers:
            worker.start()
        built[:] = [services]
        return services

    async def stop(services: Services) -> None:
        # Attempts in flight end (or are given up: their webhooks stay in the outbox for
        # the next start) before the store closes.
        for worker in workers:
            await worker.stop()
        workers.clear()
        await services.store.close()

    def current() -> Services | None:
        return built[0] if built else None

    document: list[bytes] = []

    def openapi_document() -> tuple[int, bytes]:
        # Built on first use: most servers are never asked for it.
        if not document:
            document.append(openapi.encode(openapi.build()))
        return 200, document[0]

    router = Router(
        OPERATIONS,
        endpoints=[
            Endpoint("/health", lambda: (200, _HEALTH)),
            Endpoint("/openapi.json", openapi_document),
        ],
        mounts=[
            *mounts,
            Mount(CONTROL_PREFIX, ControlApp(current, settings.admin_key, settings.max_body_bytes)),
            Mount(INBOX_PREFIX, InboxApp(current, settings.max_body_bytes)),
            # The operator's pages: after every Plaid path and the mounts above, so a Plaid
            # request never looks at it.
            Mount(
                DASHBOARD_PREFIX, DashboardApp(current, settings.admin_key, settings.max_body_bytes)
            ),
        ],
    )
    return TokenBridgeApp(router, start, stop, max_body_bytes=settings.max_body_bytes)


def app_from_env() -> TokenBridgeApp:
    """The factory that `--workers N` worker processes call (settings from TOKENBRIDGE_*)."""
    from tokenbridge.settings import from_env

    return create_app(from_env())
