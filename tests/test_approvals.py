"""Approvals through Prefect (SPEC §7, issue 16): a desk claim or extension starts a run of its deployment that
suspends (holding no process and no runner slot), resumed as the UI's Resume form does.

A real Prefect Runner serves the campaign's deployments in a thread (limit 5, as `up`'s runner), against the
session's Prefect test server; flow runs are real subprocesses. The decision is applied by SPEC §2, audited with who
decided, and the receipt reaches a real SMTP sink at once.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.runner import Runner
from sqlmodel import select

from deployments.approvals import start_approval
from deployments.definitions import deployments
from deployments.desk.app import create_app
from deployments.plan_file import load_plan
from models import tables
from models.settings import Settings
from tasks import prefect_tasks
from tasks.approvals import Filed, file_claim, request_extension
from tasks.db import session_scope, upgrade
from tasks.engine.work import assign
from tasks.mail.mailsink import MailSink
from tasks.store import sync_plan
from tests.conftest import plan_data, write_plan

CONTACT = "c1@t.example"
DIRECTOR = "办公室主任（领导小组办公室）"
LIAISON = "联络员甲同志（牵头办）"
WAIT_SECONDS = 180
DESK = "http://desk.test"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        yield running


def many_communities(folder: Path, count: int) -> Path:
    """The small plan with `count` communities: enough assignments for many requests waiting at once."""
    data = plan_data()
    data["communities"] = [
        {
            "id": f"c{n}",
            "name": f"社区{n:02d}",
            "contact": {"name": f"联系人{n:02d}", "email": f"c{n}@t.example"},
            "head": {"name": f"书记{n:02d}", "email": f"c{n}.head@t.example"},
        }
        for n in range(1, count + 1)
    ]
    return write_plan(folder, data)


@pytest.fixture
def url(prefect_server: None, sqlite_url: str, sink: MailSink, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GREENCOMM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", str(sink.port))
    monkeypatch.setenv("GREENCOMM_MAIL_FROM", "greencomm@qingyang.example")
    monkeypatch.setattr(prefect_tasks.deliver, "retry_delay_seconds", [0.1, 0.1])
    upgrade(sqlite_url)
    plan = load_plan(many_communities(tmp_path, 25))
    with session_scope(sqlite_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        assign(session, plan, "pilot", date(2022, 1, 10))
    return sqlite_url


class Served:
    """The campaign's deployments served by a Prefect Runner (5 process slots, as `up`'s) in a thread."""

    def __init__(self, plan_path: Path) -> None:
        self.deployments, self.ready = deployments(load_plan(plan_path)), threading.Event()  # built in sync code
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._serve(),), daemon=True)
        self.thread.start()
        assert self.ready.wait(60), "the runner did not start"

    async def _serve(self) -> None:
        self.runner = Runner(limit=5, query_seconds=1, pause_on_shutdown=False)
        for deployment in self.deployments:
            await self.runner.aadd_deployment(deployment)
        self.loop.call_later(0.5, self.ready.set)
        await self.runner.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.runner.astop(), self.loop).result(60)
            self.thread.join(60)


@pytest.fixture
def served(url: str, tmp_path: Path) -> Iterator[Served]:
    running = Served(tmp_path / "plan.yaml")
    yield running
    running.stop()


def assignment(url: str, community: str = "c1") -> tables.Assignment:
    with session_scope(url) as session:
        query = select(tables.Assignment).where(tables.Assignment.item_id == "pilot.plan")
        return session.exec(query.where(tables.Assignment.assignee == f"community:{community}")).one()


def file(url: str, kind: str, community: str = "c1") -> Filed:
    now, a = datetime.now(UTC), assignment(url, community)
    with session_scope(url) as session:
        if kind == "claim":
            return file_claim(session, a, f"{community}@t.example", note="已印发", day=date(2022, 1, 10), now=now)
        return request_extension(
            session,
            a,
            f"{community}@t.example",
            new_due=date(2022, 1, 21),
            reason="春节",
            day=date(2022, 1, 10),
            now=now,
        )


def run_of(url: str, filed: Filed) -> UUID:
    with session_scope(url) as session:
        row = session.get(tables.Claim, filed.id) if filed.kind == "claim" else session.get(tables.Extension, filed.id)
        assert row is not None and row.approval_run is not None
        return UUID(row.approval_run)


def wait_until(what: str, check: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.5)
    return found


def read_run(client: SyncPrefectClient, run_id: UUID) -> FlowRun:
    return client.read_flow_run(run_id)


def suspended(client: SyncPrefectClient, run_id: UUID) -> bool:
    state = read_run(client, run_id).state
    return state is not None and state.type == StateType.PAUSED and state.name == "Suspended"


def finished(client: SyncPrefectClient, run_id: UUID) -> FlowRun | None:
    run = read_run(client, run_id)
    return run if run.state is not None and run.state.is_final() else None


def resume(client: SyncPrefectClient, run_id: UUID, decision: dict[str, Any]) -> SetStateStatus:
    return client.resume_flow_run(run_id, run_input=decision).status


def test_an_approved_extension_waits_suspended_then_moves_the_due_day(url: str, served: Served, sink: MailSink) -> None:
    filed = file(url, "extension")
    start_approval(filed)
    run_id = run_of(url, filed)
    with get_client(sync_client=True) as client:
        wait_until("suspended run", lambda: suspended(client, run_id))
        run = read_run(client, run_id)
        assert run.name == "审核延期：社区01 · 制定方案"
        # this run's own: the session's one test server holds every earlier test's artifacts, same keys included
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
        dossier = [a for a in artifacts if a.type == "markdown"]
        assert dossier and "申请延期至" in str(dossier[0].data) and "2022年1月21日" in str(dossier[0].data)
        assert "2022-01" not in str(dossier[0].data)
        assert "报送材料" not in str(dossier[0].data) and "将在此列出" not in str(dossier[0].data)  # an extension's
        pending = [a for a in artifacts if a.key == "small-test-pending-approvals"]
        [row] = json.loads(str(pending[-1].data))
        assert row["承办单位"] == "社区01" and row["申请延期至"] == "2022年1月21日" and str(run_id) in row["审核入口"]
        refused = resume(client, run_id, {"decision": "同意", "decided_by": "某某人", "comment": ""})
        assert refused != SetStateStatus.ACCEPT and suspended(client, run_id)  # not among the entitled people
        assert resume(client, run_id, {"decision": "同意", "decided_by": DIRECTOR, "comment": "同意顺延"}) == (
            SetStateStatus.ACCEPT
        )
        done = wait_until("finished run", lambda: finished(client, run_id))
    assert done.state is not None and done.state.is_completed(), done.state
    with session_scope(url) as session:
        extension = session.get(tables.Extension, filed.id)
        assert extension is not None and extension.status == "approved" and extension.decided_by == DIRECTOR
        assert (a := session.get(tables.Assignment, extension.assignment_id)) is not None and a.due == date(2022, 1, 21)
        audit = [(a.actor, a.action) for a in session.exec(select(tables.Audit))]
    assert (DIRECTOR, "extension.approve") in audit
    [receipt] = [m for m in sink.messages if "回执" in str(m["Subject"])]
    assert str(receipt["To"]).endswith(f"<{CONTACT}>")
    body = receipt.get_body(("plain",))
    assert body is not None and "同意延期至2022年1月21日" in body.get_content()


def test_a_return_without_a_comment_asks_again_and_a_return_with_one_leaves_the_item_open(
    url: str, served: Served, sink: MailSink
) -> None:
    filed = file(url, "claim")
    start_approval(filed)
    run_id = run_of(url, filed)
    with get_client(sync_client=True) as client:
        wait_until("suspended run", lambda: suspended(client, run_id))
        assert read_run(client, run_id).name == "审核办结：社区01 · 制定方案"
        assert resume(client, run_id, {"decided_by": LIAISON, "comment": ""}) != SetStateStatus.ACCEPT  # no default
        assert (
            resume(client, run_id, {"decision": "退回", "decided_by": LIAISON, "comment": " "}) == SetStateStatus.ACCEPT
        )
        time.sleep(2)
        wait_until("run suspended again", lambda: suspended(client, run_id))
        assert resume(client, run_id, {"decision": "退回", "decided_by": LIAISON, "comment": "材料不全"}) == (
            SetStateStatus.ACCEPT
        )
        done = wait_until("finished run", lambda: finished(client, run_id))
    assert done.state is not None and done.state.is_completed(), done.state
    with session_scope(url) as session:
        claim = session.get(tables.Claim, filed.id)
        assert claim is not None and claim.status == "rejected" and claim.comment == "材料不全"
        assert claim.decided_by == LIAISON
        a = session.get(tables.Assignment, claim.assignment_id)
        assert a is not None and a.completed_on is None
    [receipt] = [m for m in sink.messages if "回执" in str(m["Subject"])]
    body = receipt.get_body(("plain",))
    assert body is not None and "未予确认" in body.get_content() and "材料不全" in body.get_content()


def test_the_first_decision_wins_from_the_e_mailed_desk_link(
    url: str, served: Served, sink: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENCOMM_DESK_URL", DESK)  # the run's 待审核 e-mails carry the desk's links
    monkeypatch.setenv("GREENCOMM_SECRET_KEY", "approvals-test-secret")
    filed = file(url, "claim")
    start_approval(filed)
    run_id = run_of(url, filed)
    with get_client(sync_client=True) as client:
        wait_until("suspended run", lambda: suspended(client, run_id))
        asks = wait_until("待审核 e-mails", lambda: [m for m in sink.messages if "待审核" in str(m["Subject"])])
        assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in asks) == [
            "lead.head@t.example",
            "lead.liaison@t.example",
        ]
        [ask] = [m for m in asks if "lead.liaison" in str(m["To"])]
        body = ask.get_body(("plain",))
        assert body is not None
        agree = re.search(rf"同意：({re.escape(DESK)}\S+)", body.get_content())
        assert agree is not None
        in_the_campaign = lambda: datetime(2022, 1, 12, 2, 0, tzinfo=UTC)  # noqa: E731  links last to its end
        with TestClient(create_app(Settings(), clock=in_the_campaign), base_url=DESK) as desk:
            path = agree.group(1).removeprefix(DESK)
            page = desk.get(path)
            assert page.status_code == 200 and suspended(client, run_id)  # opening the link changes nothing
            fields = dict(re.findall(r'name="(token|mac)" value="([^"]+)"', page.text))
            done = desk.post(path, data=fields | {"decision": "同意", "comment": ""}, headers={"Origin": DESK})
            assert "审核意见已提交" in done.text
        finished_run = wait_until("finished run", lambda: finished(client, run_id))
        assert finished_run.state is not None and finished_run.state.is_completed()
        late = {"decision": "退回", "decided_by": "主任甲同志（牵头办）", "comment": "晚到的意见"}
        assert resume(client, run_id, late) != SetStateStatus.ACCEPT  # the UI's form is gone: the first one won
    with session_scope(url) as session:
        claim = session.get(tables.Claim, filed.id)
    assert claim is not None and (claim.status, claim.decided_by) == ("confirmed", LIAISON)
    receipts = wait_until("receipt", lambda: [m for m in sink.messages if "回执" in str(m["Subject"])])
    assert len(receipts) == 1


def test_an_extension_is_decided_only_after_the_claim_on_its_item(url: str, served: Served, sink: MailSink) -> None:
    """SPEC §7: with a claim and an extension both pending, the claim is decided first; an answer to the extension
    given too early is asked again, and stays refused when the resumed run replays it after the claim's decision."""
    claim, extension = file(url, "claim"), file(url, "extension")
    start_approval(claim)
    start_approval(extension)
    claim_run, extension_run = run_of(url, claim), run_of(url, extension)
    approve = {"decision": "同意", "decided_by": DIRECTOR, "comment": "同意顺延"}
    with get_client(sync_client=True) as client:
        wait_until("suspended runs", lambda: suspended(client, claim_run) and suspended(client, extension_run))
        assert resume(client, extension_run, approve) == SetStateStatus.ACCEPT
        time.sleep(2)
        wait_until("the extension asked again", lambda: suspended(client, extension_run))
        with session_scope(url) as session:
            waiting = session.get(tables.Extension, extension.id)
            assert waiting is not None and waiting.status == "requested"
        returned = {"decision": "退回", "decided_by": LIAISON, "comment": "材料不全"}
        assert resume(client, claim_run, returned) == SetStateStatus.ACCEPT
        wait_until("the claim decided", lambda: finished(client, claim_run))
        assert resume(client, extension_run, approve) == SetStateStatus.ACCEPT
        done = wait_until("the extension decided", lambda: finished(client, extension_run))
    assert done.state is not None and done.state.is_completed(), done.state
    with session_scope(url) as session:
        decided = session.get(tables.Extension, extension.id)
        assert decided is not None and decided.status == "approved"
        refusals = session.exec(select(tables.Audit).where(tables.Audit.action == "extension.claim-first")).all()
    assert [r.detail for r in refusals] == [{"extension": extension.id, "attempt": 1}]
