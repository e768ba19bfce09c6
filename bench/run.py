"""The benchmark: tokenbridge against a bare ASGI app measured in the same run.

    make bench                       # or: .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --quick --no-million --no-postgres

Each server runs on 127.0.0.1 pinned to core 0 (`taskset -c 0`; with `--workers 2` on both
cores); `wrk -t1 -c32` runs pinned to core 1 with bench/plaid.lua, which cycles through a
handful of real request bodies with Plaid's headers. The table shows requests/s, p50, p99,
non-2xx answers, the server's peak RSS and CPU time per request, and the ratio to the
bare-ASGI baseline measured next to each case. The figures are also written as JSON to
bench/results/ and copied to bench/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LUA = HERE / "plaid.lua"
PYTHON = sys.executable

CLIENT_ID = "bench-client"
SECRET = "bench-secret-0123456789abcdef"
PROCESSOR = "dwolla"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SERVER_CORES = "0"
LOAD_CORE = "1"
CONNECTIONS = 32
# Requests reuse this many real tokens (and Items for the access-token cases).
HANDFUL = 8
ITEMS = 4

# The targets of issue 6, as ratios to the baseline of the same run.
TARGET_RATIO = {"permissions_get": 0.40, "auth_get": 0.30, "token_create": 0.20}
TARGET_P99_MS = {"permissions_get": 5.0}
TARGET_MILLION_SHARE = 0.80
TARGET_STARTUP_S = 1.0
TARGET_RSS_MB = 150.0


# Results ----------------------------------------------------------------------------------


@dataclass
class Result:
    setup: str
    case: str
    path: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    non2xx: int = 0
    socket_errors: int = 0
    requests: int = 0
    peak_rss_mb: float = 0.0
    # The server's CPU time per request: steadier than requests/s when the machine is busy.
    cpu_us: float = 0.0
    # requests/s over the mean of the baselines measured just before and after this setup.
    ratio: float | None = None
    baseline_rps: float | None = None
    # The same ratio from CPU time per request (baseline's over this case's).
    cpu_ratio: float | None = None
    expect_errors: bool = False
    note: str = ""
    # How many rounds the figures are the median of (each round after its own baseline).
    rounds: int = 1


@dataclass
class Report:
    started: str
    machine: dict[str, Any]
    options: dict[str, Any]
    baseline_rps: list[float] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    startup: dict[str, float] = field(default_factory=dict)
    # Seconds `tokenbridge db seed` took to load each setup's Items.
    load_seconds: dict[str, float] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )  # fmt: skip
    wrk = ""
    if shutil.which("wrk"):  # bench/webhooks.py does not use it
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": wrk.split("\n", 1)[0].split(" Copyright")[0],
    }


# Tools -----------------------------------------------------------------------------------


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: installing it with apt-get", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tokenbridge(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "tokenbridge", *args], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"tokenbridge {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def has_option(command: list[str], option: str) -> bool:
    done = subprocess.run(
        [PYTHON, "-m", "tokenbridge", *command, "--help"], capture_output=True, text=True
    )
    return done.returncode == 0 and option in done.stdout


class Api:
    """A keep-alive HTTP client for the fixtures (not for the measured load)."""

    def __init__(self, port: int, client_id: str = CLIENT_ID, secret: str = SECRET) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {
            "Content-Type": "application/json",
            "PLAID-CLIENT-ID": client_id,
            "PLAID-SECRET": secret,
        }

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.conn.request("POST", path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, reply = self.post(path, body)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {reply}")
        return reply

    def close(self) -> None:
        self.conn.close()


def get_status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


# Servers ---------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and every process descended from it (uvicorn's workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        children = [c for c, p in parents.items() if p in frontier]
        tree += children
        frontier = children
    return tree


def peak_rss_mb(pid: int) -> float:
    """The sum of each process's peak resident set (VmHWM) over the server's processes."""
    total_kb = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server's processes so far."""
    ticks = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, command: list[str], env: dict[str, str], cores: str, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                ["taskset", "-c", cores, *command, "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log}")
            if get_status(self.port, "/health") == 200:
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"server did not answer /health; see {self.log}")

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(15)

    def kill(self) -> None:
        """kill -9 the whole server: no shutdown, no flush."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(15)


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TOKENBRIDGE_DATABASE_URL": database_url,
        "TOKENBRIDGE_CLIENT_ID": CLIENT_ID,
        "TOKENBRIDGE_SECRET": SECRET,
        "TOKENBRIDGE_RATE_LIMITS": "off",
    }


def serve_command(workers: int, rate_limit_flag: bool) -> list[str]:
    command = [PYTHON, "-m", "tokenbridge", "serve", "--workers", str(workers)]
    if rate_limit_flag:
        command += ["--rate-limits", "off"]
    return command


# Load ------------------------------------------------------------------------------------


def run_wrk(
    port: int, path: str, bodies: list[str], creds: tuple[str, str], seconds: int, work: Path
) -> dict[str, Any]:
    bodies_file = work / f"bodies-{uuid.uuid4().hex[:8]}.jsonl"
    bodies_file.write_text("\n".join(bodies) + "\n")
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_BODIES": str(bodies_file),
        "BENCH_CLIENT_ID": creds[0],
        "BENCH_SECRET": creds[1],
    }
    done = subprocess.run(
        ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s",
         "--timeout", "5s", "--latency", "-s", str(LUA), f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, env=env, timeout=seconds + 60,
    )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return figures


def measure(
    server: Server, setup: str, case: Case, seconds: int, warmup: int, work: Path
) -> Result:
    if warmup:
        run_wrk(server.port, case.path, case.bodies, case.creds, warmup, work)
    cpu_before = cpu_seconds(server.process.pid)
    w = run_wrk(server.port, case.path, case.bodies, case.creds, seconds, work)
    cpu = cpu_seconds(server.process.pid) - cpu_before
    return Result(
        setup=setup,
        case=case.name,
        path=case.path,
        rps=round(w["requests"] / (w["duration_us"] / 1e6), 1),
        p50_ms=round(w["p50_us"] / 1000, 3),
        p99_ms=round(w["p99_us"] / 1000, 3),
        non2xx=w["non2xx"],
        socket_errors=w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"],
        requests=w["requests"],
        peak_rss_mb=round(server.peak_rss_mb(), 1),
        cpu_us=round(cpu / max(w["requests"], 1) * 1e6, 1),
        expect_errors=case.expect_errors,
    )


# Fixtures --------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    path: str
    bodies: list[str]
    creds: tuple[str, str]
    expect_errors: bool = False
    reads: bool = True


@dataclass
class Fixture:
    partner: tuple[str, str]
    access_tokens: list[str]
    account_ids: list[str]
    processor_tokens: list[str]
    load_seconds: float = 0.0


def make_fixture(port: int, database_url: str, tokens: int, seed_supported: bool,
                 work: Path) -> Fixture:  # fmt: skip
    """A partner, and `tokens` Items each with a processor token for it.

    With `tokenbridge db seed` the Items are bulk-loaded and the requests use the tokens of
    a few of them; without it, they are made through the API (slow, fine for a thousand).
    """
    env = server_env(database_url)
    partner = json.loads(
        tokenbridge("partners", "create", "--processor", PROCESSOR, "--json", env=env)
    )
    creds = (partner["client_id"], partner["secret"])
    if seed_supported:
        started = time.monotonic()
        sample = work / f"seeded-{uuid.uuid4().hex[:8]}.jsonl"
        tokenbridge("db", "seed", "--items", str(tokens), "--client-id", CLIENT_ID,
                    "--processor", PROCESSOR, "--tokens-out", str(sample),
                    "--sample", str(HANDFUL), env=env)  # fmt: skip
        seconds = round(time.monotonic() - started, 1)
        print(f"  seeded {tokens:,} Items with a processor token each in {seconds} s",
              flush=True)  # fmt: skip
        seeded = [json.loads(line) for line in sample.read_text().splitlines()]
        return Fixture(creds, [r["access_token"] for r in seeded[:ITEMS]],
                       [r["account_id"] for r in seeded[:ITEMS]],
                       [r["processor_token"] for r in seeded], seconds)  # fmt: skip
    api = Api(port)
    access_tokens, account_ids, processor_tokens = [], [], []
    for _ in range(ITEMS):
        public = api.ok("/sandbox/public_token/create",
                        {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
        access = api.ok("/item/public_token/exchange",
                        {"public_token": public["public_token"]})["access_token"]  # fmt: skip
        accounts = api.ok("/accounts/get", {"access_token": access})["accounts"]
        access_tokens.append(access)
        account_ids.append(accounts[0]["account_id"])
    for i in range(tokens):
        body = {"access_token": access_tokens[i % ITEMS], "account_id": account_ids[i % ITEMS],
                "processor": PROCESSOR}  # fmt: skip
        token = api.ok("/processor/token/create", body)["processor_token"]
        if i < HANDFUL:
            processor_tokens.append(token)
    api.close()
    return Fixture(creds, access_tokens, account_ids, processor_tokens)


def cases(fx: Fixture) -> list[Case]:
    dev = (CLIENT_ID, SECRET)

    def bodies(key: str, values: list[str]) -> list[str]:
        return [json.dumps({key: v}) for v in values]

    unknown = [f"processor-sandbox-{uuid.UUID(int=i, version=4)}" for i in range(HANDFUL)]
    create = [
        json.dumps({"access_token": a, "account_id": b, "processor": PROCESSOR})
        for a, b in zip(fx.access_tokens, fx.account_ids, strict=True)
    ]
    return [
        Case("permissions_get", "/processor/token/permissions/get",
             bodies("processor_token", fx.processor_tokens), dev),
        Case("auth_get", "/processor/auth/get",
             bodies("processor_token", fx.processor_tokens), fx.partner),
        Case("accounts_get", "/accounts/get", bodies("access_token", fx.access_tokens), dev),
        Case("invalid_token", "/processor/token/permissions/get",
             bodies("processor_token", unknown), dev, expect_errors=True),
        Case("token_create", "/processor/token/create", create, dev, reads=False),
    ]  # fmt: skip


def check_case(port: int, case: Case) -> str:
    """'' if one request of the case answers as it should; otherwise why not."""
    api = Api(port, *case.creds)
    status, reply = api.post(case.path, json.loads(case.bodies[0]))
    api.close()
    if case.expect_errors:
        if status == 400 and reply.get("error_code") == "INVALID_PROCESSOR_TOKEN":
            return ""
        return f"expected INVALID_PROCESSOR_TOKEN, got {status} {reply.get('error_code')}"
    if status == 404:
        return "endpoint missing (404)"
    return "" if status == 200 else f"answered {status} {reply.get('error_code')}"


# Setups ----------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A database URL on a fresh PostgreSQL schema, dropped afterwards; None if unreachable."""
    try:
        import psycopg
    except ImportError:
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error:
        yield None
        return
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def run_setup(
    report: Report, setup: str, database_url: str, tokens: int, workers: int,
    args: argparse.Namespace, work: Path, only_reads: bool = False, kill_check: bool = False,
) -> None:  # fmt: skip
    cores = "0,1" if workers > 1 else SERVER_CORES
    print(f"\n== {setup}: {tokens:,} processor tokens, {workers} worker(s) on core(s) {cores}",
          flush=True)  # fmt: skip
    server = Server(serve_command(workers, args.rate_limit_flag), server_env(database_url),
                    cores, work / f"{setup}.log")  # fmt: skip
    try:
        server.wait_ready()
        fx = make_fixture(server.port, database_url, tokens, args.seed_supported, work)
        report.load_seconds[setup] = fx.load_seconds
        for case in cases(fx):
            if only_reads and not case.reads:
                continue
            problem = check_case(server.port, case)
            if problem:
                print(f"  {case.name}: skipped, {problem}", flush=True)
                report.results.append(Result(setup, case.name, case.path, note=problem))
                continue
            rounds: list[tuple[Result, Result]] = []
            for _ in range(args.rounds):
                base = baseline(report, args, work)
                result = measure(server, setup, case, args.seconds, args.warmup, work)
                print(f"  {case.name:16} {result.rps:9,.0f} req/s  p50 {result.p50_ms:.2f} ms"
                      f"  p99 {result.p99_ms:.2f} ms  non-2xx {result.non2xx}"
                      f"  cpu {result.cpu_us:.0f} us/req", flush=True)  # fmt: skip
                rounds.append((base, result))
            report.results.append(median_of(rounds))
            if f"{setup}/{case.name}" in args.profile:
                profile(server, case, args, work)
        if kill_check:
            report.checks.append(durability_check(server, database_url, fx, args, work))
            return
    finally:
        server.stop()


