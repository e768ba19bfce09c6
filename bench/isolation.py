"""What the pytest plugin's isolation costs a test, against what a plaid-python call costs.

Starts `tokenbridge serve` as the plugin does (tokenbridge/testing/plugin.py), then times,
over many rounds on the same server:

- one plaid-python call of a test (`/item/get` of an Item the client made), the yardstick;
- the isolation of one test, as the fixtures do it: `plaid_credentials` (a control call),
  `plaid_client` (a PlaidApi for it, closed after), `plaid_partner("dwolla")` (a control
  call and a PlaidApi), `webhook_inbox` (a control call);
- the session's start: `tokenbridge serve` to its first /health.

Rate limits are off (the yardstick repeats one call of one Item).

Prints one JSON object (medians and p90 in milliseconds, and the isolation's cost in
plaid-python calls). Run: `.venv/bin/python bench/isolation.py [--rounds N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from tokenbridge.testing.plugin import (
    PlaidCredentials,
    TokenbridgeServer,
    _plaid_api,
    _start,
    _stop,
)


def _timed(action: Callable[[], Any], rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 2),
    }


def isolate(server: TokenbridgeServer) -> None:
    """What the fixtures do for one test that asks for all of them."""
    made = server.control.post("client/create", {"name": "pytest"})
    credentials = PlaidCredentials(made["client_id"], made["secret"], server.url)
    with _plaid_api(server.url, credentials):
        partner = server.control.post(
            "partner/create", {"client_id": credentials.client_id, "processor": "dwolla"}
        )
        partner_credentials = PlaidCredentials(partner["client_id"], partner["secret"], server.url)
        with _plaid_api(server.url, partner_credentials):
            server.control.post("inbox/create")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args(argv)
    # The yardstick repeats one call of one Item, past Plaid's rate limit for it.
    os.environ["TOKENBRIDGE_RATE_LIMITS"] = "off"
    with tempfile.TemporaryDirectory() as folder:
        starts = []
        for i in range(args.starts):
            started = time.perf_counter()
            server = _start(Path(folder), f"sqlite:///{folder}/start-{i}.db")
            starts.append(time.perf_counter() - started)
            _stop(server)
        server = _start(Path(folder), f"sqlite:///{folder}/tb.db")
        try:
            made = server.control.post("client/create")
            credentials = PlaidCredentials(made["client_id"], made["secret"], server.url)
            with _plaid_api(server.url, credentials) as client:
                public = client.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
                    institution_id="ins_109508", initial_products=[Products("auth")]
                )).public_token  # fmt: skip
                access = client.item_public_token_exchange(
                    ItemPublicTokenExchangeRequest(public_token=public)
                ).access_token
                request = ItemGetRequest(access_token=access)
                _timed(lambda: client.item_get(request), 20)  # warm-up
                call = _timed(lambda: client.item_get(request), args.rounds)
            _timed(lambda: isolate(server), 20)  # warm-up
            isolation = _timed(lambda: isolate(server), args.rounds)
        finally:
            _stop(server)
    report = {
        "rounds": args.rounds,
        "plaid_python_item_get": _summary(call),
        "isolation_of_one_test": _summary(isolation),
        "isolation_in_item_get_calls": round(
            statistics.median(isolation) / statistics.median(call), 2
        ),
        "session_start_to_health": _summary(starts),
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
