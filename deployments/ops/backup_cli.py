"""`greencomm backup` and `greencomm restore`: one archive of the database and the stored materials."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from deployments.console import fail
from models.ops import ArchiveError, Manifest
from models.settings import Settings
from tasks.db import get_engine
from tasks.ops import archive_name, is_empty, occupied, restore, take_backup


def backup(
    file: Annotated[Path | None, typer.Argument(help="the archive to write (default: GREENCOMM_BACKUP_DIR/…)")] = None,
) -> None:
    """The database as of one instant (while `up` runs) and the stored materials, in one .tar.gz with a manifest."""
    settings = Settings()
    now = datetime.now(UTC)
    archive = file or settings.backup_dir / archive_name(now)
    if not archive.name.endswith(".tar.gz"):
        fail([f"{archive}: a backup is written as a .tar.gz archive: name it FILE.tar.gz"])
    if is_empty(get_engine(settings.database_url)):
        fail([f"backup: {_shown(settings.database_url)} holds no campaign: nothing to back up"])
    try:
        manifest = take_backup(settings.database_url, settings.files_dir, archive, now=now)
    except OSError as error:  # a folder that cannot be made or written, a full disk: nothing left behind
        fail([f"{archive}: cannot write the backup ({error.strerror or error})"])
    typer.echo(f"{archive}: {summary(manifest)}")


def restore_command(
    file: Annotated[Path, typer.Argument(help="an archive written by `greencomm backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace a database and files folder that are not empty")
    ] = False,
) -> None:
    """Restore a backup into an empty database and files folder; every member's SHA-256 is checked first."""
    settings = Settings()
    if not file.is_file():
        fail([f"{file}: no such archive"])
    held = occupied(settings.database_url, settings.files_dir)
    if (held.rows or held.files) and not force:
        fail(
            [
                f"restore: {_shown(settings.database_url)} holds {held.rows} rows and {settings.files_dir} holds"
                f" {held.files} files; restore into an empty database and folder, or pass --force to replace them"
            ]
        )
    try:
        manifest = restore(file, settings.database_url, settings.files_dir)
    except ArchiveError as error:
        fail([f"{file}: not restored: {error}"])
    typer.echo(f"{file}: restored into {_shown(settings.database_url)} and {settings.files_dir}: {summary(manifest)}")


def summary(manifest: Manifest) -> str:
    rows = sum(manifest.counts.values())
    return (
        f"database at migration {manifest.revision} ({rows} rows in {len(manifest.counts)} tables,"
        f" from {manifest.backend}), stored files: {len(manifest.files)}, taken {manifest.created_at}"
    )


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
