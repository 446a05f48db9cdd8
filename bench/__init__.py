"""Benchmark suite (issue 7): scale generator and ``python -m bench``. Not part of the tests."""
