"""The security suites use the in-process `api` client of tests/api."""

from __future__ import annotations

from tests.api.conftest import api

__all__ = ["api"]
