"""The desk's pages (SPEC §7), one handler each: GET shows a page with one button; only the POST acts.

Every handler asks for what it needs (deployments/desk/deps.py): the desk's configuration, a session that commits
when the handler returns, and for a POST the form that passed the guards. A bad, foreign or expired link raises
Refused and gets the 403 page.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlmodel import Session

from deployments.desk.access import ItemLink, item_link
from deployments.desk.deps import Db, Desk, DeskConfig, PostedForm
from deployments.desk.file_routes import show_mine
from deployments.desk.files_view import fields_of, round_lines, uploads_of
from deployments.desk.multipart import Posted
from deployments.desk.render import Materials, item_page, refused
from models.mail import cn_date
from models.materials import MaterialsRefused, materials_of
from tasks.approvals import Filed, request_extension
from tasks.desk import actions as desk_actions
from tasks.desk.mine import owner_line
from tasks.materials import rounds, submit_claim

log = logging.getLogger("greencomm.desk")
router = APIRouter()
TEXT_LIMIT = 2000
ALREADY = {  # one request of each kind at a time (SPEC §7): a second submission changes nothing
    "claim": "已提交，待审核：该事项的办结申报正在审核，无需重复提交。",
    "extend": "已提交，待审核：该事项的延期申请正在审核，审核后方可再次申请。",
}
DONE = {
    "ack": "已签收，请按完成时限办理。",
    "claim": "办结申报已提交，待督办科室审核确认；审核结果将以邮件告知。",
    "extend": "延期申请已提交，待领导小组办公室审核；审核结果将以邮件告知。",
}


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    return refused("请通过通知邮件中的链接访问。", status=200)


@router.get("/health", response_class=PlainTextResponse)
def health() -> str:
    return "ok"


@router.get("/a/{token}", response_class=HTMLResponse)
def show(token: str, session: Db, desk: Desk) -> HTMLResponse:
    """An item and its one button: opening the link changes nothing (mail scanners open links)."""
    return _item_page(session, desk, item_link(session, desk, token), token)


@router.post("/a/{token}", response_class=HTMLResponse)
def act(token: str, form: PostedForm, session: Db, desk: Desk, background: BackgroundTasks) -> HTMLResponse:
    """签收, or file a claim or an extension request; a new request's approval run starts once this one commits."""
    now = desk.clock()
    link = item_link(session, desk, token)
    action, who = link.grant.action, link.grant.recipient
    if link.assignment.completed_on is not None:
        return _item_page(session, desk, link, token)
    if action == "ack":
        desk_actions.acknowledge(session, link.assignment, who, now=now)
        return _item_page(session, desk, link, token, DONE["ack"])
    problem, filed = _file(session, desk, link, form, now)
    if problem:
        return _item_page(session, desk, link, token, problem, "warn", typed=form.fields)
    if filed is not None and not filed.new:
        return _item_page(session, desk, link, token, ALREADY[action])
    if filed is not None and desk.start_approval is not None:
        background.add_task(_start_approval, desk, filed)
    return _item_page(session, desk, link, token, DONE[action])


@router.get("/me/{token}", response_class=HTMLResponse)
def mine(token: str, session: Db, desk: Desk) -> HTMLResponse:
    """我的事项: every open item the reader owns, supervises or (the leading group) oversees."""
    return show_mine(session, desk, token)


def _item_page(
    session: Session,
    desk: DeskConfig,
    link: ItemLink,
    token: str,
    message: str = "",
    kind: str = "done",
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    plan, grant = link.plan, link.grant
    line = owner_line(session, plan, link.assignment, grant.recipient, link.today)
    assert link.assignment.id is not None
    history = round_lines(
        rounds(session, link.assignment.id),
        base=desk.settings.desk_base,
        secret=desk.secret,
        campaign=plan.campaign.id,
        reader=grant.recipient,
        end=grant.expires,
    )
    fields = fields_of(materials_of(link.item))
    materials = Materials(fields, history, desk.settings.upload_max_mb)
    return item_page(desk.secret, link, line, token, message, kind, materials, typed)


def _file(session: Session, desk: DeskConfig, link: ItemLink, form: Posted, now: datetime) -> tuple[str, Filed | None]:
    """A claim (with its materials) or an extension request from the form, or what is wrong with it, in words."""
    a, who, today, claim = link.assignment, link.grant.recipient, link.today, link.grant.action == "claim"
    text = form.get("note" if claim else "reason").strip()
    if not text or len(text) > TEXT_LIMIT:
        return f"请填写说明（不超过{TEXT_LIMIT}字）。", None
    if claim:
        settings, uploads = desk.settings, uploads_of(materials_of(link.item), form)
        try:
            filed = submit_claim(
                session,
                link.plan,
                a,
                who,
                note=text,
                uploads=uploads,
                day=today,
                now=now,
                files_dir=settings.files_dir,
                max_mb=settings.upload_max_mb,
            )
        except MaterialsRefused as refused:
            return "\n".join([*refused.problems, "以上问题请更正后重新选择文件提交；未保存任何文件。"]), None
        return "", filed
    try:
        new_due = date.fromisoformat(form.get("new_due", ""))
    except ValueError:
        return "请选择申请延期至的日期。", None
    end = link.plan.campaign.end
    if not a.due < new_due <= end:
        return f"延期日期须晚于原完成时限{cn_date(a.due)}，且不晚于{cn_date(end)}。", None
    return "", request_extension(session, a, who, new_due=new_due, reason=text, day=today, now=now)


def _start_approval(desk: DeskConfig, filed: Filed) -> None:
    assert desk.start_approval is not None
    try:
        desk.start_approval(filed)
    except Exception:  # the request stays pending and visible; the log says why it has no flow run
        log.exception("could not start the approval flow run for %s %s", filed.kind, filed.id)
