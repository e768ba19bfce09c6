"""RandomSource: the CSPRNG by default, a fixed sequence when seeded."""

from __future__ import annotations

import os
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


def test_unseeded_draws_across_pool_refills_never_repeat() -> None:
    source = RandomSource()
    # 3,000 draws of 20 bytes span about 15 pools of 4 KiB, with odd ends left over.
    draws = [source.token_bytes(20) for _ in range(3000)]
    assert len(set(draws)) == len(draws)
    assert all(len(d) == 20 for d in draws)
    assert len(source.token_bytes(10_000)) == 10_000


def test_a_forked_child_never_hands_out_its_parents_pooled_bytes() -> None:
    source = RandomSource()
    source.token_bytes(16)  # the pool now holds bytes the parent has not handed out yet
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next draw and leave at once
        os.write(write_end, source.token_bytes(16))
        os._exit(0)
    os.close(write_end)
    from_child = os.read(read_end, 16)
    os.close(read_end)
    os.waitpid(pid, 0)
    assert len(from_child) == 16
    assert from_child != source.token_bytes(16)


def test_base62_text_is_base62_and_does_not_repeat() -> None:
    source = RandomSource()
    ids = [source.base62_text(15) for _ in range(2000)]  # spans several 4 KiB pools
    assert all(re.fullmatch(r"[0-9A-Za-z]{15}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_seeded_text_does_not_shift_the_token_sequence() -> None:
    # Request ids come from their own stream: serving more requests between two tokens
    # leaves the tokens of a seeded source as they were.
    quiet, busy = RandomSource("s"), RandomSource("s")
    for _ in range(50):
        busy.base62_text(15)
    assert [quiet.uuid4() for _ in range(3)] == [busy.uuid4() for _ in range(3)]
    assert RandomSource("s").base62_text(15) == RandomSource("s").base62_text(15)


def draws(source: RandomSource) -> list[str]:
    return [source.uuid4(), source.base62(37), source.base62_text(15), source.base62_text(15)]


def test_resume_moves_request_ids_on_too() -> None:
    fresh, restarted = RandomSource("s"), RandomSource("s")
    restarted.resume(5)
    assert fresh.base62_text(15) != restarted.base62_text(15)


def test_start_0_draws_the_seeds_own_sequence() -> None:
    resumed = RandomSource("s")
    resumed.resume(0)
    assert draws(resumed) == draws(RandomSource("s"))


def test_every_start_draws_a_sequence_of_its_own_and_the_same_each_time() -> None:
    def start(seed: str, number: int) -> list[str]:
        source = RandomSource(seed)
        source.resume(number)
        return draws(source)

    runs = {(seed, n): start(seed, n) for seed in ("s", "t", "s:1") for n in range(4)}
    values = [value for run in runs.values() for value in run]
    assert len(values) == len(set(values))  # no start repeats a value of another
    assert start("s", 3) == runs["s", 3]


def test_resume_after_draws_moves_the_text_pool_on_too() -> None:
    # A server draws (the dummy secret hash) before it knows its start: what it pooled
    # for request ids from the seed's own sequence is not handed out after a resume.
    source, fresh = RandomSource("s"), RandomSource("s")
    source.base62_text(15)
    source.resume(1)
    assert source.base62_text(15) not in {fresh.base62_text(15) for _ in range(300)}


def test_resume_leaves_an_unseeded_source_alone() -> None:
    source = RandomSource()
    source.resume(3)
    assert not source.seeded
    assert len({source.uuid4() for _ in range(50)}) == 50
