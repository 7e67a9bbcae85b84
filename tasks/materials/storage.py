"""Where handed-in files are kept: content-addressed by SHA-256 behind a small interface (SPEC §8).

`LocalStore` is a folder (GREENCOMM_FILES_DIR, default var/files/): `<root>/<first two hex>/<sha256>`, written
once through a temporary file in `<root>/incoming/` and renamed into place, read-only after. An S3-compatible
store is the next step: the same four methods over a bucket (put by a temporary key, then copy to the hash).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

CHUNK = 1 << 20
INCOMING = "incoming"  # uploads being written: not stored yet, gone when their request ends
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileChanged(Exception):
    """A stored file whose bytes no longer hash to its name (or which is gone): never served."""


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    new: bool  # False: the same content was stored before (it is kept once)


class FileStore(Protocol):
    def put(self, source: Path) -> Stored: ...
    def discard(self, sha256: str) -> None: ...
    def read(self, sha256: str) -> Iterator[bytes]: ...
    def verify(self, sha256: str) -> int: ...


class LocalStore:
    """A folder of files named by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise FileChanged(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def incoming(self) -> Path:
        """A fresh temporary path on the store's own filesystem (so the final rename is atomic)."""
        folder = self.root / INCOMING
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex}.part"

    def put(self, source: Path) -> Stored:
        """Copy `source` in, hashing as it goes; the caller keeps its file."""
        temporary = self.incoming()
        digest, size = hashlib.sha256(), 0
        try:
            with source.open("rb") as reader, temporary.open("xb") as writer:
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            return self._settle(temporary, digest.hexdigest(), size)
        finally:
            temporary.unlink(missing_ok=True)

    def _settle(self, temporary: Path, sha256: str, size: int) -> Stored:
        final = self.path_of(sha256)
        if final.exists():
            return Stored(sha256, size, new=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
        final.chmod(0o444)
        return Stored(sha256, size, new=True)

    def discard(self, sha256: str) -> None:
        """Undo a put whose rows were not written (only for a file this put made new)."""
        self.path_of(sha256).unlink(missing_ok=True)

    def verify(self, sha256: str) -> int:
        """The file's size once its bytes hash to its name again; FileChanged if they do not (or it is gone)."""
        digest, size = hashlib.sha256(), 0
        try:
            with self.path_of(sha256).open("rb") as reader:
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as error:
            raise FileChanged(f"{sha256}: {error.strerror}") from None
        if digest.hexdigest() != sha256:
            raise FileChanged(f"{sha256}: its bytes changed")
        return size

    def read(self, sha256: str) -> Iterator[bytes]:
        with self.path_of(sha256).open("rb") as reader:
            while chunk := reader.read(CHUNK):
                yield chunk
