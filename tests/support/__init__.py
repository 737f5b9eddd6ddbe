"""Helpers the tests share (importable because pytest puts tests/ on the path)."""
