"""API clients: creating them, pinning the sandbox client, and authenticating requests.

How a request's credentials are checked, and what each check costs:

- A secret that authenticated the client within the last VERIFIED_TTL seconds is checked by
  one constant-time comparison of the two strings: no read, no hash. That is the hot path.
- Anything else reads the client's row (one primary-key read) and compares the SHA-256 of
  the presented secret with a hash: the stored one (generated secrets), the SHA-256 of the
  secret this process has verified for that row (pinned secrets, stored by PBKDF2), or a
  dummy (an unknown client_id). An unknown client_id, a wrong secret and a secret whose
  trust expired thus take the same path, and a changed secret is seen by a server within
  VERIFIED_TTL, or at once by a request whose comparison fails (it reads the row first).
- The KDF runs only when this process has not yet verified any secret for the pinned row
  it just read: at most once per row version for the right secret, and never more than
  KDF_RUNS_PER_SECOND times a second per client (see `_spend_kdf_run`).
"""

from __future__ import annotations

import asyncio
import hmac
import math
from dataclasses import dataclass, field

from tokenbridge.domain import audit, errors
from tokenbridge.domain.catalog import PROCESSOR_SET
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.models import Client
from tokenbridge.domain.ports import Clock, Store
from tokenbridge.domain.randomness import (
    hash_token,
    is_current_stretch,
    is_stretched,
    stretch_secret,
    verify_secret,
)

# How long (seconds) a verified secret is trusted before the client's row is read again:
# one primary-key read per client per this long, whatever the request rate. It bounds how
# long a server keeps accepting a secret that another server has replaced (docs/DEPLOYMENT.md).
VERIFIED_TTL = 2.0
# The KDF runs per client and second of the clock beyond which a secret that this process
# cannot check without the KDF is refused (INVALID_API_KEYS) unchecked. A flood of wrong
# secrets then costs at most this many runs (0.2 s of CPU each, in a worker thread) a
# second per pinned client, rather than one per request.
KDF_RUNS_PER_SECOND = 2
# Wrong secrets remembered per pinned row, so that a client still sending the secret
# that was replaced costs one KDF run, not one per request.
REFUTED_KEPT = 16

# Stored PBKDF2 forms whose secret this process knows: stored form -> SHA-256 of the
# secret. Shared by every ClientService of the process, so that the KDF's cost is paid once
# per secret and process, not per service: the command line pins the client before the app
# it serves pins it again, and a test run builds hundreds of apps. A fresh database pinned
# with a secret already stretched here gets the same stored form (salt included). Only
# secrets verified right are kept; at most KNOWN_FORMS_KEPT, the oldest forgotten first.
_KNOWN_FORMS: dict[str, str] = {}
KNOWN_FORMS_KEPT = 64


def _remember_form(stored: str, digest: str) -> None:
    _KNOWN_FORMS[stored] = digest
    if len(_KNOWN_FORMS) > KNOWN_FORMS_KEPT:
        del _KNOWN_FORMS[next(iter(_KNOWN_FORMS))]


@dataclass(slots=True)
class _Verified:
    """A secret that authenticated `client`, whose row was read at `read_at`."""

    secret: str
    client: Client
    read_at: float


@dataclass(slots=True)
class _Stretched:
    """What this service knows about one version of a client's PBKDF2-stored secret
    (`stored`, its stored form). A new version of the row starts from _KNOWN_FORMS."""

    stored: str
    # The SHA-256 of the secret verified against `stored`, once one has been: from then
    # on any secret is checked by comparing its SHA-256 with this, no KDF.
    known: str | None = None
    # SHA-256 of secrets the KDF found wrong (oldest first), at most REFUTED_KEPT.
    refuted: dict[str, None] = field(default_factory=dict)
    # KDF runs under way, by the SHA-256 of the secret: concurrent requests with one
    # secret share a run instead of each spending the budget.
    pending: dict[str, asyncio.Future[bool]] = field(default_factory=dict)


