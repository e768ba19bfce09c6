"""Plaid's webhook retry schedule (domain/outbox.py): 30 s, then each delay four times the
last, for up to 24 hours."""

from __future__ import annotations

import dataclasses

from tokenbridge.domain.outbox import next_attempt_at, outbound

START = 1_700_000_000.0


def _delays(scale: float = 1.0) -> list[float]:
    """The delays between attempts when every attempt fails the moment it is made."""
    webhook = outbound("w", START, "c", "http://127.0.0.1:9/", {"webhook_type": "ITEM",
                                                               "webhook_code": "TEST"})  # fmt: skip
    delays, now = [], START
    while True:
        webhook = dataclasses.replace(webhook, attempts=webhook.attempts + 1)
        due = next_attempt_at(webhook, now, scale)
        if due is None:
            return delays
        delays.append(due - now)
        now = due


def test_retries_after_30_s_then_four_times_longer_within_24_hours() -> None:
    assert _delays() == [30.0, 120.0, 480.0, 1920.0, 7680.0, 30720.0]
    # Seven attempts in all; the next delay (122880 s) would end past 24 hours.
    assert sum(_delays()) < 24 * 3600 < sum(_delays()) + 122880.0


def test_the_scale_compresses_every_delay_and_the_window() -> None:
    scaled = _delays(0.001)
    assert len(scaled) == 6
    assert [round(d, 6) for d in scaled] == [0.03, 0.12, 0.48, 1.92, 7.68, 30.72]


def test_a_slow_round_ends_at_the_window() -> None:
    webhook = outbound("w", START, "c", "http://x/", {"webhook_type": "ITEM",
                                                     "webhook_code": "TEST"})  # fmt: skip
    late = dataclasses.replace(webhook, attempts=1)
    # A first attempt that failed 23 h 59 min 50 s after the round began: no retry fits.
    assert next_attempt_at(late, START + 24 * 3600 - 10) is None
    assert next_attempt_at(late, START) == START + 30.0
