"""The app's own cost per request, without a server or a network: the ASGI app is called
directly, 32 requests at a time, as uvicorn would hand them over under the benchmark's load.

    .venv/bin/python bench/inprocess.py                       # microseconds per request
    .venv/bin/python bench/inprocess.py auth_get --requests 1056
    valgrind --tool=callgrind .venv/bin/python bench/inprocess.py auth_get --requests 1056 \
        --repeats 1
    valgrind --tool=callgrind .venv/bin/python bench/inprocess.py --idle 11

Wall-clock figures here drift with the machine, as the server's do. Instruction counts do
not: run the same case under callgrind with --requests 32 and with --requests 1056 (and
--repeats 1), and the difference of the two totals over 1024 is the instructions one
request costs. That is how docs/PERFORMANCE.md compares one version of the request path with
the next.

The app is built as `tokenbridge serve` builds it, so its webhook delivery worker runs
beside the requests (idle: nothing here fires a webhook). `--idle SECONDS` starts the app,
waits and stops it, with no request: the difference of `--idle 11` and `--idle 1` under
callgrind, over 10, is what the idle worker costs a second. The two cases that write a
webhook, fire_webhook (`/sandbox/item/fire_webhook`) and webhook_update
(`/item/webhook/update`), run on a second app over a database of its own whose webhooks go
nowhere (an Outbox that only listens), so that they measure the request, not the delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvloop

from tokenbridge.app import create_app
from tokenbridge.settings import Settings

CLIENT_ID = "bench-client"
SECRET = "bench-secret-0123456789abcdef"
AT_ONCE = 32

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


WEBHOOK_CASES = ("fire_webhook", "webhook_update")
HOOK = "https://receiver.example/hook"


class Listening:
    """An Outbox that sends nothing: webhooks written (or handed over, in the versions
    before the durable outbox) stay where they are."""

    def notify(self) -> None:
        pass

    def send(self, url: str, payload: dict[str, Any]) -> None:
        pass


def settings_in(work: Path, name: str) -> Settings:
    return Settings().with_overrides(
        database_url=f"sqlite:///{work}/{name}.db", client_id=CLIENT_ID, secret=SECRET,
        rate_limits=False,
    )  # fmt: skip


async def idle(seconds: float) -> None:
    """Start the app, wait `seconds` with no request, stop it."""
    app = create_app(settings_in(Path(tempfile.mkdtemp(prefix="tokenbridge-idle-")), "idle"))
    await app.startup()
    await asyncio.sleep(seconds)
    await app.shutdown()
    print(f"idle {seconds:g} s", flush=True)


async def run(cases: list[str], requests: int, repeats: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="tokenbridge-inprocess-"))
    app = create_app(settings_in(work, "inprocess"))
    await app.startup()
    assert app.services is not None
    services = app.services
    developer = await services.clients.authenticate(CLIENT_ID, SECRET)
    partner, partner_secret = await services.clients.create_client("partner", "dwolla")
    public = await services.items.sandbox_public_token_create(developer, "ins_109508", ["auth"])
    access_token, _ = await services.items.item_public_token_exchange(developer, public)
    accounts = (await services.items.accounts_get(developer, access_token)).accounts
    account_id = accounts[0].account_id
    token = await services.processor_tokens.processor_token_create(
        developer, access_token, account_id, "dwolla"
    )
    unknown = "processor-sandbox-00000000-0000-4000-8000-000000000000"
    dev, part = (CLIENT_ID, SECRET), (partner.client_id, partner_secret)
    table: dict[str, tuple[str, dict[str, str], tuple[str, str]]] = {
        "permissions_get": ("/processor/token/permissions/get", {"processor_token": token}, dev),
        "auth_get": ("/processor/auth/get", {"processor_token": token}, part),
        "accounts_get": ("/accounts/get", {"access_token": access_token}, dev),
        "invalid_token": ("/processor/token/permissions/get", {"processor_token": unknown}, dev),
        "token_create": ("/processor/token/create", {"access_token": access_token,
                         "account_id": account_id, "processor": "dwolla"}, dev),
    }  # fmt: skip
    quiet = create_app(settings_in(work, "webhooks"), outbox=Listening())
    apps = {name: app for name in table}
    if set(cases) & set(WEBHOOK_CASES):
        await quiet.startup()
        assert quiet.services is not None
        hooked = quiet.services
        developer = await hooked.clients.authenticate(CLIENT_ID, SECRET)
        public = await hooked.items.sandbox_public_token_create(
            developer, "ins_109508", ["auth"], webhook=HOOK
        )
        hooked_token, _ = await hooked.items.item_public_token_exchange(developer, public)
        fire = {"access_token": hooked_token, "webhook_code": "DEFAULT_UPDATE",
                "webhook_type": "AUTH"}  # fmt: skip
        table["fire_webhook"] = ("/sandbox/item/fire_webhook", fire, dev)
        update = {"access_token": hooked_token, "webhook": HOOK}
        table["webhook_update"] = ("/item/webhook/update", update, dev)
        apps.update({name: quiet for name in WEBHOOK_CASES})
    for name in cases or [c for c in table if c not in WEBHOOK_CASES]:
        path, body, (client_id, secret) = table[name]
        target = apps[name]
        raw = json.dumps(body).encode()
        scope = {
            "type": "http", "method": "POST", "path": path,
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"plaid-version", b"2020-09-14"),
                        (b"plaid-client-id", client_id.encode()),
                        (b"plaid-secret", secret.encode()),
                        (b"content-length", str(len(raw)).encode())],
        }  # fmt: skip
        statuses: set[int] = set()

        async def receive(raw: bytes = raw) -> Message:
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: Message, statuses: set[int] = statuses) -> None:
            if message["type"] == "http.response.start":
                statuses.add(message["status"])

        def call(
            scope: Message = scope, receive: Receive = receive, send: Send = send,
            target: Any = target,
        ) -> Any:  # fmt: skip
            return target(scope, receive, send)

        best = float("inf")
        for _ in range(AT_ONCE):  # warm-up: the page cache, the interpreter's specialising
            await asyncio.gather(*(call() for _ in range(AT_ONCE)))
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(requests // AT_ONCE):
                await asyncio.gather(*(call() for _ in range(AT_ONCE)))
            best = min(best, (time.perf_counter() - started) / requests * 1e6)
        print(f"{name:16} {best:7.1f} us/request  statuses {sorted(statuses)}", flush=True)
    await app.shutdown()
    if quiet.services is not None:
        await quiet.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="permissions_get, auth_get, accounts_get,"
                        " invalid_token, token_create (default: these five), fire_webhook,"
                        " webhook_update")  # fmt: skip
    parser.add_argument("--requests", type=int, default=3200, help="requests per repeat")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many (5)")
    parser.add_argument("--idle", type=float, metavar="SECONDS",
                        help="no requests: start the app, wait this long, stop it")  # fmt: skip
    args = parser.parse_args()
    if args.idle is not None:
        uvloop.run(idle(args.idle))
        return
    uvloop.run(run(args.cases, args.requests, args.repeats))


if __name__ == "__main__":
    main()
