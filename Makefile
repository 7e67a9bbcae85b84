# Two commands a newcomer needs: `make up` (the main job) and `make test` (the whole suite).
# Both bootstrap .venv/ from requirements.lock (exact versions, hash-checked) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export PREFECT_SERVER_ANALYTICS_ENABLED := false
# pytest-xdist workers for `make test` and `make check` (tests/conftest.py orders and groups the tests); 0: serial.
TEST_WORKERS ?= 2

.PHONY: up test check lint typecheck bench lock browser fonts imap clean

$(BIN)/greencomm: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

up: $(BIN)/greencomm fonts
	$(BIN)/greencomm up

lint: $(BIN)/greencomm
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/greencomm
	$(BIN)/mypy .

# Debian's Chromium (never a downloaded build) and fonts for the Chinese UI text in screenshots.
browser:
	@command -v chromium >/dev/null && dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei fonts-noto-color-emoji >/dev/null)

# Debian's Dovecot: the real IMAP server the mailbox tests start (tests/dovecot.py), never the system's service.
imap:
	@command -v dovecot >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq dovecot-imapd >/dev/null)

# A CJK font for the Chinese labels of the weekly and monthly charts (tasks/reports/charts.py finds it by file);
# without root it only warns: the charts then number their labels and the e-mail's HTML names them.
fonts:
	@dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei >/dev/null) || \
		echo "fonts-wqy-microhei is not installed: charts number their labels and the e-mail names them" >&2

test: $(BIN)/greencomm browser imap fonts lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS)

# The inner loop: lint, types and the tests not marked slow (end-to-end, on a Prefect server, at scale).
check: $(BIN)/greencomm fonts lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not slow"

# The benchmark (tests/bench/): prints a table, writes var/bench.json; one at a time on a shared machine.
bench: $(BIN)/greencomm
	flock /tmp/greencomm-bench.lock $(BIN)/python -m tests.bench

# Re-resolve the lock after changing dependencies in pyproject.toml.
lock: $(BIN)/greencomm
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
