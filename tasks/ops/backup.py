"""`greencomm backup`: the database as of one instant and the stored materials, in one .tar.gz with a manifest."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import Engine, text

from models.ops import DATABASE, FILES, MANIFEST, Manifest
from tasks.db import get_engine, upgrade
from tasks.materials import INCOMING
from tasks.ops.rows import copy_rows, row_counts

ARCHIVE_PREFIX, ARCHIVE_SUFFIX = "greencomm-", ".tar.gz"
CHUNK = 1 << 20


def take_backup(database_url: str, files_dir: Path, archive: Path, *, now: datetime) -> Manifest:
    """Write `archive` (atomically: a partial file never has its name). The database is read as of one instant
    while runs go on; the materials are copied after it (they are stored once and never changed)."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="greencomm-backup-", dir=archive.parent) as folder:
        staging = Path(folder)
        snapshot(get_engine(database_url), staging / DATABASE)
        stored = copy_files(files_dir, staging / FILES)
        manifest = _manifest(staging, [DATABASE, *stored], get_engine(database_url).dialect.name, now)
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        partial = staging / archive.name
        with tarfile.open(partial, "w:gz") as tar:
            for name in [MANIFEST, *manifest.members]:
                tar.add(staging / name, arcname=name, recursive=False)
        partial.replace(archive)
    return manifest


def snapshot(engine: Engine, into: Path) -> None:
    """The database as of one instant, as a SQLite file of the same schema. SQLite: the online backup API
    (readers and writers go on). PostgreSQL: every table read in one REPEATABLE READ transaction (one snapshot),
    into a SQLite file migrated to the same revision: portable, and no pg_dump of the server's version needed."""
    if engine.dialect.name == "sqlite":
        _sqlite_backup(engine.url.database or "", into)
    else:
        _postgres_snapshot(engine, into)


def _sqlite_backup(database: str, into: Path) -> None:
    source, target = sqlite3.connect(database), sqlite3.connect(into)
    try:
        source.backup(target)  # all pages in one step, under one read lock: one instant
    finally:
        target.close()
        source.close()


def _postgres_snapshot(engine: Engine, into: Path) -> None:
    url = f"sqlite:///{into}"
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as source, source.begin():
        revision = source.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        upgrade(url, revision)
        with get_engine(url).begin() as target:
            copy_rows(source, target)
    get_engine(url).dispose()


def copy_files(files_dir: Path, into: Path) -> list[str]:
    """The stored materials copied under `into`; their member names (files/<path>)."""
    names = []
    for path in _files(files_dir):
        relative = path.relative_to(files_dir)
        (into / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, into / relative)
        names.append(f"{FILES}/{relative.as_posix()}")
    return names


def _files(folder: Path) -> Iterator[Path]:
    """The stored files, not the uploads still being written (they vanish mid-copy, and are not stored yet)."""
    if folder.is_dir():
        stored = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        yield from sorted(p for p in stored if p.relative_to(folder).parts[0] != INCOMING)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(staging: Path, members: list[str], backend: str, now: datetime) -> Manifest:
    url = f"sqlite:///{staging / DATABASE}"
    with get_engine(url).connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        counts = row_counts(connection)
    get_engine(url).dispose()
    return Manifest(
        created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
        greencomm=version("greencomm"),
        prefect=version("prefect"),
        revision=revision,
        backend=backend,
        counts=counts,
        members={name: sha256(staging / name) for name in members},
    )


def archive_name(now: datetime) -> str:
    """greencomm-20261207T100000Z.tar.gz: sorts by time."""
    return f"{ARCHIVE_PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{ARCHIVE_SUFFIX}"


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives this command named; the ones deleted."""
    archives = sorted(folder.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}"))
    old = archives[: max(len(archives) - keep, 0)]
    for path in old:
        path.unlink()
    return old
