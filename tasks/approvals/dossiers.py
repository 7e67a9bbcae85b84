"""What a decider sees of a waiting request, read from the database (SPEC §7): the dossier of one request, the
run that waits for its decision, and the table of every request waiting in a campaign.

Each function takes a session and leaves committing to its caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.approvals import KIND_TEXT, Dossier, Earlier, Kind, time_left
from models.desk import Reader
from models.mail import cn_date
from models.plan import Plan
from models.vocabulary import ClaimStatus, ExtensionStatus, Stage
from tasks.approvals import requests
from tasks.approvals.claim_files import claim_files
from tasks.store import today_in

FILED = {"claim": "claim", "extension": "extension.request"}  # the audit action that filed each kind
OUTCOME = {"pending": "待审核", "requested": "待审核", "confirmed": "同意", "approved": "同意", "rejected": "退回"}
WAITING: dict[Kind, str] = {"claim": ClaimStatus.PENDING, "extension": ExtensionStatus.REQUESTED}


def filings(session: Session, kind: Kind, campaign_id: str | None = None) -> dict[int, tables.Audit]:
    """request id → the audit row that filed it from the desk (its actor is `desk:<address>`, its time `at`)."""
    query = select(tables.Audit).where(tables.Audit.action == FILED[kind], col(tables.Audit.actor).startswith("desk:"))
    if campaign_id is not None:
        query = query.where(tables.Audit.campaign_id == campaign_id)
    return {int(a.detail[kind]): a for a in session.exec(query) if isinstance(a.detail.get(kind), int)}


def is_waiting(session: Session, kind: Kind, request_id: int) -> bool:
    row = requests.request_row(session, kind, request_id)
    return row is not None and row.status == WAITING[kind]


def record_run(session: Session, kind: Kind, request_id: int, run_id: str) -> None:
    """The flow run that waits for this request's decision (the desk resumes it; the table links to it)."""
    row = requests.request_row(session, kind, request_id)
    if row is not None and row.approval_run != run_id:
        row.approval_run = run_id
        session.add(row)


def dossier_of(session: Session, plan: Plan, kind: Kind, request_id: int, now: datetime) -> Dossier:
    """The request and what stands beside it: its item, requester, the assignment's notices and earlier requests."""
    request = requests.request_of(session, plan, kind, request_id)
    row = requests.request_row(session, kind, request_id)
    assert row is not None
    filed = filings(session, kind, plan.campaign.id).get(request_id)
    who = filed.actor.removeprefix("desk:") if filed else ""
    items = {i.id: i for _, i in plan.items()}
    assignment = session.get(tables.Assignment, row.assignment_id)
    assert assignment is not None
    return Dossier(
        request,
        items.get(assignment.item_id),
        _requester(plan, who),
        _aware(filed.at) if filed else now,
        today_in(plan, now),
        _notices(session, plan, row.assignment_id),
        _earlier(session, kind, request_id, row.assignment_id),
        [text for text, _ in claim_files(session, plan, request_id)] if kind == "claim" else [],
    )


def pending_table(session: Session, plan: Plan, ui_url: str, now: datetime) -> list[dict[str, Any]]:
    """Every request of the campaign waiting for a decision, oldest first, with a link to its run in the UI."""
    rows: list[dict[str, Any]] = []
    today = today_in(plan, now)
    for kind in WAITING:
        filed = filings(session, kind, plan.campaign.id)
        for row in _waiting_rows(session, kind, plan.campaign.id):
            assert row.id is not None
            request = requests.request_of(session, plan, kind, row.id)
            audit = filed.get(row.id)
            rows.append(
                {
                    "申请": KIND_TEXT[kind],
                    "承办单位": request.assignee_name,
                    "事项": request.item_title,
                    "申请人": _requester(plan, audit.actor.removeprefix("desk:")) if audit else "（进度记录）",
                    "申请日期": cn_date(request.filed_on),
                    "完成时限": cn_date(request.due),
                    "申请延期至": cn_date(request.new_due) if request.new_due else "",
                    "办理进度": time_left(plan, request.due, today),
                    "审核入口": f"{ui_url.rstrip('/')}/runs/flow-run/{row.approval_run}" if row.approval_run else "",
                }
            )
    return sorted(rows, key=lambda r: (r["申请日期"], r["承办单位"]))


def _waiting_rows(session: Session, kind: Kind, campaign_id: str) -> Iterable[tables.Claim | tables.Extension]:
    table: Any = tables.Claim if kind == "claim" else tables.Extension
    return list(
        session.exec(
            select(table).where(table.campaign_id == campaign_id, table.status == WAITING[kind]).order_by(table.id)
        )
    )


def _requester(plan: Plan, email: str) -> str:
    reader = Reader.of(plan, email)
    return reader.greeting if reader.seats else (email or "（进度记录）")


def _notices(session: Session, plan: Plan, assignment_id: int) -> list[tuple[date, str]]:
    rows = session.exec(
        select(tables.Notice).where(tables.Notice.assignment_id == assignment_id).order_by(col(tables.Notice.day))
    )
    return [(n.day, Stage.parse(n.stage).label(plan.escalation)) for n in rows]


def _earlier(session: Session, kind: Kind, request_id: int, assignment_id: int) -> list[Earlier]:
    found = []
    for claim in session.exec(select(tables.Claim).where(tables.Claim.assignment_id == assignment_id)):
        if (kind, request_id) != ("claim", claim.id):
            found.append(Earlier("claim", claim.day, OUTCOME.get(claim.status, "已撤回"), claim.note))
    for ext in session.exec(select(tables.Extension).where(tables.Extension.assignment_id == assignment_id)):
        if (kind, request_id) != ("extension", ext.id):
            text = f"申请延期至{cn_date(ext.new_due)}，{ext.reason}"
            found.append(Earlier("extension", ext.day, OUTCOME.get(ext.status, "已撤回"), text))
    return sorted(found, key=lambda e: e.filed_on)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
