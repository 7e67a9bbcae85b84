"""Approvals through Prefect (test harness): a desk claim or extension pauses for a Decision, resumed as the UI does.

The decision is applied by SPEC §2, audited with who decided, and the receipt reaches a real SMTP sink at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import select

from flows.approvals import approve_extension, confirm_claim
from models import tables
from models.plan_rules import parse_plan
from tasks import desk_actions, prefect_tasks
from tasks.db import session_scope, upgrade
from tasks.desk_actions import Filed
from tasks.mailsink import MailSink
from tasks.store import sync_plan
from tasks.work import assign
from tests.conftest import SMALL_PLAN

CONTACT = "c1@t.example"
CLAIM: Any = confirm_claim  # Prefect types a flow call as sync-or-async; these tests await it
EXTEND: Any = approve_extension


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def url(prefect_server: None, sqlite_url: str, sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GREENCOMM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", str(sink.port))
    monkeypatch.setenv("GREENCOMM_MAIL_FROM", "greencomm@qingyang.example")
    monkeypatch.setattr(prefect_tasks.deliver, "retry_delay_seconds", [0.1, 0.1])
    upgrade(sqlite_url)
    plan = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))
    with session_scope(sqlite_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        assign(session, plan, "pilot", date(2022, 1, 10))
    return sqlite_url


def file(url: str, kind: str) -> Filed:
    now = datetime.now(UTC)
    with session_scope(url) as session:
        a = session.exec(
            select(tables.Assignment).where(
                tables.Assignment.item_id == "pilot.plan", tables.Assignment.assignee == "community:c1"
            )
        ).one()
        if kind == "claim":
            return desk_actions.file_claim(session, a, CONTACT, note="已印发", day=date(2022, 1, 10), now=now)
        return desk_actions.request_extension(
            session, a, CONTACT, new_due=date(2022, 1, 21), reason="春节", day=date(2022, 1, 10), now=now
        )


async def decide_when_paused(run: Any, decision: dict[str, Any]) -> Any:
    """Start the flow, wait until it pauses, resume it with the decision as the UI's form would, await it."""
    from prefect.flow_runs import aresume_flow_run

    task = asyncio.create_task(run)
    async with get_client() as client:
        for _ in range(600):
            runs = await client.read_flow_runs()
            paused = [r for r in runs if r.state is not None and r.state.is_paused()]
            if paused:
                await aresume_flow_run(paused[0].id, run_input=decision)
                break
            await asyncio.sleep(0.2)
    return await task


def test_an_approved_extension_moves_the_due_day_and_mails_the_receipt(url: str, sink: MailSink) -> None:
    filed = file(url, "extension")
    decision = {"approve": True, "comment": "同意顺延", "decided_by": "黄珑"}
    outcome = asyncio.run(
        decide_when_paused(EXTEND(campaign_id="small-test", extension_id=filed.id, requested_by=CONTACT), decision)
    )
    assert outcome == "approved"
    with session_scope(url) as session:
        extension = session.get(tables.Extension, filed.id)
        assert extension is not None and extension.status == "approved" and extension.decided_by == "黄珑"
        assignment = session.get(tables.Assignment, extension.assignment_id)
        assert assignment is not None and assignment.due == date(2022, 1, 21)
        audit = [(a.actor, a.action) for a in session.exec(select(tables.Audit))]
    assert ("黄珑", "extension.approve") in audit
    [receipt] = [m for m in sink.messages if "回执" in str(m["Subject"])]
    assert str(receipt["To"]).endswith(f"<{CONTACT}>")
    body = receipt.get_body(("plain",))
    assert body is not None and "同意延期至2022年1月21日" in body.get_content()


def test_a_rejected_claim_leaves_the_item_open(url: str, sink: MailSink) -> None:
    filed = file(url, "claim")
    decision = {"approve": False, "comment": "材料不全", "decided_by": "联络员甲"}
    outcome = asyncio.run(
        decide_when_paused(CLAIM(campaign_id="small-test", claim_id=filed.id, requested_by=CONTACT), decision)
    )
    assert outcome == "rejected"
    with session_scope(url) as session:
        claim = session.get(tables.Claim, filed.id)
        assert claim is not None and claim.status == "rejected" and claim.comment == "材料不全"
        assignment = session.get(tables.Assignment, claim.assignment_id)
        assert assignment is not None and assignment.completed_on is None
    [receipt] = [m for m in sink.messages if "回执" in str(m["Subject"])]
    body = receipt.get_body(("plain",))
    assert body is not None and "未予确认" in body.get_content() and "材料不全" in body.get_content()


def test_a_request_nobody_decides_stays_pending_and_the_office_is_told(url: str) -> None:
    from deployments.plan_file import load_plan
    from tasks import approvals

    plan = load_plan(SMALL_PLAN)
    filed = file(url, "claim")
    now = datetime(2022, 1, 14, 2, 0, tzinfo=UTC)
    with session_scope(url) as session:
        window = approvals.seconds_left(session, plan, "claim", filed.id, 3, datetime(2022, 1, 12, 16, 0, tzinfo=UTC))
        assert window == 24 * 3600  # to the end of Thu 2022-01-13, the 3rd working day after Mon 01-10
        approvals.expire(session, plan, "claim", filed.id, working_days=3, now=now, mail_from="gc@t.example")
        approvals.expire(session, plan, "claim", filed.id, working_days=3, now=now, mail_from="gc@t.example")
    with session_scope(url) as session:
        claim = session.get(tables.Claim, filed.id)
        assert claim is not None and claim.status == "pending"
        [notice] = session.exec(select(tables.Outbox).where(tables.Outbox.phase_id == "desk")).all()
        assert notice.recipient == "director@t.example" and "逾期未审核" in notice.subject
        assert desk_actions.pending_of(session, [claim.assignment_id])[claim.assignment_id]
