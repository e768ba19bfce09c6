"""The `tokenbridge` command. The only module that prints."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import shutil
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tokenbridge import __version__
from tokenbridge.app import build_services, load_fault_rules
from tokenbridge.domain import outbox
from tokenbridge.domain.audit import AuditEntry, token_id
from tokenbridge.domain.catalog import PROCESSORS
from tokenbridge.domain.clients import ClientService
from tokenbridge.domain.link import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tokenbridge.domain.models import WebhookKey
from tokenbridge.domain.ports import Store, StoreUnavailable
from tokenbridge.domain.randomness import RandomSource
from tokenbridge.domain.redaction import redact_url
from tokenbridge.domain.webhook_keys import ROTATION_GRACE_SECONDS
from tokenbridge.http.protocol import HttpLimits
from tokenbridge.settings import (
    Settings,
    default_database_path,
    default_database_url,
    from_env,
    parse_webhook_hosts,
    sqlite_url,
)
from tokenbridge.storage import DatabaseMissing, open_store, sqlite_path

# The institution `db seed` links its Items at (First Platypus Bank).
SEED_INSTITUTION = "ins_109508"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = from_env().with_overrides(database_url=getattr(args, "database_url", None))
        code: int = args.run(args, _locate_database(settings))
    except ValueError as exc:
        print(f"tokenbridge: {exc}", file=sys.stderr)
        return 2
    except DatabaseMissing as exc:
        print(f"tokenbridge: no database at {exc.path} (start tokenbridge serve,"
              " or pass --database-url)", file=sys.stderr)  # fmt: skip
        return 1
    except StoreUnavailable as exc:
        print(f"tokenbridge: database unavailable: {exc}", file=sys.stderr)
        return 1
    return code


# What `serve --help` lists after its options: every variable settings.from_env reads.
_ENVIRONMENT = """environment:
  TOKENBRIDGE_DATABASE_URL      the database (as --database-url)
  TOKENBRIDGE_CLIENT_ID         pin the sandbox client's client_id (with TOKENBRIDGE_SECRET)
  TOKENBRIDGE_SECRET            pin its secret (with TOKENBRIDGE_CLIENT_ID)
  TOKENBRIDGE_SEED              as --seed
  TOKENBRIDGE_RATE_LIMITS       on or off (as --rate-limits)
  TOKENBRIDGE_RATE_LIMIT_SCALE  multiply every rate limit (0.01 for fast tests)
  TOKENBRIDGE_WEBHOOK_HOSTS     as --webhook-hosts
  TOKENBRIDGE_WEBHOOK_RETRY_SCALE
                                multiply every webhook retry delay (0.001 for fast tests)
  TOKENBRIDGE_ADMIN_KEY         the control API's key (at least 16 characters); one is
                                made and printed at start when it is not set
  TOKENBRIDGE_FAULTS            a JSON file of fault rules for every client (serve --faults)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenbridge", description="A Plaid-compatible processor token service."
    )
    parser.add_argument("--version", action="version", version=f"tokenbridge {__version__}")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser(
        "serve",
        help="serve the API",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _database_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port to bind (8787)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    serve.add_argument("--seed", help="make ids, tokens and the sandbox client's credentials"
                       " deterministic (for tests only: its secrets are predictable)")  # fmt: skip
    serve.add_argument("--access-log", action="store_true", help="log every request line")
    limits = HttpLimits()
    serve.add_argument(
        "--max-connections",
        type=_positive(int),
        metavar="N",
        default=limits.max_connections,
        help=f"open connections per process ({limits.max_connections})",
    )
    for flag, name, what in (
        ("--idle-timeout", "idle_timeout", "close a connection with no request begun"),
        ("--head-timeout", "head_timeout", "a request's head must arrive within this"),
        ("--body-timeout", "body_timeout", "and its body within this of its head"),
    ):
        default = getattr(limits, name)
        serve.add_argument(flag, type=_positive(float), metavar="SECONDS", default=default,
                           help=f"{what} ({default:g} s)")  # fmt: skip
    serve.add_argument(
        "--webhook-hosts", metavar="LIST",
        help="where webhooks may go: 'any' (default), or a comma-separated list of 'public',"
        " IP addresses, networks (10.0.0.0/8) and host names; a shared deployment sets"
        " 'public' (TOKENBRIDGE_WEBHOOK_HOSTS)",
    )  # fmt: skip
    serve.add_argument(
        "--rate-limits",
        choices=("on", "off"),
        help="Plaid's Sandbox rate limits (TOKENBRIDGE_RATE_LIMITS; default on)",
    )
    serve.add_argument(
        "--faults", metavar="FILE",
        help="a JSON list of fault rules for every client (docs/TESTING.md, Faults); their"
        " `times` count per process (TOKENBRIDGE_FAULTS)",
    )  # fmt: skip
    serve.set_defaults(run=_serve)

    clients = commands.add_parser("clients", help="manage API clients").add_subparsers()
    create = clients.add_parser("create", help="create an API client and print its secret")
    _database_option(create)
    create.add_argument("--name", required=True, help="a label for the client (shown in audit)")
    create.add_argument("--json", action="store_true", help="print a JSON object")
    create.set_defaults(run=_clients_create)

    partners = commands.add_parser("partners", help="manage processor partners").add_subparsers()
    pcreate = partners.add_parser("create", help="create a processor partner's credentials")
    _database_option(pcreate)
    pcreate.add_argument("--processor", required=True, choices=PROCESSORS, metavar="NAME",
                         help="the processor, as /processor/token/create names it"
                         " (dwolla, moov, unit, ...)")  # fmt: skip
    pcreate.add_argument("--name", help="a label (defaults to the processor)")
    pcreate.add_argument("--json", action="store_true", help="print a JSON object")
    pcreate.set_defaults(run=_partners_create)

    audit = commands.add_parser("audit", help="print the audit log, oldest first")
    _database_option(audit)
    audit.add_argument("--item", metavar="ITEM_ID", help="only entries about this Item")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.set_defaults(run=_audit)

    for name, what in (("clients", "API clients"), ("partners", "processor partners")):
        group = next(a for a in commands.choices[name]._actions
                     if isinstance(a, argparse._SubParsersAction))  # fmt: skip
        listing = group.add_parser("list", help=f"list the {what}, oldest first")
        _database_option(listing)
        listing.add_argument("--json", action="store_true", help="one JSON object per line")
        listing.set_defaults(run=_list_clients, partners=name == "partners")
    items = commands.add_parser("items", help="see the Items").add_subparsers()
    ilist = items.add_parser("list", help="list the Items, newest first (removed ones too)")
    _database_option(ilist)
    ilist.add_argument("--client-id", metavar="ID", help="only this client's Items")
    ilist.add_argument("--limit", type=_positive(int), default=100, help="at most this many (100)")
    ilist.add_argument("--json", action="store_true", help="one JSON object per line")
    ilist.set_defaults(run=_list_items)
    tokens = commands.add_parser("tokens", help="see the processor tokens").add_subparsers()
    tlist = tokens.add_parser("list", help="list an Item's processor tokens, by token id")
    _database_option(tlist)
    tlist.add_argument("--item", metavar="ITEM_ID", required=True, help="the Item")
    tlist.add_argument("--json", action="store_true", help="one JSON object per line")
    tlist.set_defaults(run=_list_tokens)

    keys = commands.add_parser(
        "webhook-keys", help="manage the keys that sign webhooks"
    ).add_subparsers()
    rotate = keys.add_parser(
        "rotate",
        help="make a new signing key current; the old one stays published until it expires",
    )
    _database_option(rotate)
    rotate.add_argument(
        "--grace-seconds", type=float, metavar="SECONDS", default=ROTATION_GRACE_SECONDS,
        help="how long the old key stays valid"
        f" ({ROTATION_GRACE_SECONDS:g} s: as long as Plaid retries a webhook)",
    )  # fmt: skip
    rotate.add_argument("--json", action="store_true", help="print a JSON object")
    rotate.set_defaults(run=_webhook_keys_rotate)
    klist = keys.add_parser("list", help="list the signing keys, oldest first (public data only)")
    _database_option(klist)
    klist.add_argument("--json", action="store_true", help="one JSON object per line")
    klist.set_defaults(run=_webhook_keys_list)

    hooks = commands.add_parser(
        "webhooks", help="see the webhooks sent and being sent, and send one again"
    ).add_subparsers()
    wlist = hooks.add_parser("list", help="the newest webhooks, newest first, with their attempts")
    _database_option(wlist)
    wlist.add_argument("--item", metavar="ITEM_ID", help="only this Item's")
    wlist.add_argument("--status", choices=outbox.STATUSES, help="only those in this status")
    wlist.add_argument("--limit", type=int, default=50, help="at most this many (50)")
    wlist.add_argument("--json", action="store_true", help="one JSON object per line")
    wlist.set_defaults(run=_webhooks_list)
    again = hooks.add_parser(
        "redeliver", help="send a webhook again: a new round of Plaid's retry schedule"
    )
    _database_option(again)
    again.add_argument("webhook_id", help="the webhook's id (from `webhooks list`)")
    again.set_defaults(run=_webhooks_redeliver)

    db = commands.add_parser("db", help="manage the database").add_subparsers()
    upgrade = db.add_parser("upgrade", help="apply pending migrations")
    _database_option(upgrade)
    upgrade.set_defaults(run=_db_upgrade)
    seed = db.add_parser("seed", help="bulk-load synthetic Items and tokens (for benchmarks)")
    _database_option(seed)
    seed.add_argument("--items", type=int, required=True, help="how many Items (one token each)")
    seed.add_argument("--client-id", required=True, help="the existing client that owns them")
    seed.add_argument("--processor", choices=PROCESSORS, metavar="NAME",
                      help="the processor the tokens are for (default: none)")  # fmt: skip
    seed.add_argument("--tokens-out", metavar="PATH",
                      help="write the first --sample Items' tokens here as JSON lines")  # fmt: skip
    seed.add_argument("--sample", type=int, default=1000, help="tokens to write out (1000)")
    seed.add_argument("--seed", help="make ids and tokens deterministic")
    seed.set_defaults(run=_db_seed)
    return parser


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
        return value

    return parse


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
        f" (TOKENBRIDGE_DATABASE_URL; default {default_database_path()})",
    )


