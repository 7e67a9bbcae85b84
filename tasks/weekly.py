"""The weekly campaign report: targets against their line over the weeks, what is overdue, what changed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models import tables
from models.mail import TEMPLATES, cn_date, message_id
from models.plan import Plan
from models.rules import labels_of
from models.standing import overdue_by_community
from models.targets import target_result
from models.wording import percent, sender
from tasks.escalate import target_inputs
from tasks.outbox import outbox_row
from tasks.status import status
from tasks.work import insert_ignoring_duplicates

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class TargetSeries:
    id: str
    by: date
    line: float  # the required share
    days: list[date]
    shares: list[float]


def target_series(session: Session, plan: Plan, day: date) -> list[TargetSeries]:
    """Each target's achieved share at the end of every week from the campaign start to `day`."""
    total = max(len(plan.communities), 1)
    days, current = [], plan.start
    while current <= day:
        days.append(current)
        current += WEEK
    if days[-1:] != [day]:
        days.append(day)
    inputs = target_inputs(session, plan)
    return [
        TargetSeries(t.id, t.by, t.min_share, days, [target_result(plan, t, inputs, d).achieved / total for d in days])
        for t in plan.targets
    ]


def chart_png(series: list[TargetSeries]) -> bytes:
    """A line per target with its required share dashed: people would rather look than read."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 3.2), dpi=110)
    for s in series:
        percent = [v * 100 for v in s.shares]
        (line,) = axes.plot(s.days, percent, marker="o", markersize=3, label=s.id)  # type: ignore[arg-type]
        axes.axhline(s.line * 100, linestyle="--", linewidth=1, color=line.get_color())
        axes.axvline(s.by, linestyle=":", linewidth=1, color=line.get_color())  # type: ignore[arg-type]
    axes.set_ylabel("% of communities")
    axes.set_ylim(0, 100)
    axes.legend(loc="upper left", fontsize=8)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    pyplot.close(figure)
    return buffer.getvalue()


def changes_since(session: Session, plan: Plan, day: date) -> dict[str, Any]:
    """What happened in the week up to `day`: completions, new list members, assessments, notices."""
    since, cid = day - WEEK, plan.campaign.id
    done = session.exec(
        select(tables.Assignment).where(
            tables.Assignment.campaign_id == cid,
            col(tables.Assignment.completed_on) > since,
            col(tables.Assignment.completed_on) <= day,
        )
    ).all()
    joined = session.exec(
        select(tables.ListMember).where(
            tables.ListMember.campaign_id == cid,
            tables.ListMember.since > since,
            tables.ListMember.since <= day,
        )
    ).all()
    assessed = session.exec(
        select(tables.Assessment).where(
            tables.Assessment.campaign_id == cid, tables.Assessment.day > since, tables.Assessment.day <= day
        )
    ).all()
    notices = session.exec(
        select(tables.Notice).where(
            tables.Notice.campaign_id == cid, tables.Notice.day > since, tables.Notice.day <= day
        )
    ).all()
    return {
        "completed": [(a.item_id, a.assignee) for a in done],
        "joined": [(m.list_id, m.community_id) for m in joined],
        "assessments": len(assessed),
        "notices": len(notices),
    }


def report_message(session: Session, plan: Plan, day: date, *, mail_from: str) -> EmailMessage:
    """The weekly e-mail to the leading group office, with the chart as an inline image."""
    data = status(session, plan, day)
    director = plan.leading_group.office_director
    context = {
        "by_community": overdue_by_community(data.overdue),
        "titles": {i.id: i.label for _, i in plan.items()},
        "plan": plan,
        "day": day,
        "data": data,
        "changes": changes_since(session, plan, day),
        "names": labels_of(plan),
        "target_names": {t.id: t.name or f"{percent(t.min_share)}以上的社区达到创建要求" for t in plan.targets},
        "sender": sender(plan),
    }
    message = EmailMessage()
    message["Subject"] = f"【周报】{plan.campaign.name}（截至{cn_date(day)}）"
    message["From"] = Address(sender(plan), addr_spec=parseaddr(mail_from)[1] or mail_from)
    message["To"] = Address(director.name, addr_spec=director.email)
    message["Date"] = format_datetime(datetime.combine(day, plan.campaign.run_time, ZoneInfo(plan.campaign.timezone)))
    message["Message-ID"] = message_id(f"{plan.campaign.id}/campaign-report/{day}", mail_from.rpartition("@")[2])
    message.set_content(TEMPLATES.get_template("weekly.txt.j2").render(**context))
    message.add_alternative(TEMPLATES.get_template("weekly.html.j2").render(**context), subtype="html")
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(chart_png(target_series(session, plan, day)), maintype="image", subtype="png", cid="<chart>")
    return message


REPORT = "campaign-report"


def store_report(session: Session, plan: Plan, day: date, *, mail_from: str) -> bool:
    """Put this week's report in the outbox once (its Message-ID is unique per day); False if already there."""
    message = report_message(session, plan, day, mail_from=mail_from)
    row = outbox_row(plan.campaign.id, REPORT, day, plan.leading_group.office_director.email, message, [])
    return insert_ignoring_duplicates(session, tables.Outbox, [row], ["message_id"]) > 0
