"""What an advance of the clock makes to an Item, as a pure function of the times
(domain/timeline.events)."""

from __future__ import annotations

from datetime import UTC, datetime

from tokenbridge.domain.timeline import DAY, EXPIRATION_NOTICE, LOGIN_LIFETIME, events

NEW_DAY, NOTICE, EXPIRY = 0, 1, 2


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_a_new_day_begins_at_each_utc_midnight_passed() -> None:
    login = at("2026-12-01T10:00:00")
    assert events(login, at("2026-12-01T23:59:00"), at("2026-12-02T00:01:00")) == [
        (at("2026-12-02T00:00:00"), NEW_DAY)
    ]
    assert events(login, at("2026-12-02T00:00:00"), at("2026-12-02T23:59:59")) == []
    # The end is included, the start is not: two advances never make one midnight twice.
    assert events(login, at("2026-12-01T12:00:00"), at("2026-12-02T00:00:00")) == [
        (at("2026-12-02T00:00:00"), NEW_DAY)
    ]
    assert events(login, at("2026-12-02T00:00:00"), at("2026-12-02T12:00:00")) == []
    week = events(login, at("2026-12-01T12:00:00"), at("2026-12-08T12:00:00"))
    assert [w for _, w in week] == [NEW_DAY] * 7


def test_the_login_expires_after_30_days_with_a_notice_a_week_before_in_order() -> None:
    login = at("2026-12-01T10:00:00")
    found = events(login, login, login + LOGIN_LIFETIME)
    assert (login + LOGIN_LIFETIME - EXPIRATION_NOTICE, NOTICE) in found
    assert found[-1] == (login + LOGIN_LIFETIME, EXPIRY)
    assert [t for t, _ in found] == sorted(t for t, _ in found)
    assert sum(1 for _, w in found if w == NEW_DAY) == 30
    # Each happens once, in the advance that passes it.
    assert (login + LOGIN_LIFETIME, EXPIRY) not in events(
        login, login + LOGIN_LIFETIME, login + LOGIN_LIFETIME + DAY
    )
    assert not any(w == NOTICE for _, w in events(login, login + 24 * DAY, login + LOGIN_LIFETIME))
