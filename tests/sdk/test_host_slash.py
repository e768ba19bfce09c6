"""The official client configured with a trailing slash on its host, as many configs write
it: `http://127.0.0.1:8787/` makes plaid-python send `//item/get`, which is served as
`/item/get` (docs/ENDPOINTS.md)."""

from __future__ import annotations

import plaid
from plaid.api import plaid_api
from plaid.model.item_get_request import ItemGetRequest

from tests.helpers import LiveServer
from tests.sdk.conftest import api_error, link


def test_a_host_with_a_trailing_slash_works(server: LiveServer) -> None:
    cfg = plaid.Configuration(
        host=server.url + "/",
        api_key={"clientId": server.client_id, "secret": server.secret},
    )
    client = plaid_api.PlaidApi(plaid.ApiClient(cfg))
    linked = link(client)
    item = client.item_get(ItemGetRequest(access_token=linked.access_token))
    assert item.item.item_id == linked.item_id
    # A Plaid error still comes back as one, through the same doubled slash.
    unknown = ItemGetRequest(access_token="access-sandbox-00000000-0000-4000-8000-000000000000")
    api_error(lambda: client.item_get(unknown), 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
