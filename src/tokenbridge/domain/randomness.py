"""The one source of every random thing: ids, tokens and request ids.

By default it reads the operating system's CSPRNG. With a seed it becomes a deterministic
generator, so that a fresh database served with the same seed hands out the same ids and
tokens in the same order (for snapshots in tests). A seeded server is a test fixture, not a
security boundary: its tokens are predictable by design.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import re
import uuid

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Random bytes to base62 characters in one bytes.translate: the 248 = 4 x 62 lowest byte
# values map to a character without modulo bias; the 8 highest are dropped.
_TO_BASE62 = bytes.maketrans(bytes(range(248)), _BASE62.encode() * 4)
_NOT_BASE62 = bytes(range(248, 256))

# The CSPRNG is read this many bytes at a time: one getrandom call per request or token
# cost more than everything else it took to make a request id (PERFORMANCE.md).
_POOL_BYTES = 4096
# A child process must never hand out bytes its parent read before the fork: every pool
# remembers the fork generation it was filled in, and one from an older generation is refilled.
_fork_generation = 0


def _forked() -> None:
    global _fork_generation
    _fork_generation += 1


os.register_at_fork(after_in_child=_forked)


class RandomSource:
    def __init__(self, seed: str | None = None) -> None:
        self.seeded = seed is not None
        self._seed = seed
        # Seeded output is deterministic on purpose; unseeded output never comes from here.
        self._rng = random.Random(seed) if seed is not None else None  # noqa: S311
        self._pool = b""
        self._taken = 0
        self._generation = _fork_generation
        # Request ids come from a stream of their own, so that with a seed the ids and
        # tokens handed out do not depend on how many requests came in between.
        self._text_rng = random.Random(f"{seed}:text") if seed is not None else None  # noqa: S311
        self._text = ""
        self._text_generation = _fork_generation

    def resume(self, start: int) -> None:
        """Draw as the `start`-th seeded start on a database (`Store.claim_seeded_start`).

        A seeded server restarted on its own database would otherwise hand out its first
        ids and tokens again, which the database already holds. Start 0, on a fresh
        database, draws the seed's own sequences; every later start draws sequences of its
        own, so the same starts and requests on a fresh database give the same output.
        """
        # Every value is derived from (seed, start, its place in that start's sequence): the
        # start's number is persisted once when it starts, so no request writes anything and
        # no restart can begin inside an earlier start's sequence. Resuming from a count of
        # what the database holds (the Items) repeated a start that made no Item. The
        # sequences of a later start are seeded with a 32-byte number: a str seed (start 0)
        # always seeds with 64 bytes or more, so no later start meets the seed's own
        # sequence, and the length prefix keeps two seeds from naming one sequence.
        if self._seed is None or not start:
            return
        for stream, rng in (("tokens", self._rng), ("text", self._text_rng)):
            name = f"{len(self._seed)}:{self._seed}:{stream}:{start}".encode()
            assert rng is not None
            rng.seed(int.from_bytes(hashlib.sha256(name).digest(), "big"))
        self._text = ""

    def token_bytes(self, n: int) -> bytes:
        if self._rng is not None:
            return self._rng.randbytes(n)
        start = self._taken
        if start + n > len(self._pool) or self._generation != _fork_generation:
            # Each byte is handed out once; the rest of a pool too short for n is dropped.
            self._pool = os.urandom(max(_POOL_BYTES, n))
            self._generation = _fork_generation
            start = 0
        self._taken = start + n
        return self._pool[start : start + n]

    def base62_text(self, length: int) -> str:
        """`length` base62 characters, cut from a pool made 4 KiB at a time: for ids that are
        made often and need not be secret (request ids)."""
        text = self._text
        if len(text) < length or self._text_generation != _fork_generation:
            if self._text_generation != _fork_generation:
                text = ""
                self._text_generation = _fork_generation
            while len(text) < length:
                # Straight from the CSPRNG: through token_bytes, each refill here would
                # also throw away the rest of the token pool.
                draw = (
                    self._text_rng.randbytes(_POOL_BYTES)
                    if self._text_rng is not None
                    else os.urandom(_POOL_BYTES)
                )
                text += draw.translate(_TO_BASE62, _NOT_BASE62).decode("ascii")
        self._text = text[length:]
        return text[:length]

    def base62(self, length: int) -> str:
        """A string of `length` base62 characters (5.95 bits of entropy each)."""
        # Draw a few spare bytes so that the modulo bias stays far below one part in 2^64.
        number = int.from_bytes(self.token_bytes(length * 6 // 8 + 9), "big")
        chars = []
        for _ in range(length):
            number, digit = divmod(number, 62)
            chars.append(_BASE62[digit])
        return "".join(chars)

    def uuid4(self) -> str:
        """A random (version 4) UUID: 122 random bits, the shape of Plaid's token suffixes."""
        return str(uuid.UUID(bytes=self.token_bytes(16), version=4))


