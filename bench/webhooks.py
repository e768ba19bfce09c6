"""Webhook delivery end to end: how long a webhook takes from the API call that fires it to
its arrival at a receiver on the same machine, and how many a server sends a second.

    make bench-webhooks                  # or: .venv/bin/python bench/webhooks.py
    .venv/bin/python bench/webhooks.py --count 200 --concurrency 1 8 32 --no-postgres

A real `tokenbridge serve` on 127.0.0.1 pinned to core 0 (rate limits off, as in
bench/run.py), over an empty SQLite file and, when it is reachable, a fresh PostgreSQL schema.
The receiver is a minimal HTTP/1.1 server in this process, pinned to core 1 with the client:
it answers 200 with an empty body and notes the moment each webhook arrives. One Item of the
pinned sandbox client, with Transactions and the receiver as its webhook, gets `--count`
`/sandbox/item/fire_webhook` calls (DEFAULT_UPDATE, TRANSACTIONS) per run; each carries its
own number as `options.new_transactions`, which the webhook's body repeats, so every arrival
is matched to its call. Client and receiver read one clock.

- Concurrency 1: one call at a time, and the next only once the webhook of the last one has
  arrived: the latency of one webhook with nothing queued.
- Concurrency N: N connections each firing as soon as its last call answered, not waiting
  for the webhooks: latency then includes the queue, and webhooks/s is what the server
  sends while it also answers the calls.

For each run: the fire call's own latency (it writes the webhook to the outbox in its
transaction), the delivery latency measured from the call's answer and from its send (p50,
p99, max), webhooks/s (calls over the seconds from the first send to the last arrival), the
server's CPU time per webhook (the call and the delivery: the claim, the signature, the POST
and the record of the attempt) and the webhooks that arrived more than once. A few webhooks
are fired and awaited first, not counted: the first signature makes the key and loads the
JOSE libraries. Writes bench/results/webhooks-<timestamp>.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import run

WARMUP = 5
# How long to wait for the webhooks of one run once its calls have answered.
SETTLE_SECONDS = 60.0
# The most calls a run can tell apart (`options.new_transactions` is 0-1000).
MAX_COUNT = 1001


@dataclass
class Figures:
    setup: str
    concurrency: int
    count: int
    fire_p50_ms: float = 0.0
    fire_p99_ms: float = 0.0
    after_answer_p50_ms: float = 0.0
    after_answer_p99_ms: float = 0.0
    after_answer_max_ms: float = 0.0
    after_send_p50_ms: float = 0.0
    after_send_p99_ms: float = 0.0
    after_send_max_ms: float = 0.0
    webhooks_per_s: float = 0.0
    server_cpu_us: float = 0.0
    arrived: int = 0
    duplicates: int = 0


@dataclass
class Report:
    started: str
    machine: dict[str, Any]
    options: dict[str, Any]
    results: list[Figures] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with `share` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# The receiver ------------------------------------------------------------------------------


class Receiver:
    """A loopback HTTP/1.1 server that answers every POST 200 and notes when each webhook
    of the current run's Item arrived, by the number it carries in `new_transactions`."""

    def __init__(self) -> None:
        self.item_id = ""
        self.arrivals: dict[int, float] = {}
        self.duplicates = 0
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self.server: asyncio.Server | None = None
        self.port = 0
        self.open: dict[asyncio.StreamWriter, asyncio.Task[Any]] = {}

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        handlers = list(self.open.values())
        for writer in list(self.open):
            writer.close()  # the handler reads the end of the stream and returns
        await asyncio.gather(*handlers, return_exceptions=True)
        await self.server.wait_closed()

    def reset(self, item_id: str) -> None:
        self.item_id = item_id
        self.arrivals.clear()
        self.duplicates = 0
        self.waiting.clear()

    def arrival(self, tag: int) -> asyncio.Future[float]:
        """Resolves to the moment the webhook numbered `tag` arrived."""
        future = self.waiting.get(tag)
        if future is None:
            future = self.waiting[tag] = asyncio.get_running_loop().create_future()
            if tag in self.arrivals:
                future.set_result(self.arrivals[tag])
        return future

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.open[writer] = task
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                at = time.perf_counter()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                self._note(body, at)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open.pop(writer, None)
            writer.close()

    def _note(self, body: bytes, at: float) -> None:
        payload = json.loads(body)
        tag = payload.get("new_transactions")
        if payload.get("item_id") != self.item_id or not isinstance(tag, int):
            return  # a webhook of another run's, or not of a run
        if tag in self.arrivals:
            self.duplicates += 1
            return
        self.arrivals[tag] = at
        future = self.waiting.get(tag)
        if future is not None and not future.done():
            future.set_result(at)


