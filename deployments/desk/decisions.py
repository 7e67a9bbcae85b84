"""The deciders' page (SPEC §7): the 同意 / 退回 links of a 待审核 notice. GET shows the request and the form and
changes nothing; the POST decides, as the token's recipient, who must be one of the people entitled to decide.

The first decision wins, from this page or the run's Resume form in the Prefect UI: the POST resumes the request's
suspended run with the decision (accepted only while it still waits) and applies it at once; a request decided
meanwhile shows who decided it and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from deployments.desk.access import PageLink, page_link
from deployments.desk.deps import Db, Desk, DeskConfig, PostedForm, Refused
from deployments.desk.render import page
from models import tables
from models.approvals import COMMENT_LIMIT, Decider, Dossier, Kind, deciders, dossier_rows
from models.desk.tokens import Action, form_mac
from models.mail import cn_date
from tasks.approvals import (
    CLAIM_FIRST,
    FileLine,
    claim_files,
    decide_and_notify,
    dossier_of,
    pending_claim,
    request_row,
)

router = APIRouter()
KINDS: dict[Action, Kind] = {"decide-claim": "claim", "decide-extension": "extension"}
VERDICTS = {"agree": "同意", "return": "退回"}
TAKEN = "该申请已由其他审核人在审核平台提交审核意见，结果将以邮件告知。"
DECIDED = {"confirmed": "同意", "approved": "同意", "rejected": "退回", "withdrawn": "撤回"}


@dataclass(frozen=True)
class DecisionLink:
    """A decision link of the campaign, opened by one of the people entitled to decide the request."""

    link: PageLink
    kind: Kind
    row: tables.Claim | tables.Extension
    dossier: Dossier
    decider: Decider
    files: list[FileLine]  # a claim's materials (SPEC §8), each with its download link for this decider


def decision_link(session: Session, desk: DeskConfig, token: str) -> DecisionLink:
    link = page_link(session, desk, token, tuple(KINDS))
    kind, request_id = KINDS[link.grant.action], link.grant.assignment_id
    row = request_row(session, kind, request_id)
    if row is None or row.campaign_id != link.plan.campaign.id:
        raise Refused()
    dossier = dossier_of(session, link.plan, kind, request_id, desk.clock())
    who = link.grant.recipient.lower()
    decider = next((d for d in deciders(link.plan, kind, dossier.item) if d.email == who), None)
    if decider is None:
        raise Refused("您不在该申请的审核人之列，未作任何处理。")
    files = claim_files(session, link.plan, request_id, reader=who, settings=desk.settings) if kind == "claim" else []
    return DecisionLink(link, kind, row, dossier, decider, files)


@router.get("/d/{token}", response_class=HTMLResponse)
def show(token: str, session: Db, desk: Desk, v: str = "") -> HTMLResponse:
    """The request, what stands beside it, and the form (同意 or 退回 preselected by the link): nothing changes."""
    return _page(desk, decision_link(session, desk, token), token, verdict=VERDICTS.get(v, ""))


@router.post("/d/{token}", response_class=HTMLResponse)
def decide(token: str, form: PostedForm, session: Db, desk: Desk) -> HTMLResponse:
    """The decision, as the token's recipient: the run resumed (first one wins) and the decision applied."""
    found = decision_link(session, desk, token)
    if found.row.status not in ("pending", "requested"):
        return _page(desk, found, token)  # decided before: who and when, nothing changed
    verdict, comment = form.get("decision", ""), form.get("comment", "").strip()
    problem = _problem(session, found, verdict, comment)
    if problem:
        return _page(desk, found, token, verdict=verdict, comment=comment, message=problem, kind="warn")
    run_input = {"decision": verdict, "decided_by": found.decider.label, "comment": comment}
    if found.row.approval_run and not _resumed(found.row.approval_run, run_input):
        session.refresh(found.row)  # decided from the other path first: the page says by whom, once applied
        return _page(desk, found, token, message=TAKEN, closed=True)
    now: datetime = desk.clock()
    decide_and_notify(
        session,
        found.link.plan,
        found.kind,
        found.link.grant.assignment_id,
        approve=verdict == "同意",
        comment=comment,
        decided_by=found.decider.label,
        now=now,
        mail_from=desk.settings.mail_from,
    )
    session.refresh(found.row)
    return _page(desk, found, token, message="审核意见已提交，回执将以邮件发送申请单位。", kind="done")


def _problem(session: Session, found: DecisionLink, verdict: str, comment: str) -> str:
    if verdict not in VERDICTS.values():
        return "请选择审核结论：同意或退回。"
    if verdict == "退回" and not comment:
        return "退回须填写审核意见。"
    if len(comment) > COMMENT_LIMIT:
        return f"审核意见不超过{COMMENT_LIMIT}字。"
    if found.kind == "extension" and pending_claim(session, found.row.assignment_id) is not None:
        return CLAIM_FIRST
    return ""


def _resumed(run_id: str, run_input: dict[str, str]) -> bool:
    from deployments.approvals import resume_approval

    return resume_approval(run_id, run_input)


def _page(
    desk: DeskConfig,
    found: DecisionLink,
    token: str,
    *,
    verdict: str = "",
    comment: str = "",
    message: str = "",
    kind: str = "done",
    closed: bool = False,
) -> HTMLResponse:
    row, plan = found.row, found.link.plan
    waiting = row.status in ("pending", "requested") and not closed
    if row.status not in ("pending", "requested") and (closed or not message):
        outcome = DECIDED.get(row.status, "")
        when = cn_date(row.decided_on) if row.decided_on else ""
        message, kind = f"该申请已由{row.decided_by or '审核人'}于{when}审核{outcome}。", "done"
    return page(
        "decide.html.j2",
        plan,
        f"{plan.campaign.name}·{'审核办结申报' if found.kind == 'claim' else '审核延期申请'}",
        rows=dossier_rows(plan, found.dossier),
        decider=found.decider.label,
        form=waiting,
        token=token,
        mac=form_mac(desk.secret, token),
        action_path=f"/d/{token}",
        verdict=verdict,
        comment=comment,
        limit=COMMENT_LIMIT,
        message=message,
        message_kind=kind,
        files=found.files,
    )
