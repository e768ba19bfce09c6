"""Settings, read once from the environment and overridden by command-line flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///tokenbridge.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8787
    # Pinned credentials of the sandbox client, so that CI knows them in advance.
    client_id: str | None = None
    secret: str | None = None
    # A seed makes every id and token deterministic (for snapshot tests).
    seed: str | None = None
    environment: str = "sandbox"
    workers: int = 1
    access_log: bool = False
    max_body_bytes: int = 1024 * 1024
    # Plaid's Sandbox rate limits (domain/ratelimits.py), counted in the database; off
    # costs nothing per request. The scale multiplies every limit (0.01 for fast tests).
    rate_limits: bool = True
    rate_limit_scale: float = 1.0

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with every override that is not None applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def parse_on_off(value: str, name: str) -> bool:
    """`on` or `off` (any case) as a bool; ValueError for anything else."""
    lowered = value.strip().lower()
    if lowered not in ("on", "off"):
        raise ValueError(f"{name} must be 'on' or 'off', not {value!r}")
    return lowered == "on"


def parse_scale(value: str, name: str) -> float:
    """A positive finite number; ValueError for anything else."""
    try:
        scale = float(value)
    except ValueError:
        scale = -1.0
    if not 0 < scale < float("inf"):
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return scale


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from TOKENBRIDGE_*; ValueError for a value that cannot be understood."""
    env = os.environ if environ is None else environ
    rate_limits = env.get("TOKENBRIDGE_RATE_LIMITS")
    scale = env.get("TOKENBRIDGE_RATE_LIMIT_SCALE")
    return Settings(
        database_url=env.get("TOKENBRIDGE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        client_id=env.get("TOKENBRIDGE_CLIENT_ID") or None,
        secret=env.get("TOKENBRIDGE_SECRET") or None,
        seed=env.get("TOKENBRIDGE_SEED") or None,
        rate_limits=parse_on_off(rate_limits, "TOKENBRIDGE_RATE_LIMITS") if rate_limits else True,
        rate_limit_scale=(parse_scale(scale, "TOKENBRIDGE_RATE_LIMIT_SCALE") if scale else 1.0),
    )
