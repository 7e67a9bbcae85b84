"""Copying a database's rows, table by table, into another database of the same schema (either backend)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, select, text

Row = dict[str, Any]
Adapt = Callable[[str, list[Row]], list[Row]]  # (table name, a page of rows) → the rows to insert
VERSION_TABLE = "alembic_version"  # written by the migrations, never copied
PAGE = 2_000  # rows read and inserted at once: memory stays flat for a million notices


def tables_of(connection: Connection) -> list[Table]:
    """The database's tables, parents before children, without alembic's own."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return [t for t in metadata.sorted_tables if t.name != VERSION_TABLE]


def pages(connection: Connection, table: Table) -> Iterator[list[Row]]:
    """A table's rows in primary-key order, a page at a time."""
    statement = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=PAGE).execute(statement).mappings()
    for page in result.partitions():
        yield [dict(row) for row in page]


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows per table."""
    counts = {}
    for table in tables_of(connection):
        counts[table.name] = connection.execute(select(func.count()).select_from(table)).scalar_one()
    return counts


def copy_rows(source: Connection, target: Connection, adapt: Adapt | None = None) -> dict[str, int]:
    """Every row of every source table the target also has, keeping ids; the columns both have. Rows copied
    per table. The target's id sequences (PostgreSQL) are moved past the copied ids."""
    wanted = {t.name: t for t in tables_of(target)}
    copied = {}
    for table in tables_of(source):
        into = wanted.get(table.name)
        if into is None:
            continue
        copied[table.name] = 0
        for page in pages(source, table):
            rows = [{k: _utc(v) for k, v in row.items() if k in into.c} for row in page]
            rows = adapt(table.name, rows) if adapt else rows
            if rows:
                target.execute(into.insert(), rows)
                copied[table.name] += len(rows)
    if target.dialect.name == "postgresql":
        restart_sequences(target, wanted.values())
    return copied


def _utc(value: Any) -> Any:
    """Times in UTC with their zone: SQLite keeps UTC without one, PostgreSQL reads in the session's zone."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def restart_sequences(connection: Connection, tables: Any) -> None:
    """Each serial id's sequence past the highest id: the next row inserted gets a fresh one."""
    for table in tables:
        if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.primary_key:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), COALESCE(MAX(id), 1),"
                    f" MAX(id) IS NOT NULL) FROM {table.name}"
                )
            )


def is_empty(engine: Engine) -> bool:
    """No rows in any table (a database with the schema only, or none at all)."""
    with engine.connect() as connection:
        return not any(row_counts(connection).values())
