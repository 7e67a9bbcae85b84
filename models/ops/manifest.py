"""A backup's manifest: what made it, the database's migration and row counts, the SHA-256 of every member."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

MANIFEST = "manifest.json"
DATABASE = "database.sqlite"  # the database's rows, whichever backend they came from (SQLite, same schema)
FILES = "files"  # the stored materials, under files/<their path below GREENCOMM_FILES_DIR>
FORMAT = 1


class ArchiveError(ValueError):
    """A file that is not a whole, unaltered greencomm backup: one line saying why."""


@dataclass(frozen=True)
class Manifest:
    created_at: str  # ISO 8601, UTC
    greencomm: str  # versions of the program that made it
    prefect: str
    revision: str | None  # the database's Alembic revision
    backend: str  # sqlite | postgresql: where the rows came from
    counts: dict[str, int]  # rows per table
    members: dict[str, str]  # member name → SHA-256 (hex) of its bytes
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: bytes) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(text)
            manifest = cls(**data)
        except (ValueError, TypeError) as error:
            raise ArchiveError(f"its {MANIFEST} is not a greencomm manifest ({error})") from None
        if manifest.format != FORMAT:
            raise ArchiveError(
                f"its format {manifest.format} is not {FORMAT}: restore it with the release that made it"
            )
        for name in manifest.members:
            member_path(name)
        return manifest

    def problems(self, digests: dict[str, str]) -> list[str]:
        """What differs between the manifest and the members found (name → SHA-256)."""
        lines = [f"{name}: listed in the manifest but missing" for name in sorted(set(self.members) - set(digests))]
        lines += [
            f"{name}: in the archive but not in the manifest" for name in sorted(set(digests) - set(self.members))
        ]
        lines += [
            f"{name}: SHA-256 {digests[name][:12]}… differs from the manifest's {digest[:12]}…"
            for name, digest in sorted(self.members.items())
            if name in digests and digests[name] != digest
        ]
        return lines

    @property
    def files(self) -> list[str]:
        return sorted(name for name in self.members if name.startswith(f"{FILES}/"))


def member_path(name: str) -> PurePosixPath:
    """A member's relative path; ArchiveError for one that would land outside the folder it is unpacked in."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name != str(path):
        raise ArchiveError(f"member {name!r} is not a plain relative path")
    if name not in (MANIFEST, DATABASE) and path.parts[0] != FILES:
        raise ArchiveError(f"member {name!r} is neither the database nor a stored file")
    return path
