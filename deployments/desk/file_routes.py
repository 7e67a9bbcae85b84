"""The desk's materials (SPEC §8): a handed-in file downloaded through its signed link, and 亮点信息 submitted
from 我的事项 (title, text, files) as often as a unit likes."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, StreamingResponse

from deployments.desk.access import file_access, page_link
from deployments.desk.deps import Db, Desk, PostedForm, Refused
from deployments.desk.files_view import submission_forms, submission_units, uploads_of
from deployments.desk.render import mine_page
from models.materials import MaterialsRefused, content_disposition, materials_of
from tasks.desk.mine import my_lines
from tasks.materials import FileChanged, LocalStore, highlights_of, submit_highlight

log = logging.getLogger("greencomm.desk")
router = APIRouter()
CHANGED = "该文件的内容与报送时不一致，已停止下载；请与领导小组办公室联系。"


@router.get("/f/{token}")
def download(token: str, session: Db, desk: Desk) -> StreamingResponse:
    """The file as handed in, byte for byte, once its bytes hash to what was stored; as an attachment with its
    original (Chinese) name, its stored type and nosniff, so no browser runs or renders it in the desk's origin."""
    link = file_access(session, desk, token)
    store, row = LocalStore(desk.settings.files_dir), link.row
    try:
        size = store.verify(row.sha256)
    except FileChanged as changed:
        log.error("refused a download of file %s: %s", row.id, changed)
        raise Refused(CHANGED, status=409) from None
    headers = {
        "Content-Disposition": content_disposition(row.name),
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(store.read(row.sha256), media_type=row.mime, headers=headers)


@router.post("/me/{token}/h/{item_id}", response_class=HTMLResponse)
def submit(token: str, item_id: str, form: PostedForm, session: Db, desk: Desk) -> HTMLResponse:
    """亮点信息 for one of the reader's units; the page again, with what was typed kept when it is refused."""
    link = page_link(session, desk, token)
    plan, who = link.plan, link.grant.recipient
    item = next((i for _, i in plan.submissions() if i.id == item_id), None)
    units = submission_units(plan, item, who) if item else []
    if item is None or not units:
        raise Refused()
    unit = form.get("unit") if form.get("unit") in units else units[0]
    settings = desk.settings
    try:
        submit_highlight(
            session,
            plan,
            item,
            unit,
            who,
            title=form.get("title"),
            text=form.get("text"),
            uploads=uploads_of(materials_of(item), form),
            day=link.today,
            now=desk.clock(),
            files_dir=settings.files_dir,
            max_mb=settings.upload_max_mb,
        )
    except MaterialsRefused as refused:
        message = "\n".join([*refused.problems, "请更正后重新提交；未保存任何内容。"])
        return show_mine(session, desk, token, message, "warn", typed=form.fields)
    return show_mine(session, desk, token, f"“{form.get('title').strip()}”已报送，感谢您的报送。", "done")


def show_mine(
    session: Db, desk: Desk, token: str, message: str = "", kind: str = "", typed: dict[str, str] | None = None
) -> HTMLResponse:
    """我的事项 with the reader's submission items and what their units sent so far."""
    link = page_link(session, desk, token)
    plan, who = link.plan, link.grant.recipient
    lines = my_lines(session, plan, who, link.today)
    units = {u for _, item in plan.submissions() for u in submission_units(plan, item, who)}
    forms = submission_forms(plan, who, highlights_of(session, plan.campaign.id, units) if units else [])
    return mine_page(
        desk.secret,
        link,
        lines,
        token=token,
        submissions=forms,
        message=(message, kind),
        typed=typed,
        max_mb=desk.settings.upload_max_mb,
    )
