"""The campaign-backup flow through Prefect: an archive on a working day, none on a rest day, the newest kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from flows.backup import campaign_backup
from models.plan.checks import parse_plan
from tasks.db import MIGRATIONS, session_scope, upgrade
from tasks.ops import unpack
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN

BACKUP: Any = campaign_backup


@pytest.fixture
def backups(prefect_server: None, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "backups"
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", database_url)
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("GREENCOMM_BACKUP_DIR", str(folder))
    monkeypatch.setenv("GREENCOMM_BACKUP_KEEP", "2")
    upgrade(database_url)
    with session_scope(database_url) as session:
        sync_plan(session, parse_plan(SMALL_PLAN.read_text(encoding="utf-8")), actor="test", now=datetime.now(UTC))
    folder.mkdir()
    for old in ("greencomm-20220101T120000Z.tar.gz", "greencomm-20220102T120000Z.tar.gz"):
        (folder / old).write_bytes(b"an older archive")
    (folder / "notes.txt").write_text("not ours", encoding="utf-8")
    return folder


def test_a_working_day_makes_one_archive_and_keeps_the_newest(backups: Path, tmp_path: Path) -> None:
    assert BACKUP(campaign_id="small-test", as_of=date(2022, 1, 8)) is None  # a Saturday
    assert len(list(backups.glob("greencomm-*"))) == 2
    name = BACKUP(campaign_id="small-test", as_of=date(2022, 1, 10))  # a Monday
    kept = sorted(p.name for p in backups.iterdir())
    assert kept == ["greencomm-20220102T120000Z.tar.gz", name, "notes.txt"]
    manifest = unpack(backups / name, tmp_path / "unpacked")
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert manifest.counts["campaign"] == 1 and manifest.revision == head  # the newest migration
