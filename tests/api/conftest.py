"""In-process API tests: the ASGI app called directly, no socket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import CLIENT_ID, SECRET
from tokenbridge.app import create_app
from tokenbridge.http.app import TokenBridgeApp
from tokenbridge.settings import Settings
from tokenbridge.storage import open_store


class Api:
    """A synchronous client for the in-process app, with the sandbox client's headers."""

    def __init__(self, app: TokenBridgeApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tokenbridge"
        )
        self.headers = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}

    def switch(self, app: TokenBridgeApp) -> None:
        """Send the next requests to `app` (e.g. one built with other ports)."""
        self.loop.run_until_complete(self._http.aclose())
        self.app = app
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tokenbridge"
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.loop.run_until_complete(self._http.post(path, headers=headers, **kwargs))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self._http.request(method, path, **kwargs))

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST and return the JSON of a 200; fail the test otherwise."""
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self.loop.run_until_complete(self._http.aclose())


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """The app over a fresh database of the backend chosen by TOKENBRIDGE_TEST_BACKEND."""
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(open_store(database_url))
    app = create_app(Settings(client_id=CLIENT_ID, secret=SECRET), store=store)
    loop.run_until_complete(app.startup())
    client = Api(app, loop)
    yield client
    client.close()
    loop.run_until_complete(app.shutdown())
    loop.close()


def rebuild(api: Api, **ports: Any) -> None:
    """Point `api` at a new app over the same store, built with other ports (a clock, an
    outbox, a limiter): the factory's parameters, not patched attributes."""
    assert api.app.services is not None
    app = create_app(
        Settings(client_id=CLIENT_ID, secret=SECRET), store=api.app.services.store, **ports
    )
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


class Partner:
    """A processor partner's credentials, sent in the headers of its calls."""

    def __init__(self, api: Api, processor: str) -> None:
        service = api.app.services
        assert service is not None
        client, secret = api.loop.run_until_complete(
            service.clients.create_client(processor, processor=processor)
        )
        self.api = api
        self.headers = {"PLAID-CLIENT-ID": client.client_id, "PLAID-SECRET": secret}

    def on(self, api: Api) -> Partner:
        """The same partner, calling another app (another server over the same database)."""
        other = object.__new__(Partner)
        other.api, other.headers = api, self.headers
        return other

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.api.post(path, body, headers=self.headers)

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def dwolla(api: Api) -> Partner:
    return Partner(api, "dwolla")
