"""Shared fixtures: plans on disk, an isolated environment, databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SMALL_PLAN = TESTS / "plans" / "small.yaml"
SEED_PLAN = ROOT / "deployments" / "plans" / "qingyang-2022.yaml"
GREENCOMM = Path(sys.executable).parent / "greencomm"  # the installed command beside this interpreter
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# How `make test` spreads the suite over pytest-xdist workers (pytest -n 2: by work_unit below, not by xdist's own
# --dist load): slowest first, so the long ones start at once on different workers and the short ones fill in
# around them. Seconds: serial, quiet 2-core machine, roughly. These files (and any test on the session's Prefect
# test server) carry the `slow` marker, which `make check` leaves out.
END_TO_END = (  # a real `greencomm up`, Prefect servers, Chromium; slowest first
    "test_stop.py",  # 20 stops of `up` against one server (~250 s); two full `up` runs (~40 s each)
    "test_browser_desk.py",  # `up`, the desk and the Prefect UI in Chromium (~90 s)
    "test_browser.py",  # `up` and the Prefect UI in Chromium (~70 s)
    "test_scaleout.py",  # a Prefect server on PostgreSQL, two process workers (~45 s)
    "test_up.py",  # `up` refusing held ports and a wrong auth string, killed and started again
    "test_approvals_scale.py",  # 50 approval runs suspended under a five-slot runner, restarted (~300 s)
    "test_intake_cli.py",  # `greencomm intake` twice as installed, assign/ignore/status, bad arguments (~100 s)
    "test_intake_mail.py",  # the mailbox on Dovecot: mail as people send it, a 60 MB attachment (~40 s)
    "test_intake.py",  # the mailbox on Dovecot, SQLite and PostgreSQL (~30 s)
)
ON_PREFECT_SERVER = (  # ~90 s on one server
    "test_flows.py",
    "test_approvals.py",
    "test_approval_materials.py",
    "test_reliability_flows.py",
    "test_backup_flow.py",
    "test_intake_flow.py",
    "test_draining.py",
)
SCALE = (  # set-based steps against per-row loops, ~10 s a test; file bombs through `record`, ~3 s a test
    "test_scale_steps.py",
    "test_escalate_scale.py",
    "test_file_limits.py",
)
# long tests sharing no module fixture: each to whichever worker is free
ONE_BY_ONE = ("test_up.py", *SCALE)
# never at the same time: test_stop's drain deadlines are timing-bound, and test_approvals_scale starts 50 flow-run
# processes at once (on two cores, run side by side, stops ran out of drain time and cancelled their runs)
ONE_AFTER_ANOTHER = ("test_stop.py", "test_approvals_scale.py")


def plan_data(path: Path = SMALL_PLAN) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def write_plan(folder: Path, data: dict[str, Any], name: str = "plan.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def work_unit(nodeid: str) -> str:
    """What one worker runs as a whole: a file (its module fixtures are set up once), the tests on a Prefect test
    server (one server start per run, not per worker), ONE_AFTER_ANOTHER on one worker, or for ONE_BY_ONE a single
    test."""
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    if name in ON_PREFECT_SERVER:
        return "prefect-server"
    if name in ONE_AFTER_ANOTHER:
        return "one-after-another"
    return nodeid if name in ONE_BY_ONE else path


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # optional: pytest -p no:xdist runs without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With -n N (xdist's default --dist load) or --dist loadfile: by work_unit, in collection order."""
    if config.getvalue("dist") not in ("load", "loadfile"):
        return None  # --dist each, loadscope, loadgroup, worksteal: as xdist does them
    from xdist.scheduler import LoadFileScheduling

    config.option.loadscopereorder = False  # keep our order (xdist would put the units with most tests first)

    class ByWorkUnit(LoadFileScheduling):  # type: ignore[misc]  # xdist has no type hints
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)


def _rank(item: pytest.Item) -> int:
    """Run order: the end-to-end files slowest first, then the tests on the Prefect server, the scale ones, the rest."""
    name = item.path.name
    if name in END_TO_END:
        return END_TO_END.index(name)
    if name in ON_PREFECT_SERVER:
        return len(END_TO_END)
    return len(END_TO_END) + (1 if name in SCALE else 2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _rank(item) < len(END_TO_END) + 2 or "prefect_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_rank)  # stable: within a rank, the usual order (xdist's workers all sort alike)


@pytest.fixture
def small_plan_data() -> dict[str, Any]:
    return plan_data()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'greencomm.db'}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A schema of its own in the test database at 127.0.0.1:5432, so parallel runs never collide."""
    import uuid

    from sqlalchemy import create_engine, text

    from tasks.db import get_engine

    schema = f"gc_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        get_engine(url).dispose()  # close pooled connections before the schema goes
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    from tasks.db import get_engine

    with postgres_schema() as url:
        yield url
    get_engine.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both backends the project supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'greencomm.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Any]:
    """A real IMAP server (Debian's Dovecot) on loopback ports with a self-signed certificate (tests/dovecot.py)."""
    from tests.dovecot import running_dovecot

    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect test server for the whole session (it takes seconds to start), locked as `up`'s is: an auth
    string and CSRF tokens required, so every test's Prefect calls take the authenticated path (the harness's server
    process inherits these settings)."""
    import secrets

    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from prefect.settings import (
        PREFECT_API_AUTH_STRING,
        PREFECT_SERVER_API_AUTH_STRING,
        PREFECT_SERVER_CSRF_PROTECTION_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    auth = f"greencomm:{secrets.token_urlsafe(16)}"
    locked = {PREFECT_SERVER_API_AUTH_STRING: auth, PREFECT_API_AUTH_STRING: auth}
    with (
        temporary_settings(updates={**locked, PREFECT_SERVER_CSRF_PROTECTION_ENABLED: True}),
        prefect_test_harness(server_startup_timeout=180),  # a loaded 2-core machine can take long
    ):
        yield