# The client --------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, with the sandbox client's
    credentials: a call costs this process little, so the client is not what is measured."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        raw = json.dumps(body).encode()
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            f"plaid-client-id: {run.CLIENT_ID}\r\nplaid-secret: {run.SECRET}\r\n"
            f"content-length: {len(raw)}\r\n\r\n".encode()
            + raw
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.partition(b":")[2]) for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )  # fmt: skip
        reply: dict[str, Any] = json.loads(await self.reader.readexactly(length))
        return status, reply

    async def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, reply = await self.post(path, body)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {reply}")
        return reply

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# Runs --------------------------------------------------------------------------------------


def fire(access_token: str, tag: int) -> dict[str, Any]:
    return {"access_token": access_token, "webhook_code": "DEFAULT_UPDATE",
            "webhook_type": "TRANSACTIONS", "options": {"new_transactions": tag}}  # fmt: skip


async def new_item(port: int, receiver: Receiver) -> tuple[str, str]:
    """An Item with Transactions whose webhook is the receiver: (access token, item id)."""
    conn = Connection(port)
    public = await conn.ok("/sandbox/public_token/create", {
        "institution_id": "ins_109508", "initial_products": ["transactions"],
        "options": {"webhook": f"http://127.0.0.1:{receiver.port}/webhook"},
    })  # fmt: skip
    exchanged = await conn.ok("/item/public_token/exchange",
                              {"public_token": public["public_token"]})  # fmt: skip
    conn.close()
    return exchanged["access_token"], exchanged["item_id"]


async def one_run(
    server: run.Server, receiver: Receiver, setup: str, count: int, concurrency: int
) -> Figures:
    """`count` webhooks fired at `concurrency` calls in flight, to an Item of their own."""
    access_token, item_id = await new_item(server.port, receiver)
    receiver.reset(item_id)
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    tags = iter(range(count))
    lanes = [Connection(server.port) for _ in range(concurrency)]

    async def lane(conn: Connection) -> None:
        for tag in tags:
            sent[tag] = time.perf_counter()
            await conn.ok("/sandbox/item/fire_webhook", fire(access_token, tag))
            answered[tag] = time.perf_counter()
            if concurrency == 1:
                await asyncio.wait_for(receiver.arrival(tag), SETTLE_SECONDS)

    cpu_before = run.cpu_seconds(server.process.pid)
    started = time.perf_counter()
    await asyncio.gather(*(lane(c) for c in lanes))
    try:
        await asyncio.wait_for(
            asyncio.gather(*(receiver.arrival(t) for t in range(count))), SETTLE_SECONDS
        )
    except TimeoutError:
        raise RuntimeError(f"{len(receiver.arrivals)} of {count} webhooks arrived within"
                           f" {SETTLE_SECONDS:.0f} s; see {server.log}") from None  # fmt: skip
    last = max(receiver.arrivals.values())
    cpu = run.cpu_seconds(server.process.pid) - cpu_before
    for conn in lanes:
        conn.close()
    fire_ms = [(answered[t] - sent[t]) * 1000 for t in range(count)]
    after_answer = [(receiver.arrivals[t] - answered[t]) * 1000 for t in range(count)]
    after_send = [(receiver.arrivals[t] - sent[t]) * 1000 for t in range(count)]

    def ms(values: list[float], share: float) -> float:
        return round(percentile(values, share), 2)

    return Figures(
        setup=setup, concurrency=concurrency, count=count,
        fire_p50_ms=ms(fire_ms, 0.5), fire_p99_ms=ms(fire_ms, 0.99),
        after_answer_p50_ms=ms(after_answer, 0.5), after_answer_p99_ms=ms(after_answer, 0.99),
        after_answer_max_ms=round(max(after_answer), 2),
        after_send_p50_ms=ms(after_send, 0.5), after_send_p99_ms=ms(after_send, 0.99),
        after_send_max_ms=round(max(after_send), 2),
        webhooks_per_s=round(count / (last - started), 1),
        server_cpu_us=round(cpu / count * 1e6), arrived=len(receiver.arrivals),
        duplicates=receiver.duplicates,
    )  # fmt: skip


