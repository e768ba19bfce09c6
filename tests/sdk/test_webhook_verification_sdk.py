"""Webhooks verified as Plaid's guide says, with plaid-python 46 and PyJWT, against a live
server: the `Plaid-Verification` JWT, /webhook_verification_key/get, key rotation through
the command line, and the refusals (a changed body, an old `iat`, another `alg`, an expired
key). `verify` is the receiver's code that docs/WEBHOOKS.md shows.
(https://plaid.com/docs/api/webhooks/webhook-verification/)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import plaid
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from plaid.api import plaid_api
from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from tests.helpers import Delivery, LiveServer, WebhookReceiver
from tests.sdk.conftest import api_error, link, sdk_client
from tokenbridge.storage import open_store

# The receiver's code, as docs/WEBHOOKS.md shows it ------------------------------------

MAX_AGE_SECONDS = 5 * 60


class Refused(Exception):
    """The webhook is not Plaid's (or not any more): answer it with an error, act on nothing."""


class KeyCache:
    """Keys by kid, fetched with /webhook_verification_key/get when a kid is new; a new kid
    also refreshes the cached keys that had not expired, so that a rotation is seen."""

    def __init__(self, fetch: Callable[[str], dict[str, Any]]) -> None:
        self.fetch = fetch
        self.keys: dict[str, dict[str, Any]] = {}

    def get(self, kid: str) -> dict[str, Any]:
        if kid not in self.keys:
            for known, key in list(self.keys.items()):
                if key["expired_at"] is None:
                    self.keys[known] = self.fetch(known)
            self.keys[kid] = self.fetch(kid)
        return self.keys[kid]


def verify(body: bytes, headers: dict[str, str], keys: KeyCache, now: float) -> dict[str, Any]:
    """The claims of a webhook whose raw `body` and `headers` (lower-case names) came in at
    `now`; raises Refused unless the JWT is Plaid's ES256, its key valid, its `iat` at most 5
    minutes old and its body hash that of `body`."""
    token = headers.get("plaid-verification")
    if not token:
        raise Refused("no Plaid-Verification header")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise Refused(f"not a JWT: {exc}") from None
    if header.get("alg") != "ES256":
        raise Refused(f"alg {header.get('alg')!r} is not ES256")
    key = keys.get(header["kid"])
    if key["expired_at"] is not None and key["expired_at"] <= now:
        raise Refused("the key has expired")
    try:
        claims: dict[str, Any] = jwt.decode(
            token, jwt.PyJWK(key).key, algorithms=["ES256"],
            options={"require": ["iat"], "verify_iat": False},
        )  # fmt: skip
    except jwt.InvalidTokenError as exc:
        raise Refused(f"bad signature: {exc}") from None
    if claims["iat"] < now - MAX_AGE_SECONDS:
        raise Refused("the webhook is more than 5 minutes old")
    digest = hashlib.sha256(body).hexdigest()
    if not hmac.compare_digest(digest, str(claims["request_body_sha256"])):
        raise Refused("the body is not the one that was signed")
    return claims


def plaid_keys(client: plaid_api.PlaidApi) -> KeyCache:
    """A KeyCache that fetches through plaid-python."""

    def fetch(kid: str) -> dict[str, Any]:
        answer = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid))
        key: dict[str, Any] = answer.key.to_dict()
        return key

    return KeyCache(fetch)


# Fixtures and helpers ---------------------------------------------------------------


def _acknowledged(client: plaid_api.PlaidApi, receiver: WebhookReceiver) -> Delivery:
    """The WEBHOOK_UPDATE_ACKNOWLEDGED that /item/webhook/update sends to `receiver`."""
    linked = link(client)
    before = len(receiver.deliveries)
    client.item_webhook_update(
        ItemWebhookUpdateRequest(access_token=linked.access_token, webhook=receiver.url)
    )
    receiver.wait(before + 1)
    assert len(receiver.deliveries) == before + 1
    return receiver.deliveries[-1]


def _cli(server: LiveServer, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "tokenbridge", *args, "--database-url", server.database_url],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip


def _kid(delivery: Delivery) -> str:
    kid: str = jwt.get_unverified_header(delivery.headers["plaid-verification"])["kid"]
    return kid


