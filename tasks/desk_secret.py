"""The desk's signing secret: GREENCOMM_SECRET_KEY, or one made once under var/desk-secret (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from models.settings import Settings

SECRET_FILE = "desk-secret"


def desk_secret(settings: Settings) -> bytes:
    """The secret as bytes; never printed, never logged."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode()
    path = settings.var_dir / SECRET_FILE
    if not path.exists():
        _create(path)
    return path.read_bytes().strip()


def _create(path: Path) -> None:
    """Written whole to a private file, then linked into place: two processes at once agree on the first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
