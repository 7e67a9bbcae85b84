"""The desk's pages from its templates: an item with its one form, 我的事项, and the refusal page."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

from deployments.desk.access import ItemLink, PageLink
from deployments.desk.deps import LINK_REFUSED
from deployments.desk.files_view import Field, RoundLine, SubmissionForm
from models.desk.pages import ACTION_TEXT, DeskLine, desk_links
from models.desk.readers import Reader, Relation
from models.desk.tokens import Action, Grant, form_mac, sign
from models.mail import cn_date
from models.plan import Plan

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("deployments.desk", "templates"), autoescape=True)
BUTTON = {"ack": "签收", "claim": "提交办结申报", "extend": "提交延期申请"}


def page(template: str, plan: Plan | None, heading: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    organ = (getattr(plan.campaign, "sender", None) or plan.campaign.name) if plan else ""
    html = TEMPLATES.get_template(template).render(organ=organ, heading=heading, **context)
    return HTMLResponse(html, status_code=status)


def refused(message: str = LINK_REFUSED, *, status: int = 403) -> HTMLResponse:
    return page("refused.html.j2", None, "督办事项办理", status=status, message=message)


@dataclass(frozen=True)
class Materials:
    """A claim form's upload fields and the item's rounds so far (SPEC §8)."""

    fields: list[Field] = dataclass_field(default_factory=list)
    history: list[RoundLine] = dataclass_field(default_factory=list)
    max_mb: int = 50


def item_page(
    secret: bytes,
    link: ItemLink,
    line: DeskLine,
    token: str,
    message: str = "",
    kind: str = "done",
    materials: Materials = Materials(),
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The item, and its form while it is open and nothing was just done (a warning keeps the form)."""
    a, action, plan = link.assignment, link.grant.action, link.plan
    open_ = a.completed_on is None
    if not open_ and not message:
        message, kind = "该事项已办结，无需再办理。", "done"
    return page(
        "item.html.j2",
        plan,
        f"{plan.campaign.name}·{ACTION_TEXT[action]}",
        line=line,
        action=action,
        form=open_ and not (message and kind == "done"),
        token=token,
        mac=form_mac(secret, token),
        action_path=f"/a/{token}",
        mine_path=mine_path(secret, link.grant),
        button=BUTTON.get(action, ""),
        min_due=(a.due + timedelta(days=1)).isoformat(),
        max_due=plan.campaign.end.isoformat(),
        message=message,
        message_kind=kind,
        fields=materials.fields if action == "claim" else [],
        history=materials.history,
        max_mb=materials.max_mb,
        typed=typed or {},  # a refused form keeps what was typed
    )


def mine_path(secret: bytes, grant: Grant) -> str:
    """The reader's 我的事项, signed for them until the same day as the link they came by."""
    mine = Grant(grant.campaign, 0, grant.recipient, "mine", grant.expires)
    return f"/me/{sign(secret, mine)}"


def mine_page(
    secret: bytes,
    link: PageLink,
    lines: list[tuple[Relation, DeskLine]],
    *,
    token: str,
    submissions: list[SubmissionForm] | None = None,
    message: tuple[str, str] = ("", ""),
    typed: dict[str, str] | None = None,
    max_mb: int = 50,
) -> HTMLResponse:
    """我的事项: what the reader owns, supervises and (the leading group) oversees, in that order; each owned
    item with its 签收 / 申报办结 / 申请延期 buttons; then the submission items (亮点信息) they may hand in."""
    groups = [(f"{wanted.zh}事项", [line for relation, line in lines if relation is wanted]) for wanted in Relation]
    grant = link.grant
    buttons = {
        line.assignment_id: _buttons(secret, grant, line) for relation, line in lines if relation is Relation.OWNER
    }
    return page(
        "mine.html.j2",
        link.plan,
        f"{link.plan.campaign.name}·我的事项",
        reader=Reader.of(link.plan, link.grant.recipient).greeting,
        today=cn_date(link.today),
        lines=[line for _, line in lines],
        groups=[(title, rows) for title, rows in groups if rows],
        submissions=submissions or [],
        token=token,
        mac=form_mac(secret, token),
        message=message[0],
        message_kind=message[1],
        typed=typed or {},
        max_mb=max_mb,
        buttons=buttons,
    )


def _buttons(secret: bytes, grant: Grant, line: DeskLine) -> list[tuple[str, str]]:
    """(text, path) of the actions the owner may take on the line's item, signed for them."""
    paths = desk_links("", secret, grant.campaign, line.assignment_id, grant.recipient, grant.expires)
    actions: list[Action] = ["ack", "claim", "extend"] if line.claimable else ["ack", "extend"]
    return [(ACTION_TEXT[action], paths[action]) for action in actions]
