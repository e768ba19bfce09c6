"""The real clock, behind the domain's `Clock` port."""

from __future__ import annotations

import time


class SystemClock:
    """Implements `tokenbridge.domain.ports.Clock` with the machine's wall clock."""

    def now(self) -> float:
        return time.time()
