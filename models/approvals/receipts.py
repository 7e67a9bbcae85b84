"""The desk's e-mails (SPEC §7): a receipt of a decision to the requester, and a notice when nobody decided.

Plain text in 公文 wording: no identifiers, English words or ISO dates; dates as 2022年1月31日.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Literal

from models.mail import cn_date, letter, one_line, salutation, sender
from models.plan import Plan

Kind = Literal["claim", "extension"]
Outcome = Literal["approved", "rejected", "timed-out"]
KIND_TEXT: dict[Kind, str] = {"claim": "办结申报", "extension": "延期申请"}


@dataclass(frozen=True)
class Request:
    """A claim or extension request as the e-mails speak of it."""

    campaign_id: str
    kind: Kind
    id: int
    item_title: str
    assignee_name: str
    filed_on: date
    due: date  # the due day when it was filed
    new_due: date | None  # extensions: the day asked for
    text: str  # the note (claims) or the reason (extensions)


def receipt(
    plan: Plan,
    request: Request,
    to: tuple[str, str],
    *,
    approved: bool,
    comment: str,
    decided_by: str,
    at: datetime,
    mail_from: str,
) -> EmailMessage:
    """回执: the decision on the request, to whoever filed it (`to` is their e-mail and name)."""
    what = KIND_TEXT[request.kind]
    if request.kind == "claim":
        result = "经审核，予以确认，该事项已办结。" if approved else "经审核，未予确认，请继续办理并按时限办结。"
    elif approved and request.new_due is not None:
        result = f"经审核，同意延期至{cn_date(request.new_due)}，请在新的完成时限前办结。"
    else:
        result = f"经审核，不同意延期，原完成时限{cn_date(request.due)}不变，请抓紧办理。"
    lines = [
        f"{salutation(to[1], None, None)}：",
        "",
        f"　　{request.assignee_name}于{cn_date(request.filed_on)}提交的“{request.item_title}”{what}，{result}",
    ]
    if comment.strip():
        lines.append(f"　　审核意见：{one_line(comment)}")
    lines += [f"　　审核人：{one_line(decided_by) or '领导小组办公室'}", ""]
    subject = f"【回执】关于“{request.item_title}”{what}的审核结果"
    key = f"{request.campaign_id}/desk/{request.kind}-{request.id}/{'approved' if approved else 'rejected'}"
    return _message(plan, subject, lines, to, at, key, mail_from)


def withdrawn_notice(
    plan: Plan, request: Request, to: tuple[str, str], *, at: datetime, mail_from: str
) -> EmailMessage:
    """The extension request no longer decided: the item was confirmed done while it waited (SPEC §7)."""
    lines = [
        f"{salutation(to[1], None, None)}：",
        "",
        f"　　{request.assignee_name}于{cn_date(request.filed_on)}提交的“{request.item_title}”延期申请，"
        "因该事项的办结申报已审核确认，不再审核，予以撤回。",
        "",
    ]
    subject = f"【回执】关于“{request.item_title}”延期申请的撤回"
    key = f"{request.campaign_id}/desk/{request.kind}-{request.id}/withdrawn"
    return _message(plan, subject, lines, to, at, key, mail_from)


def review_notice(
    plan: Plan,
    request: Request,
    to: tuple[str, str],
    *,
    links: tuple[str, str] | None,
    at: datetime,
    mail_from: str,
    files: Sequence[tuple[str, str | None]] = (),
) -> EmailMessage:
    """待审核: to each person entitled to decide, with the signed 同意 / 退回 links of the desk when it is served
    (`to` is their address and salutation); the first decision, from the links or the Prefect UI, wins. A claim's
    `files` (SPEC §8) are listed with their download links, signed for this reader."""
    what = KIND_TEXT[request.kind]
    asked = f"，申请将完成时限由{cn_date(request.due)}延至{cn_date(request.new_due)}" if request.new_due else ""
    lines = [
        f"{to[1]}：",
        "",
        f"　　{request.assignee_name}于{cn_date(request.filed_on)}提交“{request.item_title}”{what}{asked}，请审核。",
        f"　　申请说明：{one_line(request.text) or '（无）'}",
    ]
    if files:
        lines.append("　　报送材料：")
        lines += [f"　　　　{text}" + (f"　下载：{url}" if url else "") for text, url in files]
    if links:
        lines += [f"　　同意：{links[0]}", f"　　退回（须填写审核意见）：{links[1]}"]
    lines += ["　　也可在审核平台的待审核事项中办理；以最先作出的审核意见为准。", ""]
    subject = f"【待审核】“{request.item_title}”{what}（{request.assignee_name}）"
    key = f"{request.campaign_id}/desk/{request.kind}-{request.id}/review/{to[0]}"
    return _message(plan, subject, lines, (to[0], to[1]), at, key, mail_from)


def waiting_notice(plan: Plan, request: Request, *, waited_days: int, at: datetime, mail_from: str) -> EmailMessage:
    """A request nobody decided within the window: to the leading group office, which coordinates it."""
    director = plan.leading_group.office_director
    what = KIND_TEXT[request.kind]
    asked = f"，申请延期至{cn_date(request.new_due)}" if request.kind == "extension" and request.new_due else ""
    lines = [
        f"{salutation(director.name, director.title, director.salutation)}：",
        "",
        f"　　{request.assignee_name}于{cn_date(request.filed_on)}提交的“{request.item_title}”{what}{asked}，"
        f"已逾{waited_days}个工作日未审核，请协调有关科室尽快审核办理。",
        f"　　申请说明：{one_line(request.text)}",
        "　　审核前该申请仍在待审核事项中列示。",
        "",
    ]
    subject = f"【待审核】“{request.item_title}”{what}逾期未审核"
    key = f"{request.campaign_id}/desk/{request.kind}-{request.id}/timed-out"
    return _message(plan, subject, lines, (director.email, director.name), at, key, mail_from)


def _message(
    plan: Plan, subject: str, lines: list[str], to: tuple[str, str], at: datetime, key: str, mail_from: str
) -> EmailMessage:
    """`at` is when it is written (aware); the letter is dated that day in the campaign's timezone."""
    local = plan.campaign.local(at)
    lines += [sender(plan), cn_date(local.date())]
    message = letter(plan, subject=subject, to=to, at=local, key=key, mail_from=mail_from)
    message.set_content("\n".join(lines) + "\n")
    return message
