"""`serve` raises the soft open-file limit to fit its connection cap, or lowers the cap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Run in a child process: setrlimit changes the limits of the whole process for good.
_CHILD = """
import json, resource, sys
from tokenbridge.http.protocol import HttpLimits
from tokenbridge.http.server import raise_fd_limit
soft, hard = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
limits = raise_fd_limit(HttpLimits(max_connections=int(sys.argv[3])))
print(json.dumps([resource.getrlimit(resource.RLIMIT_NOFILE)[0], limits.max_connections]))
"""


def child(soft: int, hard: int, cap: int) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(soft), str(hard), str(cap)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout)
    return result[0], result[1]


@pytest.mark.parametrize(
    ("soft", "hard", "cap", "expected"),
    [
        (128, 4096, 1000, (1064, 1000)),  # raised to fit the cap and the spare descriptors
        (128, 300, 1000, (300, 236)),  # raised to the hard limit, the cap lowered to fit
        (4000, 4096, 100, (4000, 100)),  # already enough: left as it is, never lowered
    ],
)
def test_the_soft_limit_fits_the_connection_cap(
    soft: int, hard: int, cap: int, expected: tuple[int, int]
) -> None:
    assert child(soft, hard, cap) == expected
