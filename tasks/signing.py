"""Secrets made once into private files under var/ (mode 0600) for settings left unset: the signing secret of
desk links (GREENCOMM_SECRET_KEY) and the Prefect API's auth string (GREENCOMM_PREFECT_AUTH)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from models.settings import Settings

SECRET_FILE = "desk-secret"


def desk_secret(settings: Settings) -> bytes:
    """The secret that signs desk links, as bytes; never printed, never logged."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode()
    return secret_file(settings.var_dir / SECRET_FILE, lambda: secrets.token_urlsafe(48)).encode()


def secret_file(path: Path, make: Callable[[], str]) -> str:
    """The secret stored at `path`, written there first from `make()` if the file does not exist yet."""
    if not path.exists():
        _create(path, make())
    return path.read_text(encoding="utf-8").strip()


def _create(path: Path, secret: str) -> None:
    """Written whole to a private file, then linked into place: two processes at once agree on the first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