# Tests -------------------------------------------------------------------------------


def test_a_webhook_verifies_as_plaids_guide_says(
    server: LiveServer, receiver: WebhookReceiver
) -> None:
    client = sdk_client(server)
    delivery = _acknowledged(client, receiver)
    assert delivery.headers["content-type"] == "application/json"
    token = delivery.headers["plaid-verification"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["typ"] == "JWT" and header["kid"]
    claims = verify(delivery.body, delivery.headers, plaid_keys(client), time.time())
    assert isinstance(claims["iat"], int) and abs(claims["iat"] - time.time()) < 60
    assert claims["request_body_sha256"] == hashlib.sha256(delivery.body).hexdigest()
    assert json.loads(delivery.body)["webhook_code"] == "WEBHOOK_UPDATE_ACKNOWLEDGED"
    # The published key is Plaid's JWK shape.
    key = client.webhook_verification_key_get(
        WebhookVerificationKeyGetRequest(key_id=header["kid"])
    ).key
    assert (key.alg, key.crv, key.kty, key.use, key.kid) == (
        "ES256", "P-256", "EC", "sig", header["kid"]
    )  # fmt: skip
    assert key.expired_at is None and key.created_at <= time.time()


def test_a_changed_body_is_refused(server: LiveServer, receiver: WebhookReceiver) -> None:
    client = sdk_client(server)
    delivery = _acknowledged(client, receiver)
    body = json.loads(delivery.body)
    body["new_webhook_url"] = "https://attacker.example/hook"
    changed = json.dumps(body, separators=(",", ":")).encode()
    with pytest.raises(Refused, match="not the one that was signed"):
        verify(changed, delivery.headers, plaid_keys(client), time.time())
    # The same JSON re-serialised (spaces) is refused too: the hash is of the raw bytes.
    spaced = json.dumps(json.loads(delivery.body)).encode()
    assert spaced != delivery.body
    with pytest.raises(Refused, match="not the one that was signed"):
        verify(spaced, delivery.headers, plaid_keys(client), time.time())


def test_an_old_iat_is_refused(server: LiveServer, receiver: WebhookReceiver) -> None:
    client = sdk_client(server)
    delivery = _acknowledged(client, receiver)
    keys = plaid_keys(client)
    # The webhook captured now, checked as if it arrived 4 and then 6 minutes later.
    verify(delivery.body, delivery.headers, keys, time.time() + 4 * 60)
    with pytest.raises(Refused, match="more than 5 minutes old"):
        verify(delivery.body, delivery.headers, keys, time.time() + 6 * 60)


def test_another_alg_and_a_forged_signature_are_refused(
    server: LiveServer, receiver: WebhookReceiver
) -> None:
    client = sdk_client(server)
    delivery = _acknowledged(client, receiver)
    claims = jwt.decode(delivery.headers["plaid-verification"],
                        options={"verify_signature": False})  # fmt: skip
    kid = _kid(delivery)
    hs256 = jwt.encode(claims, "a-shared-secret-of-32-bytes-long!", algorithm="HS256",
                       headers={"kid": kid})  # fmt: skip
    with pytest.raises(Refused, match="alg 'HS256' is not ES256"):
        verify(delivery.body, {"plaid-verification": hs256}, plaid_keys(client), time.time())
    # ES256 under the server's kid, signed with a key that is not the server's.
    forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                        headers={"kid": kid})  # fmt: skip
    with pytest.raises(Refused, match="bad signature"):
        verify(delivery.body, {"plaid-verification": forged}, plaid_keys(client), time.time())
    with pytest.raises(Refused, match="no Plaid-Verification header"):
        verify(delivery.body, {}, plaid_keys(client), time.time())


def test_an_unknown_key_id_is_plaids_error(server: LiveServer) -> None:
    client = sdk_client(server)
    body = api_error(
        lambda: client.webhook_verification_key_get(
            WebhookVerificationKeyGetRequest(key_id="bfbd5111-8e33-4643-8ced-b2e642a72f3c")
        ),
        400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
    )  # fmt: skip
    assert body["error_message"] == "invalid key_id provided"
    # Without credentials, as every endpoint.
    with pytest.raises(plaid.ApiException) as info:
        sdk_client(server, "nobody", "wrong-secret").webhook_verification_key_get(
            WebhookVerificationKeyGetRequest(key_id=_any_kid(server))
        )
    assert info.value.status == 400
    assert json.loads(info.value.body)["error_code"] == "INVALID_API_KEYS"


