"""The one source of every random thing: ids, tokens and request ids.

By default it reads the operating system's CSPRNG. With a seed it becomes a deterministic
generator, so that a fresh database served with the same seed hands out the same ids and
tokens in the same order (for snapshots in tests). A seeded server is a test fixture, not a
security boundary: its tokens are predictable by design.
"""

from __future__ import annotations

import hashlib
import os
import random
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

    def resume(self, position: int) -> None:
        """Continue a seeded sequence over a database that already holds `position` Items.

        A seeded server restarted on its own database would otherwise hand out its first
        ids and tokens again, which the database already holds. On a fresh database
        (position 0) the sequence is the seed's own.
        """
        if self._rng is not None and position:
            self._rng.seed(f"{self._seed}:{position}")
        if self._text_rng is not None and position:
            self._text_rng.seed(f"{self._seed}:text:{position}")
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
    """The stored form of a token or secret: SHA-256, hex.

    Tokens and secrets carry at least 122 random bits, so a plain hash (no salt, no
    stretching) is enough to keep a copy of the database from revealing a usable token.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
