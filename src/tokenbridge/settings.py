"""Settings, read once from the environment and overridden by command-line flags."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

# A DNS name in ASCII whose last label starts with a letter (as in WebhookDestinations).
_HOST_NAME = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


def default_database_path() -> Path:
    """Where the database lives when no URL is given: `tokenbridge.db` in the user's data
    folder ($XDG_DATA_HOME/tokenbridge, else ~/.local/share/tokenbridge on Linux), absolute.

    Not the current folder: `serve` and every command run from anywhere else then act on
    one database, so credentials printed by `partners create` are the server's.
    """
    # appauthor=False: no "tokenbridge\tokenbridge" on Windows.
    return platformdirs.user_data_path("tokenbridge", appauthor=False).absolute() / "tokenbridge.db"


def sqlite_url(path: Path | str) -> str:
    """The sqlite:/// URL of `path`. A `%` is escaped, as storage.open_store unquotes."""
    return "sqlite:///" + str(path).replace("%", "%25")


def default_database_url() -> str:
    return sqlite_url(default_database_path())


@dataclass(frozen=True, slots=True)
class Settings:
    # Read when a Settings is made, not at import, so a changed HOME is seen.
    database_url: str = field(default_factory=default_database_url)
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
    # Where webhooks may go: `any` for a sandbox on a laptop; a shared deployment sets
    # `public` (domain/webhook_destinations.py says what each entry allows).
    webhook_hosts: str = "any"
    # Multiplies every delay of Plaid's webhook retry schedule and its 24-hour window
    # (domain/outbox.py): 0.001 makes the first retry's 30 s into 30 ms, for tests.
    webhook_retry_scale: float = 1.0
    # The control API's key (TOKENBRIDGE_ADMIN_KEY); `tokenbridge serve` makes one when none
    # is set. None: the control API refuses every request.
    admin_key: str | None = None
    # A JSON file of fault rules for every client (`serve --faults FILE`, TOKENBRIDGE_FAULTS;
    # domain/faults.py), read by each process at start.
    faults: str | None = None

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


# An admin key as hard to guess as a generated client secret, at least.
MIN_ADMIN_KEY_LENGTH = 16


def parse_admin_key(value: str, name: str) -> str:
    """An admin key: at least MIN_ADMIN_KEY_LENGTH printable ASCII characters, no spaces;
    ValueError for anything else."""
    if len(value) < MIN_ADMIN_KEY_LENGTH or not all("!" <= c <= "~" for c in value):
        raise ValueError(
            f"{name} must be at least {MIN_ADMIN_KEY_LENGTH} printable ASCII characters"
            " without spaces"
        )
    return value


def parse_webhook_hosts(value: str, name: str) -> str:
    """`any`, or a comma-separated list of `public`, IP addresses, networks and host names,
    normalised; ValueError for anything else. This checks the form only, so that a bad value
    stops the command before it starts; WebhookDestinations.parse (which settings may not
    import) checks it again and gives it its meaning."""
    entries = [entry.strip().lower() for entry in value.split(",")]
    if entries == ["any"]:
        return "any"
    for entry in entries:
        if entry == "any":
            raise ValueError(f"{name}: 'any' allows every destination and must stand alone")
        if entry == "public" or _HOST_NAME.fullmatch(entry.removesuffix(".")):
            continue
        try:
            ipaddress.ip_network(entry)
        except ValueError as exc:
            raise ValueError(
                f"{name} entries are 'any', 'public', IP addresses, networks and host names,"
                f" not {entry!r} ({exc})"
            ) from None
    return ",".join(dict.fromkeys(entries))


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from TOKENBRIDGE_*; ValueError for a value that cannot be understood."""
    env = os.environ if environ is None else environ
    rate_limits = env.get("TOKENBRIDGE_RATE_LIMITS")
    scale = env.get("TOKENBRIDGE_RATE_LIMIT_SCALE")
    webhook_hosts = env.get("TOKENBRIDGE_WEBHOOK_HOSTS")
    retry_scale = env.get("TOKENBRIDGE_WEBHOOK_RETRY_SCALE")
    client_id = env.get("TOKENBRIDGE_CLIENT_ID") or None
    secret = env.get("TOKENBRIDGE_SECRET") or None
    # One without the other used to be dropped, and a random client made instead: the
    # caller then held credentials the server did not know.
    if (client_id is None) != (secret is None):
        given, missing = (
            ("TOKENBRIDGE_CLIENT_ID", "TOKENBRIDGE_SECRET")
            if secret is None
            else ("TOKENBRIDGE_SECRET", "TOKENBRIDGE_CLIENT_ID")
        )
        raise ValueError(f"{given} is set but {missing} is not: set both, or neither")
    admin_key = env.get("TOKENBRIDGE_ADMIN_KEY") or None
    if admin_key is not None:
        parse_admin_key(admin_key, "TOKENBRIDGE_ADMIN_KEY")
    return Settings(
        admin_key=admin_key,
        faults=env.get("TOKENBRIDGE_FAULTS") or None,
        database_url=env.get("TOKENBRIDGE_DATABASE_URL") or default_database_url(),
        client_id=client_id,
        secret=secret,
        seed=env.get("TOKENBRIDGE_SEED") or None,
        rate_limits=parse_on_off(rate_limits, "TOKENBRIDGE_RATE_LIMITS") if rate_limits else True,
        rate_limit_scale=(parse_scale(scale, "TOKENBRIDGE_RATE_LIMIT_SCALE") if scale else 1.0),
        webhook_hosts=(
            parse_webhook_hosts(webhook_hosts, "TOKENBRIDGE_WEBHOOK_HOSTS")
            if webhook_hosts
            else "any"
        ),
        webhook_retry_scale=(
            parse_scale(retry_scale, "TOKENBRIDGE_WEBHOOK_RETRY_SCALE") if retry_scale else 1.0
        ),
    )
