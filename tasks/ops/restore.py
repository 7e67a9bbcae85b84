"""`greencomm restore`: a backup into an empty database and files folder, every member's hash checked first."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData

from models.ops import DATABASE, FILES, MANIFEST, ArchiveError, Manifest, member_path
from tasks.db import get_engine, known_revision, upgrade
from tasks.ops.rows import copy_rows, row_counts

CHUNK = 1 << 20


@dataclass(frozen=True)
class Occupied:
    """What the target already holds (a restore there needs --force)."""

    rows: int
    files: int


def occupied(database_url: str, files_dir: Path) -> Occupied:
    with get_engine(database_url).connect() as connection:
        rows = sum(row_counts(connection).values())
    files = sum(1 for p in files_dir.rglob("*") if p.is_file()) if files_dir.is_dir() else 0
    return Occupied(rows, files)


def restore(archive: Path, database_url: str, files_dir: Path) -> Manifest:
    """Check the whole archive, then replace the database's tables and the files folder with its contents;
    the schema is then upgraded to this release's migrations. Raises ArchiveError before changing anything."""
    with tempfile.TemporaryDirectory(prefix="greencomm-restore-") as folder:
        unpacked = Path(folder)
        manifest = unpack(archive, unpacked)
        if manifest.revision is None or not known_revision(manifest.revision):
            raise ArchiveError(
                f"its database is at migration {manifest.revision}, which this release does not know:"
                f" restore it with greencomm {manifest.greencomm} or later"
            )
        _replace_database(unpacked / DATABASE, database_url, manifest.revision)
        _replace_files(unpacked / FILES, files_dir)
    return manifest


def unpack(archive: Path, into: Path) -> Manifest:
    """Every member written under `into` and its SHA-256 compared with the manifest's."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            digests = {}
            manifest: Manifest | None = None
            for member in tar:
                path = member_path(member.name)
                if not member.isfile():
                    raise ArchiveError(f"member {member.name!r} is not a regular file")
                if member.name == MANIFEST:
                    manifest = Manifest.from_json(_read(tar, member))
                    continue
                digests[member.name] = _extract(tar, member, into / path)
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as error:
        raise ArchiveError(f"not a readable .tar.gz ({error})") from None
    if manifest is None:
        raise ArchiveError(f"it holds no {MANIFEST}: not a greencomm backup")
    if problems := manifest.problems(digests):
        raise ArchiveError(f"{len(problems)} member(s) do not match the manifest: " + "; ".join(problems[:3]))
    return manifest


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = tar.extractfile(member)
    assert stream is not None  # a regular file
    return stream.read()


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> str:
    stream = tar.extractfile(member)
    assert stream is not None
    digest = hashlib.sha256()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _replace_database(source_file: Path, database_url: str, revision: str) -> None:
    """Drop every table of the target, migrate it to the archive's revision, copy the rows, upgrade to head."""
    engine = get_engine(database_url)
    existing = MetaData()
    existing.reflect(bind=engine)
    existing.drop_all(bind=engine)
    upgrade(database_url, revision)
    source_url = f"sqlite:///{source_file}"
    with get_engine(source_url).connect() as source, engine.begin() as target:
        copy_rows(source, target)
    get_engine(source_url).dispose()
    upgrade(database_url)


def _replace_files(unpacked: Path, files_dir: Path) -> None:
    """The folder's contents become the archive's: unpacked beside it, then swapped in."""
    if files_dir.exists():
        shutil.rmtree(files_dir)
    files_dir.parent.mkdir(parents=True, exist_ok=True)
    if unpacked.is_dir():
        shutil.copytree(unpacked, files_dir)
    else:
        files_dir.mkdir()
