"""The dashboard over a large database: how long each page takes to answer.

Makes a client (`tokenbridge clients create`), bulk-loads `--items` Items with one processor
token each for it (`tokenbridge db seed`, the benchmark's loader), starts `tokenbridge serve`
over that SQLite file (or `--database-url`), links a few Items through the API (so that the
audit log and the outbox hold rows), then times, `--rounds` times each, a GET with the admin
key as a bearer key of:

- the overview (`/dashboard/`), its second page of Items, a client's page and its second page;
- an Item's page (one of the bulk-loaded Items, and one linked through the API);
- the webhooks and the audit log, and a search by item_id.

Prints one JSON object: for each page, the median and p90 in milliseconds. Nothing here is a
test; run: `.venv/bin/python bench/dashboard.py [--items N] [--rounds N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tokenbridge.testing.plugin import _free_port


def _cli(*args: str, database: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tokenbridge", *args, "--database-url", database],
        check=True, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    return done.stdout


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[max(int(len(ordered) * 0.9) - 1, 0)] * 1000, 2),
    }


def _next(page: str) -> str:
    """The query of a page's link to its next page (`?before=...`)."""
    found = re.search(r'rel="next" href="[^"?]*\?([^"]+)"', page)
    if found is None:
        raise SystemExit("a page of the bench has no next page: too few Items")
    return found.group(1).replace("&amp;", "&")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tb-dashboard-bench-") as folder:
        database = options.database_url or f"sqlite:///{Path(folder) / 'tb.db'}"
        made = json.loads(_cli("clients", "create", "--name", "bench", "--json", database=database))
        started = time.perf_counter()
        _cli("db", "seed", "--items", str(options.items), "--client-id", made["client_id"],
             "--processor", "dwolla", "--seed", "bench", database=database)  # fmt: skip
        seeded = time.perf_counter() - started

        port = _free_port()
        key = secrets.token_urlsafe(24)
        env = {**os.environ, "TOKENBRIDGE_ADMIN_KEY": key, "TOKENBRIDGE_RATE_LIMITS": "off"}
        server = subprocess.Popen(
            [sys.executable, "-m", "tokenbridge", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--database-url", database],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=url, timeout=60) as http:
                for _ in range(600):
                    try:
                        if http.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.1)
                credentials = {"client_id": made["client_id"], "secret": made["secret"]}
                linked = ""
                for _ in range(5):
                    public = http.post("/sandbox/public_token/create", json={
                        **credentials, "institution_id": "ins_109508",
                        "initial_products": ["auth"],
                    }).json()["public_token"]  # fmt: skip
                    exchanged = http.post(
                        "/item/public_token/exchange", json={**credentials, "public_token": public}
                    ).json()
                    linked = exchanged["item_id"]
                    http.post("/item/webhook/update", json={
                        **credentials, "access_token": exchanged["access_token"],
                        "webhook": "https://example.com/hook",
                    })  # fmt: skip
                bearer = {"Authorization": f"Bearer {key}"}
                overview = http.get("/dashboard/", headers=bearer).text
                client = f"/dashboard/clients/{made['client_id']}"
                client_page = http.get(client, headers=bearer).text
                bulk = re.findall(r'href="/dashboard/items/([A-Za-z0-9]+)"', client_page)[-1]
                pages = {
                    "overview": "/dashboard/",
                    "overview, page 2": "/dashboard/?" + _next(overview),
                    "client": client,
                    "client, page 2": f"{client}?{_next(client_page)}",
                    "item (bulk-loaded)": f"/dashboard/items/{bulk}",
                    "item (linked, with webhooks)": f"/dashboard/items/{linked}",
                    "webhooks": "/dashboard/webhooks",
                    "audit log": "/dashboard/audit",
                    "audit log of a client": f"/dashboard/audit?client_id={made['client_id']}",
                    "search by item_id": f"/dashboard/search?q={bulk}",
                }
                timings: dict[str, Any] = {}
                for name, path in pages.items():
                    seconds = []
                    for _ in range(options.rounds):
                        begun = time.perf_counter()
                        answer = http.get(path, headers=bearer)
                        seconds.append(time.perf_counter() - begun)
                        if answer.status_code != 200:
                            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
                    timings[name] = _summary(seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps({"items": options.items, "seed_seconds": round(seeded, 1),
                      "rounds": options.rounds, "pages": timings}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