def hash_token(token: str) -> str:
    """The stored form of a token or a generated secret: SHA-256, hex.

    Tokens and the secrets we generate carry at least 122 random bits, so a plain hash (no
    salt, no stretching) is enough to keep a copy of the database from revealing a usable
    token: a salt or a KDF makes guessing harder only for values that can be guessed. A
    secret that an operator chooses can be, and is stored by `stretch_secret` instead.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# Secrets that an operator chooses (TOKENBRIDGE_SECRET) may be guessable, so they are stored
# salted and stretched: PBKDF2-HMAC-SHA256 with 600,000 iterations (OWASP's recommendation
# since 2023; in the standard library through OpenSSL; about 0.17 s of one core here). Not
# scrypt: its memory-hardness costs every server process its working memory at start (32 MiB
# at the interactive parameters, kept as the process's peak), where the benchmark holds two
# workers and their supervisor under 150 MB. The stored form names its scheme and parameter,
# "pbkdf2_sha256$iterations$salt$hash" (hex), so generated secrets (SHA-256, 64 hex digits)
# keep working beside it and the iterations can be raised later without making a stored
# record unusable.
PBKDF2_ITERATIONS = 600_000
_PBKDF2 = "pbkdf2_sha256"
_SALT_BYTES = 16
# A stored record asking for more work than this is refused, not run.
_MAX_ITERATIONS = 10_000_000
# The iterations are bounded by their digit count, the salt is 1 to 64 bytes, the hash 32.
_STRETCHED_FORM = re.compile(
    r"pbkdf2_sha256\$([1-9][0-9]{0,7})\$((?:[0-9a-f]{2}){1,64})\$((?:[0-9a-f]{2}){32})"
)


def _pbkdf2(secret: str, salt: bytes, iterations: int) -> bytes:
    password = secret.encode("utf-8", "surrogatepass")
    return hashlib.pbkdf2_hmac("sha256", password, salt, iterations, dklen=32)


def stretch_secret(secret: str) -> str:
    """The stored form of an operator-chosen secret: PBKDF2 with a new random salt. Costs
    one KDF run (about 0.2 s): call it once per pinning, never per request."""
    # The salt comes from the OS even on a seeded server: it needs no reproducing, and a
    # draw from the seeded stream would shift every id handed out after it.
    salt = os.urandom(_SALT_BYTES)
    digest = _pbkdf2(secret, salt, PBKDF2_ITERATIONS)
    return f"{_PBKDF2}${PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


def is_stretched(stored: str) -> bool:
    """True if `stored` is a `stretch_secret` form (checking it costs a KDF run)."""
    return stored.startswith(_PBKDF2 + "$")


def is_current_stretch(stored: str) -> bool:
    """True if `stored` is a `stretch_secret` form with today's parameters."""
    return stored.startswith(f"{_PBKDF2}${PBKDF2_ITERATIONS}$")


def verify_secret(secret: str, stored: str) -> bool:
    """True if `secret` is the one `stored` (either form) was made from.

    A stretched form runs the KDF (about 0.2 s, releasing the GIL): the caller decides when
    that may happen. A malformed or oversized stored form verifies nothing (False).
    """
    if not is_stretched(stored):
        return hmac.compare_digest(hash_token(secret), stored)
    form = _STRETCHED_FORM.fullmatch(stored)
    if form is None or int(form[1]) > _MAX_ITERATIONS:
        return False
    digest = _pbkdf2(secret, bytes.fromhex(form[2]), int(form[1]))
    return hmac.compare_digest(digest, bytes.fromhex(form[3]))
