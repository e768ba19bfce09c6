"""RandomSource: the CSPRNG by default, a fixed sequence when seeded."""

from __future__ import annotations

import re
import uuid

from tokenbridge.domain.randomness import RandomSource


def test_seeded_sources_repeat_and_differ_by_seed() -> None:
    a, b, c = RandomSource("x"), RandomSource("x"), RandomSource("y")
    draws_a = [a.token_bytes(16), a.base62(37), a.uuid4()]
    assert draws_a == [b.token_bytes(16), b.base62(37), b.uuid4()]
    assert draws_a != [c.token_bytes(16), c.base62(37), c.uuid4()]
    assert a.seeded and not RandomSource().seeded


def test_unseeded_source_does_not_repeat() -> None:
    source = RandomSource()
    assert len({source.token_bytes(16) for _ in range(100)}) == 100


def test_base62_shape_and_spread() -> None:
    source = RandomSource("spread")
    text = "".join(source.base62(62) for _ in range(200))
    assert re.fullmatch(r"[0-9A-Za-z]+", text)
    # 12,400 draws over 62 symbols: every symbol shows up, none wildly over-represented.
    counts = {ch: text.count(ch) for ch in set(text)}
    assert len(counts) == 62
    assert max(counts.values()) < 2 * len(text) / 62


def test_uuid4_is_version_4() -> None:
    source = RandomSource()
    for _ in range(20):
        value = uuid.UUID(source.uuid4())
        assert value.version == 4
        assert value.variant == uuid.RFC_4122