async def run_setup(
    report: Report, setup: str, database_url: str, args: argparse.Namespace, work: Path
) -> None:
    print(f"\n== {setup}: one worker on core {run.SERVER_CORES}", flush=True)
    receiver = Receiver()
    await receiver.start()
    server = run.Server(run.serve_command(1, True), run.server_env(database_url),
                        run.SERVER_CORES, work / f"{setup}.log")  # fmt: skip
    try:
        await asyncio.to_thread(server.wait_ready)
        await one_run(server, receiver, setup, WARMUP, 1)
        for concurrency in args.concurrency:
            for _ in range(args.rounds):
                f = await one_run(server, receiver, setup, args.count, concurrency)
                report.results.append(f)
                print(f"  concurrency {concurrency:3}: fire p50 {f.fire_p50_ms:.2f} ms;"
                      f" arrival after the answer p50 {f.after_answer_p50_ms:.2f}"
                      f" p99 {f.after_answer_p99_ms:.2f} max {f.after_answer_max_ms:.2f} ms;"
                      f" {f.webhooks_per_s:,.0f} webhooks/s; server CPU"
                      f" {f.server_cpu_us:,.0f} us/webhook; {f.duplicates} twice",
                      flush=True)  # fmt: skip
    finally:
        server.stop()
        await receiver.stop()


def table(report: Report) -> str:
    lines = [
        "| setup | concurrency | webhooks | fire p50 ms | fire p99 ms | after answer p50 ms"
        " | p99 ms | max ms | after send p50 ms | p99 ms | max ms | webhooks/s"
        " | server CPU µs/webhook | twice |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in report.results:
        lines.append(
            f"| {f.setup} | {f.concurrency} | {f.count} | {f.fire_p50_ms:.2f} |"
            f" {f.fire_p99_ms:.2f} | {f.after_answer_p50_ms:.2f} | {f.after_answer_p99_ms:.2f} |"
            f" {f.after_answer_max_ms:.2f} | {f.after_send_p50_ms:.2f} |"
            f" {f.after_send_p99_ms:.2f} | {f.after_send_max_ms:.2f} |"
            f" {f.webhooks_per_s:,.0f} | {f.server_cpu_us:,} | {f.duplicates} |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> Report:
    report = Report(time.strftime("%Y%m%dT%H%M%S"), run.machine(), dict(vars(args)))
    work = Path(tempfile.mkdtemp(prefix="tokenbridge-webhooks-"))
    await run_setup(report, "sqlite", f"sqlite:///{work}/webhooks.db", args, work)
    if args.postgres:
        with run.postgres_schema() as url:
            if url is None:
                report.notes.append(f"postgres skipped: not reachable at {run.POSTGRES_URL}")
            else:
                await run_setup(report, "postgres", url, args, work)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="webhooks per run (200)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32],
                        help="calls in flight, one run each (1 8 32)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=1, help="runs of each concurrency (1)")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false",
                        help="skip PostgreSQL even when it is reachable")  # fmt: skip
    args = parser.parse_args()
    if not 1 <= args.count <= MAX_COUNT:
        parser.error(f"--count must be between 1 and {MAX_COUNT}")
    # The client and the receiver share the load generator's core, away from the server's.
    os.sched_setaffinity(0, {int(run.LOAD_CORE)})
    report = asyncio.run(main_async(args))
    text = table(report)
    print("\n" + text)
    for note in report.notes:
        print(f"note: {note}")
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    out = run.RESULTS / f"webhooks-{report.started}.json"
    out.write_text(json.dumps(asdict(report), indent=2) + "\n")
    print(f"\nwritten: bench/results/{out.name}")
    return 0 if all(f.arrived == f.count and not f.duplicates for f in report.results) else 1


if __name__ == "__main__":
    sys.exit(main())
