"""Shared fixtures: plans on disk, an isolated environment, databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
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


def plan_data(path: Path = SMALL_PLAN) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def write_plan(folder: Path, data: dict[str, Any], name: str = "plan.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def small_plan_data() -> dict[str, Any]:
    return plan_data()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'greencomm.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A schema of its own in the test database at 127.0.0.1:5432, so parallel runs never collide."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"gc_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    yield url
    from tasks.db import get_engine

    get_engine(url).dispose()  # close pooled connections before the schema goes
    get_engine.cache_clear()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both backends the project supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'greencomm.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect test server for the whole session (it takes seconds to start)."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):  # a loaded 2-core machine can take long
        yield
