"""/webhook_verification_key/get and the signature every webhook carries, through the app
(in process or live, on either backend). docs/WEBHOOKS.md; the receiver's side with the
official SDKs is tests/sdk/test_webhook_verification_sdk.py and tests/node."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt

from tests.api.conftest import Api, link_item
from tests.api.test_partner import wait_for
from tests.helpers import WebhookReceiver, deliver
from tests.helpers import assert_plaid_error as assert_error
from tokenbridge.clock import SystemClock
from tokenbridge.domain.models import WebhookKey
from tokenbridge.domain.ports import StoreUnavailable
from tokenbridge.webhooks.signing import WebhookSigner


def _current(api: Api) -> WebhookKey:
    """The current key, made as the first webhook's signature would make it."""
    return api.loop.run_until_complete(api.services.webhook_keys.ensure_current_key())


def test_a_server_loads_no_crypto_and_makes_no_key_before_its_first_webhook(api: Api) -> None:
    store = api.services.store
    assert api.loop.run_until_complete(store.current_webhook_key()) is None
    log = api.loop.run_until_complete(store.list_audit())
    assert [e for e in log if e.action == "webhook_key.create"] == []
    # PyJWT and cryptography wait for the first key or signature (about 9 MB a process).
    script = (
        "import sys, tokenbridge.app, tokenbridge.cli;"
        " print(sorted(m for m in ('jwt', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=60).stdout  # fmt: skip
    assert out.strip() == "[]"


def test_the_current_key_is_published_as_plaids_jwk(api: Api) -> None:
    key = _current(api)
    answer = api.ok("/webhook_verification_key/get", {"key_id": key.kid})
    assert answer["request_id"]
    assert answer["key"] == {
        "alg": "ES256", "crv": "P-256", "kid": key.kid, "kty": "EC", "use": "sig",
        "x": key.x, "y": key.y, "created_at": int(key.created_at), "expired_at": None,
    }  # fmt: skip


def test_an_unknown_or_missing_key_id_is_refused(api: Api) -> None:
    assert_error(api.post("/webhook_verification_key/get", {"key_id": "no-such-kid"}),
                 400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                 "invalid key_id provided")  # fmt: skip
    assert_error(api.post("/webhook_verification_key/get", {}),
                 400, "INVALID_REQUEST", "MISSING_FIELDS")  # fmt: skip
    assert_error(api.post("/webhook_verification_key/get", {"key_id": _current(api).kid},
                          headers={"PLAID-SECRET": "wrong"}),
                 400, "INVALID_INPUT", "INVALID_API_KEYS")  # fmt: skip


def test_a_webhook_carries_a_jwt_over_its_exact_body(api: Api, receiver: WebhookReceiver) -> None:
    item = link_item(api)
    api.ok("/item/webhook/update", {"access_token": item["access_token"], "webhook": receiver.url})
    wait_for(api, receiver.received, 1)
    (delivery,) = receiver.deliveries
    token = delivery.headers["plaid-verification"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": _current(api).kid, "typ": "JWT"}
    jwk: dict[str, Any] = api.ok("/webhook_verification_key/get", {"key_id": header["kid"]})["key"]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"])
    assert set(claims) == {"iat", "request_body_sha256"}
    assert claims["request_body_sha256"] == hashlib.sha256(delivery.body).hexdigest()
    assert isinstance(claims["iat"], int) and abs(claims["iat"] - time.time()) < 60
    assert delivery.headers["content-type"] == "application/json"


class _Unreadable:
    """A store whose keys cannot be read (the database is down)."""

    async def current_webhook_key(self) -> None:
        raise StoreUnavailable("the database is down")


def test_an_attempt_that_cannot_be_signed_is_not_sent(
    receiver: WebhookReceiver, tmp_path: Path
) -> None:
    signer = WebhookSigner(_Unreadable(), SystemClock())  # type: ignore[arg-type]
    payload = {"webhook_type": "ITEM", "webhook_code": "TEST"}
    done = deliver(receiver.url, payload, 2, folder=tmp_path, signer=signer)
    # Retried (the key may be readable later), never sent unsigned.
    assert done.status == "pending" and len(done.attempts) >= 2
    assert all(a.status_code is None and "not signed" in a.error for a in done.attempts)
    time.sleep(0.1)
    assert receiver.received == []
