"""`greencomm backup` while a phase run is in flight, `greencomm restore` elsewhere: the same campaign, the same
outbox (the next run re-sends nothing), the same stored files; a bad archive or a full target refused."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from deployments.cli import app
from models import tables
from models.plan.checks import parse_plan
from tasks.day_run import deliver, run_day
from tasks.db import get_engine, upgrade
from tasks.mail import MailSink, SmtpConfig
from tasks.store import load_campaign, sync_plan
from tests.conftest import SMALL_PLAN, postgres_schema

HISTORY = [date(2022, 1, 4) + timedelta(days=n) for n in range(15)]
IN_FLIGHT = date(2022, 1, 19)
FILES = {"c1/方案.pdf": b"%PDF-1.4 plan", "c2/photos/1.jpg": bytes(range(256)) * 40}


def invoke(monkeypatch: pytest.MonkeyPatch, place: dict[str, str], *args: str) -> tuple[int, str, str]:
    for name, value in place.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def place(url: str, folder: Path) -> dict[str, str]:
    """Where one installation keeps its things."""
    return {
        "GREENCOMM_DATABASE_URL": url,
        "GREENCOMM_PLAN": str(SMALL_PLAN),
        "GREENCOMM_VAR_DIR": str(folder / "var"),
        "GREENCOMM_FILES_DIR": str(folder / "files"),
    }


def run(url: str, day: date, sink: MailSink, *, commit: bool = True) -> Session:
    """A day's phase runs and their delivery; with commit=False the runs' work is left in an open transaction."""
    session = Session(get_engine(url), expire_on_commit=False)
    plan = load_campaign(session, "small-test")
    for phase in plan.phases:
        if phase.start <= day:
            run_day(session, plan, phase.id, day, mail_from="greencomm@t.example")
    if commit:
        session.commit()
        config = SmtpConfig("127.0.0.1", sink.port, "none", None, None, 10)
        for phase in plan.phases:
            now = datetime.combine(day, datetime.min.time(), UTC)
            asyncio.run(deliver(session, plan, phase.id, config, now=now, concurrency=2, budget=30, give_up_after=5))
        session.close()
    return session


def received(sink: MailSink) -> list[str]:
    return sorted(str(m["Message-ID"]) for m in sink.messages)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def elsewhere(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The other backend, empty: a SQLite campaign restored into PostgreSQL and the other way round."""
    if database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'elsewhere' / 'greencomm.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def source(database_url: str, tmp_path: Path) -> dict[str, str]:
    """A campaign a fortnight in, its e-mails sent, two stored files."""
    where = place(database_url, tmp_path / "source")
    upgrade(database_url)
    with Session(get_engine(database_url)) as session:
        sync_plan(session, parse_plan(SMALL_PLAN.read_text(encoding="utf-8")), actor="test", now=datetime.now(UTC))
        session.commit()
    with MailSink(tmp_path / "mail-history") as sink:
        for day in HISTORY:
            run(database_url, day, sink)
    for name, content in FILES.items():
        (tmp_path / "source" / "files" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "source" / "files" / name).write_bytes(content)
    uploading = tmp_path / "source" / "files" / "incoming" / "upload.part"  # an upload being written: not stored
    uploading.parent.mkdir()
    uploading.write_bytes(b"half an upload")
    return where


def outbox(url: str) -> list[tuple[str, str]]:
    with Session(get_engine(url)) as session:
        return [(e.message_id, e.status) for e in session.exec(select(tables.Outbox).order_by(col(tables.Outbox.id)))]


def status(monkeypatch: pytest.MonkeyPatch, where: dict[str, str]) -> Any:
    code, out, err = invoke(monkeypatch, where, "status", "--json", "--as-of", IN_FLIGHT.isoformat())
    assert code == 0, err
    return json.loads(out)


def test_a_backup_taken_during_a_run_restores_elsewhere_to_the_same_campaign(
    source: dict[str, str], elsewhere: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = source["GREENCOMM_DATABASE_URL"]
    before, sent_before = status(monkeypatch, source), outbox(url)
    assert sent_before and {state for _, state in sent_before} == {"sent"}
    archive = tmp_path / "backup.tar.gz"
    with MailSink(tmp_path / "mail-source") as sink:
        in_flight = run(url, IN_FLIGHT, sink, commit=False)  # the run's writes are not committed yet
        code, out, err = invoke(monkeypatch, source, "backup", str(archive))
        in_flight.commit()
        in_flight.close()
        run(url, IN_FLIGHT, sink)  # the run finishes: its e-mails go out
        sent_by_source = received(sink)
    assert code == 0, err
    assert sent_by_source and "stored files: 2" in out

    target = place(elsewhere, tmp_path / "elsewhere")
    code, out, err = invoke(monkeypatch, target, "restore", str(archive))
    assert code == 0, err
    assert status(monkeypatch, target) == before
    assert outbox(elsewhere) == sent_before  # as of the backup: the run in flight is not in it
    assert tree(tmp_path / "elsewhere" / "files") == FILES
    with MailSink(tmp_path / "mail-restored") as sink:
        run(elsewhere, IN_FLIGHT, sink)  # the next run on the restored campaign
        assert received(sink) == sent_by_source  # what the backup had not sent yet, and nothing it had
    assert status(monkeypatch, target) == status(monkeypatch, source)
    assert outbox(elsewhere) == outbox(url)


def test_restore_refuses_a_bad_archive_and_a_full_target(
    source: dict[str, str], elsewhere: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "backup.tar.gz"
    assert invoke(monkeypatch, source, "backup", str(archive))[0] == 0
    target = place(elsewhere, tmp_path / "elsewhere")

    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(tampered, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()  # type: ignore[union-attr]
            data = data.replace(b"plan", b"PLAN") if member.name.endswith(".pdf") else data
            new.addfile(member, fileobj=io.BytesIO(data))
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:2000])
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(newer, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":  # the archive's migration, whichever is the head, from a newer release
                manifest = json.loads(data)
                data = data.replace(f'"{manifest["revision"]}"'.encode(), b'"0099_from_the_future"')
                member.size = len(data)
            new.addfile(member, fileobj=io.BytesIO(data))
    bad_archives = (
        (tampered, "files/c1/方案.pdf: SHA-256"),
        (truncated, "not a readable .tar.gz"),
        (newer, "0099_from_the_future"),
        (tmp_path / "missing.tar.gz", "no such archive"),
    )
    for bad, says in bad_archives:
        code, out, err = invoke(monkeypatch, target, "restore", str(bad))
        assert (code, out) == (2, "")
        assert len(err.splitlines()) == 1 and says in err and "Traceback" not in err
    assert not (tmp_path / "elsewhere" / "files").exists()  # nothing written
    with Session(get_engine(elsewhere)) as session:
        assert not session.connection().dialect.has_table(session.connection(), "campaign")

    code, _, err = invoke(monkeypatch, target, "backup", str(tmp_path / "empty.tar.gz"))
    assert (code, err) == (2, f"backup: {elsewhere} holds no campaign: nothing to back up\n")
    code, _, err = invoke(monkeypatch, source, "restore", str(archive))  # the source is not empty
    assert code == 2 and "--force" in err and len(err.splitlines()) == 1
    before = status(monkeypatch, source)
    code, _, err = invoke(monkeypatch, source, "restore", "--force", str(archive))
    assert code == 0, err
    assert status(monkeypatch, source) == before
    with Session(get_engine(source["GREENCOMM_DATABASE_URL"])) as session:
        outbox = session.exec(select(tables.Outbox).where(col(tables.Outbox.status) != "sent")).all()
    assert outbox == []
