"""The database engine, sessions and migrations: SQLite under var/ by default (WAL), PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, SQLModel, create_engine

import migrations

MIGRATIONS = Path(str(files(migrations)))  # the installed package, wherever it lives
IN_LIST = 10_000  # values per IN (…): far below SQLite's 32,766 and PostgreSQL's 65,535 parameters
T = TypeVar("T", int, str)


def in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """The distinct values, sorted, in slices that fit one IN (…) on either database."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_LIST):
        yield ordered[start : start + IN_LIST]


def dialect_insert(session: Session, table: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """INSERT for the session's database, with its ON CONFLICT clauses (the two dialects spell them alike)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table)


def insert_ignoring_duplicates(
    session: Session, table: type[SQLModel], rows: Sequence[Mapping[str, object]], keys: list[str]
) -> int:
    """INSERT … ON CONFLICT DO NOTHING: concurrent runs never duplicate a row; returns rows inserted."""
    if not rows:
        return 0
    primary_key = list(table.__table__.primary_key.columns)  # type: ignore[attr-defined]
    statement = dialect_insert(session, table).on_conflict_do_nothing(index_elements=keys).returning(*primary_key)
    # executemany: SQLAlchemy sends pages of multi-row VALUES within the parameter limits, compiled once (a
    # statement built with .values(rows) is compiled afresh for every page, ~20x slower); rowcount is -1 on
    # PostgreSQL here, so count the rows RETURNING yields (the conflicting ones yield none)
    return len(session.connection().execute(statement, rows).all())


@cache
def get_engine(url: str) -> Engine:
    """One engine per URL; SQLite gets its folder created, WAL and a busy timeout for parallel runs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # reported as a bad URL setting, in one line
            raise ArgumentError(f"cannot create the folder {folder} ({error.strerror or error})") from None
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: nothing half-written."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = get_engine(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to the newest migration (`greencomm db upgrade`), or to `revision`."""
    command.upgrade(_alembic(url), revision)


def known_revision(revision: str) -> bool:
    """Whether this release's migrations have `revision` (a database from a newer release has one they lack)."""
    from alembic.script import ScriptDirectory

    return any(script.revision == revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions())
