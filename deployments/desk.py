"""The desk (SPEC §7): answers from the e-mail. GET shows a page with one button; only the POST acts.

Every path carries a signed token (models/tokens.py); a bad, foreign or expired one gets 403 and changes
nothing. Forms carry the token and a MAC of it, and must come from the desk's own origin; no cookies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jinja2
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response as StarletteResponse

from deployments.desk_http import HEADERS, TooLarge, read_form, same_origin
from models.desk import ACTION_TEXT, allowed, desk_line, role_of
from models.plan import Item, Plan
from models.settings import Settings
from models.tokens import Grant, form_mac, form_mac_ok, sign, verify
from models.wording import cn_date
from tasks import desk_actions
from tasks.db import session_scope
from tasks.desk_actions import Filed
from tasks.desk_secret import desk_secret
from tasks.store import load_campaign, today_in

log = logging.getLogger("greencomm.desk")
TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("deployments", "templates/desk"), autoescape=True)
StartApproval = Callable[[Filed], None]  # the claim or extension request filed → its approval flow run
TEXT_LIMIT = 2000
BUTTON = {"ack": "签收", "claim": "提交办结申报", "extend": "提交延期申请"}
DONE = {
    "ack": "已签收，请按完成时限办理。",
    "claim": "办结申报已提交，待督办科室审核确认；审核结果将以邮件告知。",
    "extend": "延期申请已提交，待领导小组办公室审核；审核结果将以邮件告知。",
}


@dataclass(frozen=True)
class Found:
    """A token that checks out against the campaign as loaded, and what it points at."""

    plan: Plan
    grant: Grant
    today: date
    item: Item | None
    assignment: Any  # tables.Assignment (None for `mine`)


def create_app(
    settings: Settings,
    *,
    start_approval: StartApproval | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    secret = desk_secret(settings)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def strict_headers(request: Request, call_next: Callable[[Request], Awaitable[StarletteResponse]]) -> Any:
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response

    def resolve(session: Any, token: str, actions: tuple[str, ...]) -> Found | None:
        grant = verify(secret, token, today=date.min)  # the signature first; expiry needs the campaign's day
        if grant is None or grant.action not in actions:
            return None
        try:
            plan = load_campaign(session, grant.campaign)
        except LookupError:
            return None
        today = today_in(plan, clock())
        if today > grant.expires:
            return None
        if grant.action == "mine":
            return Found(plan, grant, today, None, None)
        assignment = desk_actions.assignment_of(session, grant.campaign, grant.assignment_id)
        if assignment is None:
            return None
        item = next((i for _, i in plan.items() if i.id == assignment.item_id), None)
        if not allowed(role_of(plan, item, assignment.assignee, grant.recipient), grant.action, item):
            return None
        return Found(plan, grant, today, item, assignment)

    def item_page(session: Any, found: Found, token: str, message: str = "", kind: str = "done") -> HTMLResponse:
        a, action = found.assignment, found.grant.action
        acknowledged = desk_actions.acknowledged_of(session, [a.id], found.grant.recipient)
        pending = desk_actions.pending_of(session, [a.id]).get(a.id, [])
        line = desk_line(found.plan, a, found.today, "owner", acknowledged=bool(acknowledged), pending=pending)
        open_ = a.completed_on is None
        if not open_ and not message:
            message, kind = "该事项已办结，无需再办理。", "done"
        return page(
            "item.html.j2",
            found.plan,
            f"{found.plan.campaign.name}·{ACTION_TEXT[action]}",
            line=line,
            action=action,
            form=open_ and not (message and kind == "done"),
            token=token,
            mac=form_mac(secret, token),
            action_path=f"/a/{token}",
            mine_path=_mine_path(found),
            button=BUTTON.get(action, ""),
            min_due=(a.due + timedelta(days=1)).isoformat(),
            max_due=found.plan.campaign.end.isoformat(),
            message=message,
            message_kind=kind,
        )

    def _mine_path(found: Found) -> str:
        mine = Grant(found.grant.campaign, 0, found.grant.recipient, "mine", found.grant.expires)
        return f"/me/{sign(secret, mine)}"

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        return refused("请通过通知邮件中的链接访问。", status=200)

    @app.get("/health", response_class=PlainTextResponse)
    def health() -> str:
        return "ok"

    @app.get("/a/{token}", response_class=HTMLResponse)
    def show(token: str) -> HTMLResponse:
        with session_scope(settings.database_url) as session:
            found = resolve(session, token, ("ack", "claim", "extend"))
            return item_page(session, found, token) if found else refused()

    @app.post("/a/{token}", response_class=HTMLResponse)
    async def act(token: str, request: Request) -> Response:
        try:
            form = await read_form(request)
        except TooLarge:
            return refused("提交的内容过长。", status=413)
        if not same_origin(request, settings.desk_base):
            return refused("请从本系统的页面提交。")
        if form.get("token") != token or not form_mac_ok(secret, token, form.get("mac", "")):
            return refused()
        response, filed = await run_in_threadpool(act_now, token, form)
        if filed is not None and filed.new and start_approval is not None:
            await run_in_threadpool(_start, filed)
        return response

    def act_now(token: str, form: dict[str, str]) -> tuple[Response, Filed | None]:
        now = clock()
        with session_scope(settings.database_url) as session:
            found = resolve(session, token, ("ack", "claim", "extend"))
            if found is None:
                return refused(), None
            a, action, who = found.assignment, found.grant.action, found.grant.recipient
            if a.completed_on is not None:
                return item_page(session, found, token), None
            if action == "ack":
                desk_actions.acknowledge(session, a, who, now=now)
                return item_page(session, found, token, DONE["ack"]), None
            problem, filed = _file(session, found, form, now)
            if problem:
                return item_page(session, found, token, problem, "warn"), None
            return item_page(session, found, token, DONE[action]), filed

    def _file(session: Any, found: Found, form: dict[str, str], now: datetime) -> tuple[str, Filed | None]:
        a, who, today = found.assignment, found.grant.recipient, found.today
        text = form.get("note" if found.grant.action == "claim" else "reason", "").strip()
        if not text or len(text) > TEXT_LIMIT:
            return f"请填写说明（不超过{TEXT_LIMIT}字）。", None
        if found.grant.action == "claim":
            return "", desk_actions.file_claim(session, a, who, note=text, day=today, now=now)
        try:
            new_due = date.fromisoformat(form.get("new_due", ""))
        except ValueError:
            return "请选择申请延期至的日期。", None
        if not a.due < new_due <= found.plan.campaign.end:
            end = cn_date(found.plan.campaign.end)
            return f"延期日期须晚于原完成时限{cn_date(a.due)}，且不晚于{end}。", None
        return "", desk_actions.request_extension(session, a, who, new_due=new_due, reason=text, day=today, now=now)

    def _start(filed: Filed) -> None:
        assert start_approval is not None
        try:
            start_approval(filed)
        except Exception:  # the request stays pending and visible; the log says why it has no flow run
            log.exception("could not start the approval flow run for %s %s", filed.kind, filed.id)

    @app.get("/me/{token}", response_class=HTMLResponse)
    def mine(token: str) -> HTMLResponse:
        with session_scope(settings.database_url) as session:
            found = resolve(session, token, ("mine",))
            if found is None:
                return refused()
            lines = desk_actions.my_lines(session, found.plan, found.grant.recipient, found.today)
        groups = [
            (title, [line for role, line in lines if role == wanted])
            for wanted, title in [("owner", "承办事项"), ("supervisor", "督促事项"), ("lead", "统筹督办事项")]
        ]
        return page(
            "mine.html.j2",
            found.plan,
            f"{found.plan.campaign.name}·我的事项",
            reader=_reader(found.plan, found.grant.recipient),
            today=cn_date(found.today),
            lines=[line for _, line in lines],
            groups=[(title, rows) for title, rows in groups if rows],
        )

    return app


def page(template: str, plan: Plan | None, heading: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    organ = (getattr(plan.campaign, "sender", None) or plan.campaign.name) if plan else ""
    html = TEMPLATES.get_template(template).render(organ=organ, heading=heading, **context)
    return HTMLResponse(html, status_code=status)


def refused(message: str = "链接无效或已过期，未作任何处理。", *, status: int = 403) -> HTMLResponse:
    return page("refused.html.j2", None, "督办事项办理", status=status, message=message)


def _reader(plan: Plan, email: str) -> str:
    people = [(c.contact, c.name) for c in plan.communities] + [(c.head, c.name) for c in plan.communities]
    people += [(o.liaison, o.name) for o in plan.offices] + [(o.head, o.name) for o in plan.offices]
    people += [(plan.leading_group.office_director, "领导小组办公室"), (plan.leading_group.leader, "领导小组")]
    return next((f"{unit}{p.name}" for p, unit in people if p.email.lower() == email.lower()), "您好")