class ClientService:
    def __init__(self, store: Store, ids: Ids, clock: Clock) -> None:
        self.store = store
        self.ids = ids
        self.clock = clock
        self._now = clock.now
        # The hot path, per client_id. Secrets stay in this process's memory only; only
        # clients that exist get an entry, so a flood of unknown client_ids keeps nothing.
        self._verified: dict[str, _Verified] = {}
        self._stretched: dict[str, _Stretched] = {}
        # Per client_id: (second of the clock, KDF runs started in it).
        self._kdf_runs: dict[str, tuple[int, int]] = {}
        self._dummy_hash = hash_token(ids.random.uuid4())

    async def create_client(
        self, name: str, processor: str | None = None, *, request_id: str | None = None,
        world: str = "", isolated: bool = False,
    ) -> tuple[Client, str]:  # fmt: skip
        """A new client and its secret, which is returned here once and stored hashed: of
        `world` ("" the shared one), or `isolated` (a world of its own)."""
        if processor is not None and processor not in PROCESSOR_SET and processor != "stripe":
            raise errors.InvalidField(f"unknown processor {processor!r}")
        secret = self.ids.secret()
        client_id = self.ids.client_id()
        client = Client(
            client_id=client_id,
            name=name,
            # A generated secret is random (hash_token says why SHA-256 is enough for it):
            # checking it costs a hash, never a KDF run.
            secret_hash=hash_token(secret),
            created_at=self.clock.now(),
            processor=processor,
            world=client_id if isolated else world,
        )
        # The actor of a client's creation is the new client itself: clients are made by an
        # operator (the command line), who has no client_id.
        action = audit.CLIENT_CREATE if processor is None else audit.PARTNER_CREATE
        entry = audit.entry(
            client.created_at, client.client_id, action, request_id, processor=processor,
            detail=name,
        )  # fmt: skip
        if not await self.store.create_client(client, [entry]):
            raise errors.InvalidField("a client with this client_id exists")
        return client, secret

    async def pin_client(self, client_id: str, secret: str, name: str) -> Client:
        """Make sure a client with exactly these credentials exists (TOKENBRIDGE_CLIENT_ID).

        The secret is stored by PBKDF2 (an operator chose it). A stored record that this
        secret verifies, with today's parameters, is kept as it is; any other (another
        secret, or an older form such as the SHA-256 that earlier versions stored) is
        replaced. One KDF run (two when the record holds another secret, none when this
        process has stretched or verified the form before); the secret is then known to
        this service, so its requests never run the KDF.
        """
        digest = hash_token(secret)
        existing = await self.store.get_client(client_id)
        if (
            existing is not None
            and is_current_stretch(existing.secret_hash)
            and await self._verified_by_kdf(existing.secret_hash, secret, digest)
        ):
            client = existing
        else:
            made = [s for s, d in _KNOWN_FORMS.items() if d == digest and is_current_stretch(s)]
            stored = made[-1] if made else await asyncio.to_thread(stretch_secret, secret)
            _remember_form(stored, digest)
            client = Client(client_id, name, stored, self.clock.now())
            entry = audit.entry(client.created_at, client_id, audit.CLIENT_PUT, None, detail=name)
            await self.store.put_client(client, [entry])
        # Not the hot path's cache: the first request still reads the row (and finds it
        # changed if another server has pinned since), then compares hashes, no KDF.
        self._stretched[client_id] = _Stretched(client.secret_hash, known=digest)
        return client

    async def _verified_by_kdf(self, stored: str, secret: str, digest: str) -> bool:
        """verify_secret, from this process's memory of known forms when it can."""
        known = _KNOWN_FORMS.get(stored)
        if known is not None:
            return hmac.compare_digest(known, digest)
        # In a worker thread (OpenSSL's PBKDF2 releases the GIL): the 0.2 s would otherwise stall
        # every request this process is serving.
        if not await asyncio.to_thread(verify_secret, secret, stored):
            return False
        _remember_form(stored, digest)
        return True

    async def authenticate(self, client_id: str, secret: str) -> Client:
        """The client these credentials belong to; raises InvalidApiKeys otherwise."""
        verified = self._verified.get(client_id)
        # compare_digest takes str only when it is ASCII; other secrets go the long way. A
        # clock that stepped back counts as an expired trust.
        if (
            verified is not None
            and secret.isascii()
            and hmac.compare_digest(verified.secret, secret)
            and 0.0 <= self._now() - verified.read_at < VERIFIED_TTL
        ):
            return verified.client
        return await self._authenticate_by_row(client_id, secret)

    async def _authenticate_by_row(self, client_id: str, secret: str) -> Client:
        """authenticate's check against the client's row as the store has it now."""
        read_at = self._now()
        client = await self.store.get_client(client_id)
        digest = hash_token(secret)
        if client is None:
            # The same comparison as for a client that exists, against a hash of the same
            # kind, so that timing tells nothing about which client_ids exist.
            hmac.compare_digest(digest, self._dummy_hash)
            raise errors.InvalidApiKeys()
        stored = client.secret_hash
        if is_stretched(stored):
            matched = await self._check_stretched(client_id, stored, secret, digest, read_at)
        else:
            matched = hmac.compare_digest(digest, stored)
        if not matched:
            cached = self._verified.get(client_id)
            if cached is not None and cached.client.secret_hash != stored:
                # The secret was changed: the one cached is refused from now on, not only
                # once its trust runs out.
                del self._verified[client_id]
            raise errors.InvalidApiKeys()
        cached = self._verified.get(client_id)
        # Of two concurrent checks, the one that read the row last decides what is cached.
        if secret.isascii() and (cached is None or cached.read_at <= read_at):
            self._verified[client_id] = _Verified(secret, client, read_at)
        return client

    async def _check_stretched(
        self, client_id: str, stored: str, secret: str, digest: str, now: float
    ) -> bool:
        """True if `secret` (whose SHA-256 is `digest`) matches the PBKDF2 form `stored`."""
        record = self._stretched.get(client_id)
        if record is None or record.stored != stored:
            record = _Stretched(stored, known=_KNOWN_FORMS.get(stored))
            self._stretched[client_id] = record
        if record.known is not None:
            return hmac.compare_digest(digest, record.known)
        if digest in record.refuted:
            return False
        running = record.pending.get(digest)
        if running is None:
            if not self._spend_kdf_run(client_id, now):
                return False
            running = asyncio.ensure_future(self._run_kdf(record, secret, digest))
            record.pending[digest] = running
        # shield: a request that gives up (its client went away) must not cancel the run
        # that others with the same secret wait on.
        return await asyncio.shield(running)

    def _spend_kdf_run(self, client_id: str, now: float) -> bool:
        """Take one KDF run from the client's budget for this second; False if spent.

        Only a pinned row that this process has not verified any secret for gets here: in a
        process that pinned the secret itself, only after another server has changed it.
        Once one request with the right secret has been checked, no secret costs a KDF
        run again until the row changes. A legitimate client that meets a spent budget (a
        flood of wrong secrets for its client_id, at a server that has not yet checked its
        new secret) is answered INVALID_API_KEYS, as for a wrong secret, and succeeds on a
        later second whose budget it wins; a server that pinned the new secret at start
        never needs the budget for it.
        """
        second = math.floor(now)
        start, runs = self._kdf_runs.get(client_id, (second, 0))
        if start != second:
            runs = 0
        if runs >= KDF_RUNS_PER_SECOND:
            return False
        self._kdf_runs[client_id] = (second, runs + 1)
        return True

    async def _run_kdf(self, record: _Stretched, secret: str, digest: str) -> bool:
        try:
            matched = await self._verified_by_kdf(record.stored, secret, digest)
        finally:
            del record.pending[digest]
        if matched:
            record.known = digest
            record.refuted.clear()
        else:
            record.refuted[digest] = None
            if len(record.refuted) > REFUTED_KEPT:
                del record.refuted[next(iter(record.refuted))]
        return matched

    def forget(self) -> None:
        """Forget every secret this service has verified: after a reset that deleted
        clients, their next request reads their row (and finds none)."""
        self._verified.clear()
