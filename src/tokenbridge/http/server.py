"""Running the app: uvicorn's processes and sockets, our HTTP/1.1 protocol and its limits."""

from __future__ import annotations

import logging
import resource
from dataclasses import replace
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from tokenbridge.http.protocol import HttpLimits, PlaidHttpProtocol

log = logging.getLogger("tokenbridge.http")

# File descriptors a process keeps beyond its connections: the database, its WAL, logs,
# the webhook sender's sockets.
_SPARE_FDS = 64


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with our limits, which worker processes receive with it."""

    def __init__(self, app: Any, *, limits: HttpLimits, **options: Any) -> None:
        super().__init__(app, http=PlaidHttpProtocol, **options)
        self.limits = limits


def raise_fd_limit(limits: HttpLimits) -> HttpLimits:
    """Raise the soft limit on open files to what the connection cap needs, as far as the
    hard limit allows (worker processes inherit it); where it does not fit, the cap is
    lowered to what does, with a warning."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + _SPARE_FDS
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    fits = soft - _SPARE_FDS
    if fits < limits.max_connections:
        log.warning("open-file limit %d: at most %d connections per process", soft, fits)
        return replace(limits, max_connections=max(fits, 1))
    return limits


def run(app: Any, *, limits: HttpLimits, workers: int = 1, **options: Any) -> int:
    """Serve `app` (an ASGI app, or with workers an import string of a factory) until a
    signal stops it; the exit status, as uvicorn.run gives it."""
    limits = raise_fd_limit(limits)
    config = ServerConfig(
        app,
        limits=limits,
        workers=workers,
        **options,
    )
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    server.run()
    return 0 if server.started else 3
