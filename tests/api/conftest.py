"""The API suite: the ASGI app called directly (no socket), or with TOKENBRIDGE_TEST_TARGET=live
the same tests against a real `tokenbridge serve` on a loopback port (as moto runs its suite in
process and in server mode). Operator actions (creating a partner, reading the audit log) go
through services over the same database, as the `tokenbridge` command's do."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, overload

import httpx
import pytest

from tests.conftest import chosen_target
from tests.helpers import ADMIN_KEY, CLIENT_ID, SECRET, LiveServer
from tokenbridge.app import build_services, create_app
from tokenbridge.domain.models import Webhook
from tokenbridge.domain.services import Services
from tokenbridge.http.app import TokenBridgeApp
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store


class Api:
    """A synchronous client with the sandbox client's headers, for the in-process `app` or,
    with `server`, a live one (`operator` then holds services over the server's database)."""

    def __init__(
        self,
        app: TokenBridgeApp | None,
        loop: asyncio.AbstractEventLoop,
        *,
        server: LiveServer | None = None,
        operator: Services | None = None,
    ) -> None:
        self.app = app
        self.loop = loop
        self._operator = operator
        if server is not None:
            self._http = httpx.AsyncClient(base_url=server.url)
        else:
            assert app is not None
            self._http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tokenbridge"
            )
        self.headers = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}

    @property
    def url(self) -> str:
        """The server's base URL, as the requests reach it (no trailing slash)."""
        return str(self._http.base_url).rstrip("/")

    @property
    def services(self) -> Services:
        """The domain services over the database the requests reach."""
        services = self.app.services if self.app is not None else self._operator
        assert services is not None, "the app serves only after start-up"
        return services

    def switch(self, app: TokenBridgeApp) -> None:
        """Send the next requests to `app` (e.g. one built with other ports)."""
        if self.app is None:
            pytest.skip("builds the app with other ports: in-process only")
        self.loop.run_until_complete(self._http.aclose())
        self.app = app
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tokenbridge"
        )

    def _sendable(self, headers: dict[str, str]) -> None:
        # Over a socket httpx refuses a header value with whitespace at either end or a
        # control character; tests/hostile/test_live.py sends such bytes raw.
        if self.app is None and any(
            isinstance(v, str) and (v != v.strip() or any(c < " " or c == "\x7f" for c in v))
            for v in headers.values()
        ):
            pytest.skip("httpx sends no such header value over a socket (see test_live.py)")

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        self._sendable(headers)
        if body is not None:
            kwargs["json"] = body
        return self.loop.run_until_complete(self._http.post(path, headers=headers, **kwargs))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self._sendable(kwargs.get("headers") or {})
        return self.loop.run_until_complete(self._http.request(method, path, **kwargs))

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST and return the JSON of a 200; fail the test otherwise."""
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self.loop.run_until_complete(self._http.aclose())


@contextmanager
def running_api(database_url: str, log_path: Path, **settings: Any) -> Iterator[Api]:
    """The app over `database_url`, in process or live (TOKENBRIDGE_TEST_TARGET), with the
    sandbox client's credentials, the admin key and `settings` (for a live server, each
    as its variable: rate_limit_scale as TOKENBRIDGE_RATE_LIMIT_SCALE)."""
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(open_store(database_url))
    if chosen_target() == "live":
        env = {f"TOKENBRIDGE_{name.upper()}": str(value) for name, value in settings.items()}
        server = LiveServer(database_url, log_path=log_path, env=env).start()
        client = Api(None, loop, server=server, operator=build_services(Settings(), store))
        yield client
        client.close()
        server.stop()
        loop.run_until_complete(store.close())
    else:
        app = create_app(
            Settings(client_id=CLIENT_ID, secret=SECRET, admin_key=ADMIN_KEY, **settings),
            store=store,
        )
        loop.run_until_complete(app.startup())
        client = Api(app, loop)
        yield client
        client.close()
        loop.run_until_complete(app.shutdown())
    loop.close()


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The app over a fresh database of the backend chosen by TOKENBRIDGE_TEST_BACKEND, in
    process or live (TOKENBRIDGE_TEST_TARGET)."""
    with running_api(database_url, tmp_path / "serve.log") as client:
        yield client


def rebuild(api: Api, **ports: Any) -> None:
    """Point `api` at a new app over the same store, built with other ports (a clock, an
    outbox, a limiter): the factory's parameters, not patched attributes."""
    if api.app is None:
        pytest.skip("builds the app with other ports: in-process only")
    settings = Settings(client_id=CLIENT_ID, secret=SECRET, admin_key=ADMIN_KEY)
    app = create_app(settings, store=api.services.store, **ports)
    api.loop.run_until_complete(app.startup())
    api.switch(app)


def link_item(api: Api, institution_id: str = "ins_109508") -> dict[str, Any]:
    """A sandbox Item, exchanged: {access_token, item_id, accounts}."""
    public = api.ok(
        "/sandbox/public_token/create",
        {"institution_id": institution_id, "initial_products": ["auth", "transactions"]},
    )
    exchanged = api.ok("/item/public_token/exchange", {"public_token": public["public_token"]})
    accounts = api.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    return {**exchanged, "accounts": accounts}


class Caller:
    """A client's credentials, sent in the headers of its Plaid calls to `api`."""

    def __init__(self, api: Api, client_id: str, secret: str) -> None:
        self.api = api
        self.client_id = client_id
        self.headers = {"PLAID-CLIENT-ID": client_id, "PLAID-SECRET": secret}

    def on(self, api: Api) -> Caller:
        """The same client, calling another app (another server over the same database)."""
        other = object.__new__(type(self))
        other.api, other.client_id, other.headers = api, self.client_id, self.headers
        return other

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.api.post(path, body, headers=self.headers)

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


class Partner(Caller):
    """A processor partner of the shared world, made for the test."""

    def __init__(self, api: Api, processor: str) -> None:
        client, secret = api.loop.run_until_complete(
            api.services.clients.create_client(processor, processor=processor)
        )
        super().__init__(api, client.client_id, secret)


@pytest.fixture
def dwolla(api: Api) -> Partner:
    return Partner(api, "dwolla")


class Sent(Sequence[tuple[str, dict[str, Any]]]):
    """The webhooks the app has written to its outbox, as (url, payload), oldest first: read
    from the store at each look, whatever the delivery worker has made of them."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._cleared: set[str] = set()

    def _webhooks(self) -> list[Webhook]:
        store = self.api.services.store
        webhooks = self.api.loop.run_until_complete(store.list_webhooks(limit=10_000))
        fresh = [w for w in webhooks if w.webhook_id not in self._cleared]
        return sorted(fresh, key=lambda w: w.created_at)

    def _all(self) -> list[tuple[str, dict[str, Any]]]:
        return [(w.url, json.loads(w.body)) for w in self._webhooks()]

    def clear(self) -> None:
        """From now on, only the webhooks fired after this call."""
        self._cleared |= {w.webhook_id for w in self._webhooks()}

    @overload
    def __getitem__(self, index: int) -> tuple[str, dict[str, Any]]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, dict[str, Any]]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __eq__(self, other: object) -> bool:
        return self._all() == other


@pytest.fixture
def sent(api: Api) -> Sent:
    """Webhooks the app has fired, read from its outbox (in process and live alike)."""
    return Sent(api)
