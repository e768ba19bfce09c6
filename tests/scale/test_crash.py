"""`kill -9` in the middle of a load loses no acknowledged token and leaves no half-made state."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import postgres_schema
from tests.scale.conftest import inconsistencies, ok, post, server

REQUESTS = 200  # at most, over all threads
THREADS = 4
KILL_AFTER = 60  # acknowledged creates before the kill


@pytest.fixture(params=["sqlite", "postgres"])
def crash_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgres":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'crash.db'}"


def test_kill_9_mid_load_loses_no_acknowledged_token(
    crash_database_url: str, tmp_path: Path
) -> None:
    first = server(crash_database_url, tmp_path / "first.log")
    acknowledged: list[str] = []
    lock = threading.Lock()
    sent = 0
    with httpx.Client(timeout=10.0) as http:
        # A linked Item, so that the load mixes both ways a processor token is made.
        public = ok(http, first.url, "/sandbox/public_token/create",
                    {"institution_id": "ins_109508", "initial_products": ["auth"]})  # fmt: skip
        exchanged = ok(http, first.url, "/item/public_token/exchange",
                       {"public_token": public["public_token"]})  # fmt: skip
        accounts = ok(http, first.url, "/accounts/get",
                      {"access_token": exchanged["access_token"]})["accounts"]  # fmt: skip

        def load(worker: int) -> None:
            nonlocal sent
            while True:
                with lock:
                    if sent >= REQUESTS:
                        return
                    sent += 1
                    n = sent
                try:
                    if worker % 2:
                        response = post(http, first.url, "/sandbox/processor_token/create",
                                        {"institution_id": "ins_109508"})  # fmt: skip
                    else:
                        response = post(http, first.url, "/processor/token/create", {
                            "access_token": exchanged["access_token"],
                            "account_id": accounts[n % len(accounts)]["account_id"],
                            "processor": "dwolla"})  # fmt: skip
                except httpx.TransportError:
                    return  # the server is gone; this request's fate is unknown
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(response.json()["processor_token"])

        threads = [threading.Thread(target=load, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.005)
        first.kill()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads)
        assert len(acknowledged) >= KILL_AFTER
        assert len(acknowledged) < REQUESTS  # the kill came in the middle of the load

        second = server(crash_database_url, tmp_path / "second.log")
        try:
            for token in acknowledged:
                got = post(http, second.url, "/processor/token/permissions/get",
                           {"processor_token": token})  # fmt: skip
                assert got.status_code == 200, got.text
                assert got.json()["products"] == []
        finally:
            second.stop()
    assert inconsistencies(crash_database_url) == {}
