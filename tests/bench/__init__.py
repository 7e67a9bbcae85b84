"""The benchmark (`make bench`, or `python -m tests.bench --quick`): see tests/bench/__main__.py."""