def _locate_database(settings: Settings) -> Settings:
    """The settings with a SQLite database's path made absolute, so that every message
    names the file itself. ValueError when an explicit path's folder does not exist:
    only the default location's folder is made (by the store, 0700), since a mistyped
    folder would otherwise become a new, empty database."""
    path = sqlite_path(settings.database_url)
    if path is None or path == ":memory:":
        return settings
    url = sqlite_url(os.path.abspath(path))
    folder = os.path.dirname(os.path.abspath(path))
    if url != default_database_url() and not os.path.isdir(folder):
        raise ValueError(
            f"the folder {folder} does not exist (for the database {redact_url(url)}):"
            " create it first, or pass another --database-url"
        )
    return replace(settings, database_url=url)


async def _with_service(settings: Settings) -> tuple[Store, ClientService]:
    """The store (created if missing) and the client service over it. Unseeded: an
    operator's command never draws from a server's seeded sequence."""
    store = await open_store(settings.database_url)
    services = build_services(replace(settings, seed=None), store)
    return store, services.clients


def _print_client(client_id: str, secret: str, processor: str | None, as_json: bool) -> None:
    if as_json:
        record = {"client_id": client_id, "secret": secret}
        if processor is not None:
            record["processor"] = processor
        print(json.dumps(record))
    else:
        print(f"client_id: {client_id}")
        print(f"secret:    {secret}")
        if processor is not None:
            print(f"processor: {processor}")