def _any_kid(server: LiveServer) -> str:
    rows = [
        json.loads(line) for line in _cli(server, "webhook-keys", "list", "--json").splitlines()
    ]
    kid: str = rows[-1]["kid"]
    return kid


def test_rotation_signs_with_the_new_key_and_expires_the_old_one(
    server: LiveServer, receiver: WebhookReceiver
) -> None:
    client = sdk_client(server)
    keys = plaid_keys(client)
    before = _acknowledged(client, receiver)
    verify(before.body, before.headers, keys, time.time())
    old_kid = _kid(before)
    # The operator rotates beside the running server; the old key expires 1 s later.
    rotated = json.loads(_cli(server, "webhook-keys", "rotate", "--grace-seconds", "1", "--json"))
    assert rotated["current"] is True and rotated["kid"] != old_kid
    assert rotated["previous"]["kid"] == old_kid and rotated["previous"]["current"] is False
    # The running server signs the next webhook with the new key, without a restart.
    after = _acknowledged(client, receiver)
    assert _kid(after) == rotated["kid"]
    # The new kid refreshes the cache: the old key is still published, with its expiry.
    verify(after.body, after.headers, keys, time.time())
    old = keys.keys[old_kid]
    assert old["expired_at"] is not None
    listed = [
        json.loads(line) for line in _cli(server, "webhook-keys", "list", "--json").splitlines()
    ]
    current = [row["kid"] for row in listed if row["current"]]
    assert current == [rotated["kid"]]
    assert set(listed[-1]) == {"kid", "created_at", "expired_at", "current"}
    # Once expired_at has passed, a webhook signed with the old key is refused.
    time.sleep(max(0.0, old["expired_at"] + 1 - time.time()))
    with pytest.raises(Refused, match="the key has expired"):
        verify(before.body, before.headers, keys, time.time())
    verify(after.body, after.headers, keys, time.time())


async def _private_keys(database_url: str) -> list[str]:
    store = await open_store(database_url, create=False)
    try:
        return [k.private_key for k in await store.list_webhook_keys()]
    finally:
        await store.close()


def _secret_forms(pem: str) -> list[str]:
    """Every way a private key could be written out: its PEM, the PEM's base64 lines, and
    the private scalar `d` as a JWK (base64url), in hex and in decimal."""
    private = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    d = private.private_numbers().private_value
    raw = d.to_bytes(32, "big")
    lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return [pem, *lines, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), raw.hex(), str(d)]


def test_private_keys_never_leave_the_database(
    server: LiveServer, receiver: WebhookReceiver
) -> None:
    import asyncio

    client = sdk_client(server)
    _acknowledged(client, receiver)
    _cli(server, "webhook-keys", "rotate", "--json")
    _acknowledged(client, receiver)
    pems = asyncio.run(_private_keys(server.database_url))
    assert len(pems) >= 2
    said = [
        _cli(server, "webhook-keys", "list"),
        _cli(server, "webhook-keys", "list", "--json"),
        _cli(server, "webhook-keys", "rotate"),
        _cli(server, "audit", "--json"),
        _cli(server, "audit"),
    ]
    for kid in [json.loads(line)["kid"] for line in said[1].splitlines()]:
        answer = httpx.post(
            server.url + "/webhook_verification_key/get",
            json={"client_id": server.client_id, "secret": server.secret, "key_id": kid},
        )
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["key"]) == {
            "alg", "crv", "kid", "kty", "use", "x", "y", "created_at", "expired_at"
        }  # fmt: skip
        said.append(answer.text)
    said += [d.body.decode() + json.dumps(d.headers) for d in receiver.deliveries]
    assert server.log_path is not None
    said.append(server.log_path.read_text())
    everything = "\n".join(said)
    assert "webhook_key.rotate" in everything  # the audit log was read
    for pem in pems:
        for form in _secret_forms(pem):
            assert form not in everything
