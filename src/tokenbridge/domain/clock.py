"""A client's time: the real clock, moved on by every advance of its world's clock.

Everything a client's Items do in time follows it (domain/timeline.py moves it and makes
the time-driven changes); what the server does for itself (rate-limit windows, webhook
delivery and signatures, webhook keys, the audit log) follows the real clock.
"""

from __future__ import annotations

from tokenbridge.domain.models import Client
from tokenbridge.domain.ports import Clock


def client_now(clock: Clock, client: Client) -> float:
    """Now on `client`'s clock (Unix seconds): the real time for a client whose world's
    clock was never advanced, later by the sum of its advances otherwise."""
    return clock.now() + client.clock_offset
