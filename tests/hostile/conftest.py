"""The hostile-input suites use the in-process `api` client of tests/api, and the storage
suite's `store_url` (an empty database on each backend in turn)."""

from __future__ import annotations

from tests.api.conftest import api
from tests.storage.conftest import store_url

__all__ = ["api", "store_url"]