def _clients_create(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> tuple[str, str]:
        store, service = await _with_service(settings)
        try:
            client, secret = await service.create_client(args.name)
        finally:
            await store.close()
        return client.client_id, secret

    client_id, secret = asyncio.run(run())
    _print_client(client_id, secret, None, args.json)
    return 0


def _partners_create(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> tuple[str, str]:
        store, service = await _with_service(settings)
        try:
            client, secret = await service.create_client(
                args.name or args.processor, processor=args.processor
            )
        finally:
            await store.close()
        return client.client_id, secret

    client_id, secret = asyncio.run(run())
    _print_client(client_id, secret, args.processor, args.json)
    return 0


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> None:
        store = await open_store(settings.database_url)
        await store.close()

    asyncio.run(run())
    print(f"database is up to date: {redact_url(settings.database_url)}")
    return 0


# The table keeps what tells entries apart; --json has every field (account_id, products,
# request_id too).
_AUDIT_COLUMNS = ("time", "actor", "action", "item_id", "token_id", "processor", "detail")


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> list[AuditEntry]:
        # A command that only reads never makes a database (DatabaseMissing instead).
        store = await open_store(settings.database_url, create=False)
        try:
            return await store.list_audit(args.item)
        finally:
            await store.close()

    entries = asyncio.run(run())
    records = []
    for e in entries:
        record = {"time": _iso_time(e.at), **dataclasses.asdict(e)}
        del record["at"]
        record["products"] = list(e.products)
        records.append(record)
    table = [{**r, "time": r["time"][:19] + "Z"} for r in records]  # to the second
    _print_records(records, args.json, _AUDIT_COLUMNS, table)
    return 0


def _print_records(
    records: list[dict[str, Any]],
    as_json: bool,
    columns: Sequence[str],
    table: list[dict[str, Any]] | None = None,
) -> None:
    """One JSON object per line, or a table of `columns` (of `table`, or of the records)
    under a header, each line cut to the terminal's width when printing to one (or when
    COLUMNS says a width), so that a row never wraps."""
    if as_json:
        for record in records:
            print(json.dumps(record))
        return
    rows = [[_cell(r[c]) for c in columns] for r in (records if table is None else table)]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    given = os.environ.get("COLUMNS", "")
    limit = int(given) if given.isdigit() else 0
    if not limit and sys.stdout.isatty():
        limit = shutil.get_terminal_size().columns
    for row in [list(columns), *rows]:
        line = "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        print(line if not limit or len(line) <= limit else line[: limit - 1] + "\u2026")


def _read_only(settings: Settings, read: Any) -> Any:
    """What `read(store)` returns, from a database that must exist (never created)."""

    async def run() -> Any:
        store = await open_store(settings.database_url, create=False)
        try:
            return await read(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _list_clients(args: argparse.Namespace, settings: Settings) -> int:
    clients = _read_only(settings, lambda store: store.list_clients())
    records = [
        {"client_id": c.client_id, "name": c.name, "processor": c.processor,
         "created": _iso_time(c.created_at)}
        for c in clients if (c.processor is not None) == args.partners
    ]  # fmt: skip
    columns = ("client_id", "processor", "name", "created") if args.partners else (
        "client_id", "name", "created")  # fmt: skip
    if not args.partners:
        for r in records:
            del r["processor"]
    _print_records(records, args.json, columns)
    return 0


def _list_items(args: argparse.Namespace, settings: Settings) -> int:
    items = _read_only(settings, lambda store: store.list_items(args.client_id, args.limit))
    records = [
        {"item_id": i.item_id, "client_id": i.client_id, "institution_id": i.institution_id,
         "products": list(i.products), "created": _iso_time(i.created_at),
         "removed": _iso_time(i.removed_at) if i.removed_at is not None else None}
        for i in items
    ]  # fmt: skip
    _print_records(records, args.json, ("item_id", "client_id", "institution_id", "products",
                                         "created", "removed"))  # fmt: skip
    return 0


def _list_tokens(args: argparse.Namespace, settings: Settings) -> int:
    tokens = _read_only(settings, lambda store: store.list_processor_tokens(args.item))
    # Token ids only (a prefix of the stored hash, as in the audit log): never a token.
    records = [
        {"token_id": token_id(t.token_hash), "item_id": t.item_id, "account_id": t.account_id,
         "client_id": t.client_id, "processor": t.processor,
         "permissions": list(t.products) or "all", "created": _iso_time(t.created_at)}
        for t in tokens
    ]  # fmt: skip
    _print_records(records, args.json, ("token_id", "account_id", "processor", "permissions",
                                        "created"))  # fmt: skip
    return 0


def _key_record(key: WebhookKey) -> dict[str, Any]:
    """What the command line shows of a webhook key: never its private key."""
    return {
        "kid": key.kid,
        "created_at": _iso_time(key.created_at),
        "expired_at": _iso_time(key.expired_at) if key.expired_at is not None else None,
        "current": key.current,
    }


def _webhook_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    if not 0 <= args.grace_seconds < float("inf"):
        raise ValueError(f"--grace-seconds must not be negative, not {args.grace_seconds:g}")

    async def run() -> tuple[WebhookKey, WebhookKey | None]:
        store = await open_store(settings.database_url)
        try:
            services = build_services(replace(settings, seed=None), store)
            return await services.webhook_keys.rotate(args.grace_seconds)
        finally:
            await store.close()

    new, old = asyncio.run(run())
    if args.json:
        record = _key_record(new)
        record["previous"] = _key_record(old) if old is not None else None
        print(json.dumps(record))
        return 0
    print(f"current key: {new.kid}")
    if old is not None:
        print(f"previous:    {old.kid} (published, expires {_key_record(old)['expired_at']})")
    return 0


def _webhook_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    keys = _read_only(settings, lambda store: store.list_webhook_keys())
    _print_records([_key_record(k) for k in keys], args.json,
                   ("kid", "created_at", "expired_at", "current"))  # fmt: skip
    return 0


def _delivery_record(delivery: outbox.Delivery) -> dict[str, Any]:
    """A webhook as `webhooks list` shows it: its URL without a password, in its body too,
    never its signature (the JWT is made per attempt and not kept)."""
    w = delivery.webhook
    return {
        "webhook_id": w.webhook_id,
        "webhook_type": w.webhook_type,
        "webhook_code": w.webhook_code,
        "item_id": w.item_id,
        "account_id": w.account_id,
        "url": redact_url(w.url),
        "status": w.status,
        "created_at": _iso_time(w.created_at),
        "next_attempt_at": _iso_time(w.next_attempt_at) if w.next_attempt_at else None,
        "attempts": [
            {"attempt": a.attempt, "at": _iso_time(a.at), "status_code": a.status_code,
             "error": a.error, "latency_ms": round(a.latency_ms, 3)}
            for a in delivery.attempts
        ],
        "body": _without_passwords(json.loads(w.body)),
    }  # fmt: skip


def _without_passwords(value: Any) -> Any:
    """A webhook body with every URL in it shown without its user and password: the body
    may quote a webhook URL (WEBHOOK_UPDATE_ACKNOWLEDGED's `new_webhook_url`)."""
    if isinstance(value, dict):
        return {key: _without_passwords(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_without_passwords(v) for v in value]
    return redact_url(value) if isinstance(value, str) else value


def _webhooks_list(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.limit <= 10_000:
        raise ValueError(f"--limit must be between 1 and 10000, not {args.limit}")

    async def read(store: Store) -> list[outbox.Delivery]:
        service = build_services(replace(settings, seed=None), store).webhook_deliveries
        return await service.deliveries(item_id=args.item, status=args.status, limit=args.limit)

    records = [_delivery_record(d) for d in _read_only(settings, read)]
    if args.json:
        for record in records:
            print(json.dumps(record))
        return 0
    table = [
        {**r, "tries": len(r["attempts"]),
         "last": _last_attempt(r["attempts"][-1]) if r["attempts"] else None}
        for r in records
    ]  # fmt: skip
    _print_records(table, False, ("webhook_id", "webhook_code", "item_id", "status", "tries",
                                  "last", "created_at", "url"))  # fmt: skip
    return 0


def _last_attempt(attempt: dict[str, Any]) -> str:
    return str(attempt["status_code"] or attempt["error"])


def _webhooks_redeliver(args: argparse.Namespace, settings: Settings) -> int:
    async def act(store: Store) -> bool:
        service = build_services(replace(settings, seed=None), store).webhook_deliveries
        return await service.redeliver(args.webhook_id)

    if not _read_only(settings, act):
        print(f"tokenbridge: no webhook {args.webhook_id!r}", file=sys.stderr)
        return 1
    print(f"webhook {args.webhook_id} will be sent again by the running servers")
    return 0


def _iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def _cell(value: object) -> str:
    """A value as one table cell: '-' for none, lists comma-joined, no line breaks."""
    if value is None or value == []:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return " ".join(str(value).split())


def _db_seed(args: argparse.Namespace, settings: Settings) -> int:
    from tokenbridge.sandbox.bank import SandboxBank
    from tokenbridge.storage.seed import open_tokens_out, seed

    if args.items < 0 or args.sample < 0:
        raise ValueError("--items and --sample must not be negative")

    async def run() -> float:
        store = await open_store(settings.database_url)
        out = open_tokens_out(args.tokens_out)
        try:
            login = SandboxBank().accounts_for_login(
                SEED_INSTITUTION, DEFAULT_USERNAME, DEFAULT_PASSWORD, ""
            )
            assert login, "the sandbox's default user links accounts"
            account = login.accounts
            report = await seed(
                store, args.client_id, args.items, random=RandomSource(args.seed),
                account=account[0], institution_id=SEED_INSTITUTION,
                tokens_out=out, sample=args.sample, processor=args.processor,
                progress=lambda n: print(f"  {n} items", file=sys.stderr, flush=True),
            )  # fmt: skip
        finally:
            if out is not None:
                out.close()
            await store.close()
        return report.seconds

    seconds = asyncio.run(run())
    print(f"loaded {args.items} items with their accounts, access and processor tokens"
          f" in {seconds:.1f} s")  # fmt: skip
    return 0


def _cannot_listen(host: str, port: int) -> str | None:
    """Why `host:port` cannot be bound (the reason's text), or None if it can.

    The socket is made as uvicorn makes its own (an IPv6 family for a host with a colon,
    SO_REUSEADDR) and closed again. Another process may still take the port between this
    check and uvicorn's bind; uvicorn's own error then ends the process, non-zero too.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from tokenbridge.http import server

    settings = settings.with_overrides(
        host=args.host, port=args.port, seed=args.seed, workers=args.workers
    )
    settings = settings.with_overrides(access_log=args.access_log or None)
    if args.rate_limits is not None:
        settings = settings.with_overrides(rate_limits=args.rate_limits == "on")
    if args.webhook_hosts is not None:
        hosts = parse_webhook_hosts(args.webhook_hosts, "--webhook-hosts")
        settings = settings.with_overrides(webhook_hosts=hosts)
    if args.faults is not None:
        settings = settings.with_overrides(faults=args.faults)
    if settings.faults:
        # A bad file stops the server here, with its message (main prints a ValueError);
        # each process reads the file again at its start.
        faults = os.path.abspath(settings.faults)
        settings = settings.with_overrides(faults=faults)
        rules = load_fault_rules(faults)
        print(f"fault rules for every client: {len(rules)} from {faults}")
    if settings.seed and settings.workers > 1:
        # Every worker would start the same sequence and hand out the same ids.
        raise ValueError("--seed makes ids deterministic and needs one worker, not --workers N")
    refusal = _cannot_listen(settings.host, settings.port)
    if refusal is not None:
        print(f"tokenbridge: cannot listen on {settings.host}:{settings.port}: {refusal}",
              file=sys.stderr)  # fmt: skip
        return 1

    async def prepare() -> None:
        store, service = await _with_service(settings)
        try:
            if settings.client_id and settings.secret:
                await service.pin_client(settings.client_id, settings.secret, "sandbox")
                print(f"sandbox client_id: {settings.client_id} (secret from TOKENBRIDGE_SECRET)")
                return
            existing = await store.list_clients()
            if existing:
                ids = ", ".join(f"{c.client_id} ({c.name})" for c in existing
                                if c.processor is None)  # fmt: skip
                print(f"existing clients: {ids} (their secrets were printed when created;"
                      " the sandbox client is named sandbox)")  # fmt: skip
                return
            if settings.seed:
                # A seeded server's sandbox client is seeded too (`--seed`), from a sequence
                # of its own: the server's own seeded sequence (create_app's) is untouched.
                seeded = replace(settings, seed=f"{settings.seed}/sandbox-client")
                service = build_services(seeded, store).clients
            client, secret = await service.create_client("sandbox")
            print("created the sandbox client (its secret is shown only this once):")
            print(f"  client_id: {client.client_id}")
            print(f"  secret:    {secret}")
        finally:
            await store.close()

    asyncio.run(prepare())
    if settings.admin_key is None:
        settings = settings.with_overrides(admin_key=secrets.token_urlsafe(24))
        print(
            f"admin key (the control API, docs/TESTING.md, and the dashboard at"
            f" http://{settings.host}:{settings.port}/dashboard/): {settings.admin_key}"
        )
    else:
        print("admin key: from TOKENBRIDGE_ADMIN_KEY")
    print(f"tokenbridge {__version__} serving {redact_url(settings.database_url)}"
          f" on http://{settings.host}:{settings.port}", flush=True)  # fmt: skip
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "access_log": settings.access_log,
        # X-Forwarded-For would change only the client address in the access log (the
        # API never reads it), so uvicorn rewrites it only when that log is on: it is a
        # layer around every request. No "server: uvicorn" header either: nothing to gain
        # from telling clients what runs the service.
        "proxy_headers": settings.access_log,
        "server_header": False,
        "log_level": "info",
        "loop": "uvloop",
        "lifespan": "on",
    }
    limits = replace(
        HttpLimits(max_body_bytes=settings.max_body_bytes),
        max_connections=args.max_connections,
        idle_timeout=args.idle_timeout,
        head_timeout=args.head_timeout,
        body_timeout=args.body_timeout,
    )
    if settings.workers > 1:
        # Worker processes build their own app from the environment.
        os.environ["TOKENBRIDGE_DATABASE_URL"] = settings.database_url
        if settings.seed:
            os.environ["TOKENBRIDGE_SEED"] = settings.seed
        os.environ["TOKENBRIDGE_RATE_LIMITS"] = "on" if settings.rate_limits else "off"
        os.environ["TOKENBRIDGE_WEBHOOK_HOSTS"] = settings.webhook_hosts
        os.environ["TOKENBRIDGE_ADMIN_KEY"] = settings.admin_key or ""
        if settings.faults:
            os.environ["TOKENBRIDGE_FAULTS"] = settings.faults
        return server.run(
            "tokenbridge.app:app_from_env",
            limits=limits,
            factory=True,
            workers=settings.workers,
            **common,
        )
    from tokenbridge.app import create_app

    return server.run(create_app(settings), limits=limits, **common)
