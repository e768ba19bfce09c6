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

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with every override that is not None applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        database_url=env.get("TOKENBRIDGE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        client_id=env.get("TOKENBRIDGE_CLIENT_ID") or None,
        secret=env.get("TOKENBRIDGE_SECRET") or None,
        seed=env.get("TOKENBRIDGE_SEED") or None,
    )
