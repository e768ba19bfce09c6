"""tokenbridge: an offline, stateful, Plaid-compatible processor token service."""

__version__ = "0.1.0"