def durability_check(server: Server, database_url: str, fx: Fixture,
                     args: argparse.Namespace, work: Path) -> dict[str, Any]:  # fmt: skip
    """Create a token, kill -9 the server at once, restart: the token must still work."""
    api = Api(server.port)
    body = {"access_token": fx.access_tokens[0], "account_id": fx.account_ids[0],
            "processor": PROCESSOR}  # fmt: skip
    token = api.ok("/processor/token/create", body)["processor_token"]
    api.close()
    server.kill()
    again = Server(serve_command(1, args.rate_limit_flag), server_env(database_url),
                   SERVER_CORES, work / "kill-check.log")  # fmt: skip
    try:
        again.wait_ready()
        api = Api(again.port)
        status, _ = api.post("/processor/token/permissions/get", {"processor_token": token})
        api.close()
    finally:
        again.stop()
    ok = status == 200
    print(f"  kill -9 right after /processor/token/create answered: token "
          f"{'kept' if ok else 'LOST'}", flush=True)  # fmt: skip
    return {"name": "token_create survives kill -9", "ok": ok}


def profile(server: Server, case: Case, args: argparse.Namespace, work: Path) -> None:
    """Attach py-spy to the server for one more run of the case (its figures are not kept)
    and print the functions where the time goes, by share of samples."""
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not Path(spy).exists():
        print("  py-spy is not installed (pip install py-spy); no profile", flush=True)
        return
    out = RESULTS / f"profile-{server.log.stem}-{case.name}.txt"
    recorder = subprocess.Popen(
        [spy, "record", "--pid", str(server.process.pid), "--subprocesses", "--rate", "500",
         "--format", "raw", "--duration", str(args.seconds), "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    time.sleep(0.5)
    run_wrk(server.port, case.path, case.bodies, case.creds, args.seconds, work)
    recorder.wait(args.seconds + 30)
    print(f"  profile of {case.name} (collapsed stacks for flamegraph.pl or speedscope):"
          f" {out}", flush=True)  # fmt: skip
    for share, frame in hot_frames(out)[:25]:
        print(f"    {share:6.1%}  {frame}")


def hot_frames(collapsed: Path) -> list[tuple[float, str]]:
    """(share of samples that include the frame, frame), largest first."""
    counts: dict[str, int] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit() or "Event.wait" in stack:
            continue  # not a number, or an idle thread (the WAL checkpointer between rounds)
        total += int(n)
        for frame in set(stack.split(";")):
            counts[frame] = counts.get(frame, 0) + int(n)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return [(n / max(total, 1), frame) for frame, n in ranked]


def median_of(rounds: list[tuple[Result, Result]]) -> Result:
    """One case's rounds as one result: the median of each figure, and the median of the
    ratios each round had to the baseline measured just before it. The machine's speed
    drifts within seconds; a ratio from one round is taken from one stretch of it."""
    results = [r for _, r in rounds]
    med = statistics.median
    merged = Result(
        setup=results[0].setup, case=results[0].case, path=results[0].path,
        rps=round(med(r.rps for r in results), 1), p50_ms=round(med(r.p50_ms for r in results), 3),
        p99_ms=round(med(r.p99_ms for r in results), 3),
        non2xx=sum(r.non2xx for r in results), socket_errors=sum(r.socket_errors for r in results),
        requests=sum(r.requests for r in results),
        peak_rss_mb=max(r.peak_rss_mb for r in results),
        cpu_us=round(med(r.cpu_us for r in results), 1),
        expect_errors=results[0].expect_errors,
        baseline_rps=round(med(b.rps for b, _ in rounds), 1),
        ratio=round(med(r.rps / b.rps for b, r in rounds), 3),
        cpu_ratio=round(med(b.cpu_us / r.cpu_us for b, r in rounds), 3),
        rounds=len(rounds),
    )  # fmt: skip
    return merged


def baseline(report: Report, args: argparse.Namespace, work: Path) -> Result:
    """Measure the bare-ASGI server (it idles on core 0 between measurements)."""
    body = json.dumps({"processor_token": "processor-sandbox-0"})
    case = Case("baseline", "/processor/token/permissions/get", [body], ("a", "b"))
    result = measure(args.baseline_server, "baseline", case, args.seconds, 1, work)
    result.ratio = 1.0
    report.baseline_rps.append(result.rps)
    report.results.append(result)
    print(f"  (baseline)       {result.rps:9,.0f} req/s  p50 {result.p50_ms:.2f} ms"
          f"  p99 {result.p99_ms:.2f} ms  cpu {result.cpu_us:.0f} us", flush=True)  # fmt: skip
    return result


def startup(report: Report, args: argparse.Namespace, work: Path, runs: int = 3) -> None:
    """Seconds from launching `tokenbridge serve` on an empty database to the first 200 from
    /health and to the first successful /sandbox/processor_token/create (median of runs)."""
    to_health, to_token = [], []
    for i in range(runs):
        url = f"sqlite:///{work}/startup-{i}.db"
        port = free_port()
        started = time.monotonic()
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORES, *serve_command(1, args.rate_limit_flag),
             "--port", str(port)],
            env=server_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            while get_status(port, "/health") != 200:
                if process.poll() is not None or time.monotonic() - started > 30:
                    raise RuntimeError("tokenbridge serve did not start")
                time.sleep(0.002)
            to_health.append(time.monotonic() - started)
            api = Api(port)
            status, _ = api.post("/sandbox/processor_token/create",
                                 {"institution_id": "ins_109508"})  # fmt: skip
            api.close()
            if status != 200:
                raise RuntimeError(f"/sandbox/processor_token/create answered {status}")
            to_token.append(time.monotonic() - started)
        finally:
            process.terminate()
            process.wait(15)
    report.startup = {
        "to_health_s": round(statistics.median(to_health), 3),
        "to_processor_token_s": round(statistics.median(to_token), 3),
        "runs": runs,
    }
    print(f"  start-up: first 200 from /health after {report.startup['to_health_s']:.3f} s,"
          f" first processor token after {report.startup['to_processor_token_s']:.3f} s",
          flush=True)  # fmt: skip


# Report ----------------------------------------------------------------------------------


def finish(report: Report) -> None:
    results = report.results
    marks = [i for i, r in enumerate(results) if r.case == "baseline"]
    for i, r in enumerate(results):
        if r.case == "baseline" or not r.rps or r.ratio is not None:
            continue  # a result of several rounds has its ratios from median_of
        near = [results[j] for j in ([m for m in marks if m < i][-1:] + [m for m in marks
                if m > i][:1])]  # fmt: skip
        r.baseline_rps = round(statistics.fmean(b.rps for b in near), 1)
        r.ratio = round(r.rps / r.baseline_rps, 3)
        r.cpu_ratio = round(statistics.fmean(b.cpu_us for b in near) / r.cpu_us, 3)
    by = {(r.setup, r.case): r for r in report.results if r.rps}
    checks = report.checks
    for case, target in TARGET_RATIO.items():
        found = by.get(("sqlite", case))
        ratio = found.ratio if found else None
        checks.append({"name": f"{case} ratio >= {target}",
                       "ok": ratio is not None and ratio >= target, "value": ratio,
                       "cpu_ratio": found.cpu_ratio if found else None})  # fmt: skip
    for case, ms in TARGET_P99_MS.items():
        found = by.get(("sqlite", case))
        p99 = found.p99_ms if found else None
        checks.append({"name": f"{case} p99 < {ms} ms", "ok": p99 is not None and p99 < ms,
                       "value": p99})  # fmt: skip
    for (setup, case), r in sorted(by.items()):
        if setup.endswith("-1m"):
            small = by.get((setup.removesuffix("-1m"), case))
            if small and small.ratio and r.ratio and small.cpu_ratio and r.cpu_ratio:
                # Each against its own baselines, so that drift between setups cancels.
                share = round(r.ratio / small.ratio, 3)
                checks.append({"name": f"{setup} {case} >= {TARGET_MILLION_SHARE:.0%} of 1k",
                               "ok": share >= TARGET_MILLION_SHARE, "value": share,
                               "cpu_ratio": round(r.cpu_ratio / small.cpu_ratio, 3)})  # fmt: skip
    if report.startup:
        value = report.startup["to_health_s"]
        checks.append({"name": f"start-up < {TARGET_STARTUP_S} s", "ok": value <
                       TARGET_STARTUP_S, "value": value})  # fmt: skip
    peak = max((r.peak_rss_mb for r in report.results if r.case != "baseline"), default=0.0)
    checks.append({"name": f"peak RSS < {TARGET_RSS_MB:.0f} MB (any setup)",
                   "ok": peak < TARGET_RSS_MB, "value": peak})  # fmt: skip
    valid = [r for r in report.results if r.rps and not r.expect_errors]
    bad = sum(r.non2xx + r.socket_errors for r in valid)
    checks.append({"name": "zero non-2xx on valid requests", "ok": bad == 0, "value": bad})


def table(report: Report) -> str:
    lines = [
        "| setup | case | requests/s | p50 ms | p99 ms | non-2xx | peak RSS MB | CPU µs/req"
        " | baseline req/s | ratio | CPU ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    bases = [r for r in report.results if r.case == "baseline"]
    if bases:
        b = sorted(bases, key=lambda r: r.rps)[len(bases) // 2]
        lines.append(f"| baseline | bare ASGI, median of {len(bases)} | {b.rps:,.0f} |"
                     f" {b.p50_ms:.2f} | {b.p99_ms:.2f} | {b.non2xx + b.socket_errors} |"
                     f" {b.peak_rss_mb:.0f} | {b.cpu_us:.0f} | | 1.00 | 1.00 |")  # fmt: skip
    for r in report.results:
        if r.case == "baseline":
            continue
        if not r.rps:
            lines.append(f"| {r.setup} | {r.case} | {r.note} | | | | | | | | |")
            continue
        errors = f"{r.non2xx} (expected)" if r.expect_errors else str(r.non2xx + r.socket_errors)
        lines.append(
            f"| {r.setup} | {r.case} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} |"
            f" {errors} | {r.peak_rss_mb:.0f} | {r.cpu_us:.0f} | {r.baseline_rps or 0:,.0f} |"
            f" {r.ratio or 1:.2f} |"
            f" {r.cpu_ratio or 1:.2f} |"
        )
    if report.startup:
        lines.append("")
        lines.append(f"Start-up (median of {report.startup['runs']}): first 200 from /health "
                     f"{report.startup['to_health_s']:.3f} s; first /sandbox/processor_token/"
                     f"create {report.startup['to_processor_token_s']:.3f} s")  # fmt: skip
    if report.load_seconds:
        lines.append("")
        lines.append("Loading the Items (`tokenbridge db seed`): " + ", ".join(
            f"{k} {v} s" for k, v in report.load_seconds.items()))  # fmt: skip
    lines.append("")
    for c in report.checks:
        value = "" if c.get("value") is None else f" ({c['value']}"
        value += ")" if c.get("cpu_ratio") is None else f"; by CPU time {c['cpu_ratio']})"
        value = "" if value == ")" else value
        lines.append(f"- [{'x' if c['ok'] else ' '}] {c['name']}{value}")
    return "\n".join(lines)


def plan(report: Report, args: argparse.Namespace, work: Path) -> list[tuple[str, Any]]:
    """The setups to run, in order, as (name, function)."""

    def setup(name: str, url: str, tokens: int, workers: int = 1,
              **kw: Any) -> tuple[str, Any]:  # fmt: skip
        return name, lambda: run_setup(report, name, url, tokens, workers, args, work, **kw)

    steps: list[tuple[str, Any]] = [("start-up", lambda: startup(report, args, work))]
    steps.append(setup("sqlite", f"sqlite:///{work}/k.db", 1_000, kill_check=True))
    if args.million and args.seed_supported:
        steps.append(setup("sqlite-1m", f"sqlite:///{work}/m.db", 1_000_000, only_reads=True))
    elif args.million:
        report.notes.append("sqlite-1m skipped: `tokenbridge db seed` is missing")
    if args.postgres:
        steps.append(("postgres", lambda: run_postgres(report, args, work, 1_000)))
        if args.postgres_million and args.seed_supported:
            steps.append(("postgres-1m", lambda: run_postgres(report, args, work, 1_000_000)))
    if args.workers:
        steps.append(setup("sqlite-2w", f"sqlite:///{work}/w.db", 1_000, workers=2))
    return steps


def run_postgres(report: Report, args: argparse.Namespace, work: Path, tokens: int) -> None:
    name = "postgres" if tokens < 1_000_000 else "postgres-1m"
    with postgres_schema() as url:
        if url is None:
            report.notes.append(f"{name} skipped: PostgreSQL not reachable at {POSTGRES_URL}")
            print(f"  {name}: PostgreSQL is not reachable", flush=True)
            return
        run_setup(report, name, url, tokens, 1, args, work, only_reads=tokens >= 1_000_000)


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark tokenbridge against bare ASGI.")
    parser.add_argument("--seconds", type=int, default=4, help="seconds of load per round (4)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds per case, each after a baseline; medians reported (3)",
    )
    parser.add_argument("--quick", action="store_true", help="one round of 3 s per case")
    parser.add_argument("--no-million", dest="million", action="store_false",
                        help="skip the runs with a million processor tokens")  # fmt: skip
    parser.add_argument("--no-postgres", dest="postgres", action="store_false",
                        help="skip PostgreSQL even when it is reachable")  # fmt: skip
    parser.add_argument("--postgres-million", action="store_true",
                        help="also load a million tokens into PostgreSQL")  # fmt: skip
    parser.add_argument("--no-workers", dest="workers", action="store_false",
                        help="skip the --workers 2 runs")  # fmt: skip
    parser.add_argument(
        "--profile",
        metavar="SETUP/CASE",
        action="append",
        default=[],
        help="profile a case with py-spy, e.g. sqlite/auth_get (repeatable)",
    )
    args = parser.parse_args()
    args.warmup = 1
    if args.quick:
        args.seconds, args.rounds = 3, 1
    ensure_wrk()
    args.rate_limit_flag = has_option(["serve"], "--rate-limits")
    args.seed_supported = has_option(["db", "seed"], "--tokens-out")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    report = Report(stamp, machine(), {k: v for k, v in vars(args).items()})
    if not args.seed_supported:
        report.notes.append("`tokenbridge db seed` missing: tokens loaded through the API")
    work = Path(tempfile.mkdtemp(prefix="tokenbridge-bench-"))
    try:
        # The baseline runs just before every case and once at the end, and each case is
        # compared with the baselines on either side of it: other work on the machine
        # comes and goes, and the machine drifts by 20% within an hour.
        args.baseline_server = Server([PYTHON, str(HERE / "baseline.py")], dict(os.environ),
                                      SERVER_CORES, work / "baseline.log")  # fmt: skip
        args.baseline_server.wait_ready()
        for _, run in plan(report, args, work):
            run()
        print("\n== the last baseline", flush=True)
        baseline(report, args, work)
    finally:
        if getattr(args, "baseline_server", None):
            args.baseline_server.stop()
        shutil.rmtree(work, ignore_errors=True)
    finish(report)
    text = table(report)
    print("\n" + text)
    for note in report.notes:
        print(f"note: {note}")
    payload = json.dumps(asdict(report), indent=2) + "\n"
    (RESULTS / f"{stamp}.json").write_text(payload)
    (HERE / "latest.json").write_text(payload)
    (RESULTS / f"{stamp}.md").write_text(text + "\n")
    print(f"\nwritten: bench/results/{stamp}.json, bench/latest.json")
    return 0 if all(c["ok"] for c in report.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
