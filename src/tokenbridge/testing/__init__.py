"""Testing with tokenbridge: the pytest plugin (testing/plugin.py, docs/TESTING.md)."""
