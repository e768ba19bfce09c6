"""Security properties of the code paths: constant-time comparisons, lookups by hash only,
one path and one answer for a token that does not exist and a token of another client,
and no CORS unless asked for.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, link_item
from tests.helpers import CLIENT_ID, SECRET, LiveServer
from tokenbridge.app import create_app
from tokenbridge.domain.ports import Store
from tokenbridge.domain.randomness import hash_token
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store

NEW_ITEM = {"institution_id": "ins_109508", "initial_products": ["auth"]}


class RecordingStore:
    """A Store that records every call (name and arguments) before passing it on."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return await attribute(*args, **kwargs)

        return call

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]


@pytest.fixture
def recorded() -> Iterator[tuple[Api, RecordingStore]]:
    """The in-process app over a store that records what it is asked."""
    loop = asyncio.new_event_loop()
    store = RecordingStore(loop.run_until_complete(open_store("sqlite:///:memory:")))
    app = create_app(Settings(client_id=CLIENT_ID, secret=SECRET), store=store)  # type: ignore[arg-type]
    loop.run_until_complete(app.startup())
    client = Api(app, loop)
    yield client, store
    client.close()
    loop.run_until_complete(app.shutdown())
    loop.close()


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a call's arguments: dataclasses, sequences and mappings opened."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v)


# Constant-time comparison --------------------------------------------------------------


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Every call of hmac.compare_digest, with its arguments."""
    calls: list[tuple[Any, Any]] = []
    real: Callable[[Any, Any], bool] = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [(CLIENT_ID, SECRET), (CLIENT_ID, "wrong-secret"), ("no-such-client", SECRET)],
    ids=["right", "wrong-secret", "unknown-client"],
)
def test_secrets_are_compared_as_hashes_in_constant_time(
    api: Api, compared: list[tuple[Any, Any]], client_id: str, secret: str
) -> None:
    headers = {"PLAID-CLIENT-ID": client_id, "PLAID-SECRET": secret}
    api.post("/item/get", {"access_token": "a"}, headers=headers)
    # One comparison, of the SHA-256 of the secret with a stored hash: whether or not the
    # client exists, so that timing tells nothing about which client_ids exist.
    assert len(compared) == 1
    given, expected = compared[0]
    assert given == hash_token(secret)
    assert len(expected) == 64 and expected != secret


def test_body_and_header_credentials_are_compared_in_constant_time(
    api: Api, compared: list[tuple[Any, Any]]
) -> None:
    api.post("/item/get", {"secret": SECRET + "x", "access_token": "a"})
    assert (SECRET.encode(), (SECRET + "x").encode()) in compared


# Lookups by hash only --------------------------------------------------------------------


def test_the_store_never_sees_a_plaintext_token_or_secret(
    recorded: tuple[Api, RecordingStore],
) -> None:
    api, store = recorded
    linked = link_item(api)
    access, account = linked["access_token"], linked["accounts"][0]["account_id"]
    public = api.ok("/sandbox/public_token/create", NEW_ITEM)["public_token"]
    processor = api.ok("/processor/token/create", {"access_token": access, "account_id": account,
                       "processor": "dwolla"})["processor_token"]  # fmt: skip
    api.ok("/item/public_token/exchange", {"public_token": public})
    api.ok("/processor/token/permissions/set", {"processor_token": processor, "products": []})
    api.ok("/processor/token/permissions/get", {"processor_token": processor})
    stripe = {"access_token": access, "account_id": account}
    btok = api.ok("/processor/stripe/bank_account_token/create", stripe)[
        "stripe_bank_account_token"
    ]
    sandbox_processor = api.ok("/sandbox/processor_token/create",
                               {"institution_id": "ins_109508"})["processor_token"]  # fmt: skip
    api.ok("/item/remove", {"access_token": access})
    api.post("/item/get", {"access_token": access})

    plaintext = {access, public, processor, btok, sandbox_processor, SECRET}
    seen = {s for _, args, kwargs in store.calls for s in _strings([args, kwargs])}
    assert plaintext.isdisjoint(seen)
    # Each token was looked up by its hash.
    lookups = [(name, args) for name, args, _ in store.calls]
    assert ("get_item_by_access_token", (hash_token(access),)) in lookups
    assert ("get_processor_token", (hash_token(processor),)) in lookups
    assert any(
        name == "exchange_public_token" and args[0] == hash_token(public) for name, args in lookups
    )


# Unknown token and another client's token: one path, one answer --------------------------


def _same_answer(api: Api, store: RecordingStore, path: str, field: str, theirs: str,
                 unknown: str, headers: dict[str, str]) -> None:  # fmt: skip
    answers = []
    for token in (theirs, unknown):
        store.calls.clear()
        response = api.post(path, {field: token}, headers=headers)
        body = response.json()
        body.pop("request_id")
        # Without get_client: the credentials' row is read again when their trust expires
        # (every 2 s), whichever token the request carries.
        names = [name for name in store.names() if name != "get_client"]
        answers.append((response.status_code, body, names))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400


def test_unknown_and_foreign_tokens_take_one_path(recorded: tuple[Api, RecordingStore]) -> None:
    api, store = recorded
    linked = link_item(api)
    access, account = linked["access_token"], linked["accounts"][0]["account_id"]
    processor = api.ok("/processor/token/create", {"access_token": access, "account_id": account,
                       "processor": "dwolla"})["processor_token"]  # fmt: skip
    public = api.ok("/sandbox/public_token/create", NEW_ITEM)["public_token"]
    other, other_secret = api.loop.run_until_complete(api.services.clients.create_client("other"))
    headers = {"PLAID-CLIENT-ID": other.client_id, "PLAID-SECRET": other_secret}
    fake = "-sandbox-00000000-0000-4000-8000-000000000000"
    api.post("/item/get", {"access_token": "warm"}, headers=headers)  # the client is cached now
    _same_answer(api, store, "/item/get", "access_token", access, "access" + fake, headers)
    _same_answer(api, store, "/accounts/get", "access_token", access, "access" + fake, headers)
    _same_answer(api, store, "/processor/token/permissions/get", "processor_token", processor,
                 "processor" + fake, headers)  # fmt: skip
    _same_answer(api, store, "/item/public_token/exchange", "public_token", public,
                 "public" + fake, headers)  # fmt: skip


# CORS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(f"sqlite:///{tmp_path_factory.mktemp('cors') / 'tb.db'}").start()
    yield live
    live.stop()


def test_cors_is_off_by_default(server: LiveServer) -> None:
    origin = {"Origin": "https://evil.example"}
    preflight = httpx.options(server.url + "/item/get", timeout=10, headers={
        **origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "plaid-client-id, plaid-secret"})  # fmt: skip
    post = httpx.post(server.url + "/item/get", json={"access_token": "a"}, timeout=10, headers={
        **origin, "PLAID-CLIENT-ID": server.client_id, "PLAID-SECRET": server.secret})  # fmt: skip
    get = httpx.get(server.url + "/openapi.json", headers=origin, timeout=10)
    for response in (preflight, post, get):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert preflight.status_code == 404
    assert post.json()["error_code"] == "INVALID_ACCESS_TOKEN"
    assert get.status_code == 200
