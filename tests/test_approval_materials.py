"""A claim's files in its approval (SPEC §7, §8), through a suspended run on the session's Prefect server: the run's
artifact, each decider's 待审核 e-mail and the desk's decision page list every file (material, name, size, type)
with a download link signed for that reader, which opens the file byte-identical."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prefect.client.orchestration import get_client
from sqlmodel import select

from deployments.approvals import start_approval
from deployments.desk.app import create_app
from deployments.plan_file import load_plan
from models import tables
from models.materials import Upload
from models.settings import Settings
from tasks import prefect_tasks
from tasks.db import session_scope, upgrade
from tasks.engine import assign
from tasks.mail.mailsink import MailSink
from tasks.materials import submit_claim
from tasks.store import sync_plan
from tests import material_files as mf
from tests.conftest import plan_data, write_plan
from tests.test_approvals import Served, run_of, suspended, wait_until

DESK = "http://desk.example"
PDF = mf.pdf("seal")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def campaign(prefect_server: None, tmp_path: Path, sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    env = {
        "DATABASE_URL": url,
        "VAR_DIR": str(tmp_path / "var"),
        "DESK_URL": DESK,
        "SECRET_KEY": "materials-secret",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.port),
    }
    for name, value in env.items():
        monkeypatch.setenv(f"GREENCOMM_{name}", value)
    monkeypatch.setattr(prefect_tasks.deliver, "retry_delay_seconds", [0.1, 0.1])
    data = plan_data()
    data["phases"][0]["items"][0]["materials"] = [{"label": "盖章扫描PDF版", "kinds": ["pdf"]}]
    path = write_plan(tmp_path, data)
    plan = load_plan(path)
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        assign(session, plan, "pilot", date(2022, 1, 10))
    return path


def test_the_deciders_see_the_claims_files_with_links_that_open_them(campaign: Path, sink: MailSink) -> None:
    plan, settings = load_plan(campaign), Settings()
    runner = Served(campaign)
    try:
        with session_scope(settings.database_url) as session:
            query = select(tables.Assignment).where(tables.Assignment.assignee == "community:c1")
            a = session.exec(query.where(tables.Assignment.item_id == "pilot.plan")).one()
            uploads = [Upload("盖章扫描PDF版", "方案（盖章）.pdf", mf.write(campaign.parent, "u", PDF))]
            filed = submit_claim(
                session,
                plan,
                a,
                "c1@t.example",
                note="已印发",
                uploads=uploads,
                day=date(2022, 1, 10),
                now=datetime.now(UTC),
                files_dir=settings.files_dir,
            )
        start_approval(filed)
        run_id = run_of(settings.database_url, filed)
        with get_client(sync_client=True) as client:
            wait_until("suspended run", lambda: suspended(client, run_id))
            [dossier] = [x for x in client.read_artifacts() if x.flow_run_id == run_id and x.type == "markdown"]
    finally:
        runner.stop()
    line = "盖章扫描PDF版：方案（盖章）.pdf（1KB，PDF文件）"
    assert f"{line} [下载]({DESK}/f/" in str(dossier.data)
    review = [m for m in sink.messages if "待审核" in str(m["Subject"])]
    assert {str(m["To"]).split("<")[1].rstrip(">") for m in review} == {"lead.liaison@t.example", "lead.head@t.example"}
    app = create_app(settings, clock=lambda: datetime(2022, 1, 10, 2, tzinfo=UTC))
    with TestClient(app, base_url=DESK) as desk:
        artifact_url = re.search(r"\[下载\]\((\S+?)\)", str(dossier.data))
        assert artifact_url is not None and desk.get(artifact_url.group(1).removeprefix(DESK)).content == PDF
        for message in review:
            body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            assert f"报送材料：\n　　　　{line}　下载：{DESK}/f/" in body
            file_url = re.search(rf"{re.escape(DESK)}/f/\S+", body)
            assert file_url is not None and desk.get(file_url.group(0).removeprefix(DESK)).content == PDF
            decide = re.search(rf"{re.escape(DESK)}/d/\S+", body)
            assert decide is not None
            page = desk.get(decide.group(0).removeprefix(DESK)).text
            assert f'<li>{line} <a href="{DESK}/f/' in page
