"""The weekly campaign report: targets against their line over the weeks, what is overdue, what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.engine import labels_of, target_result
from models.mail import TEMPLATES, cn_date, letter, sender, target_title
from models.plan import Plan
from models.reports.standing import overdue_by_community
from tasks.db import insert_ignoring_duplicates
from tasks.engine import target_inputs
from tasks.mail import outbox_row
from tasks.reports.charts import cjk_family, numbered, render_png
from tasks.reports.status import status

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class TargetSeries:
    id: str
    by: date
    line: float  # the required share
    days: list[date]
    shares: list[float]
    name: str = ""  # how the chart's legend calls it


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
        TargetSeries(
            t.id,
            t.by,
            t.min_share,
            days,
            [target_result(plan, t, inputs, d).achieved / total for d in days],
            target_title(t),
        )
        for t in plan.targets
    ]


def chart_png(series: list[TargetSeries]) -> bytes:
    """A line per target with its required share dashed: people would rather look than read.

    Chinese labels with the CJK font `make fonts` installs; without one, the legend reads 1, 2, … in the
    order of the targets table under the chart."""
    family = cjk_family()

    def draw(figure: Any, family: str | None) -> None:
        from matplotlib.ticker import FuncFormatter

        axes = figure.subplots()
        for s, label in zip(series, numbered((s.name or s.id for s in series), family), strict=True):
            percent = [v * 100 for v in s.shares]
            (line,) = axes.plot(s.days, percent, marker="o", markersize=3, label=label)
            axes.axhline(s.line * 100, linestyle="--", linewidth=1, color=line.get_color())
            axes.axvline(s.by, linestyle=":", linewidth=1, color=line.get_color())
        if family:
            axes.set_ylabel("达标社区占比（%）")
            axes.xaxis.set_major_formatter(FuncFormatter(_month_label))
        axes.set_ylim(0, 100)
        axes.legend(loc="upper left", fontsize=8)
        axes.grid(alpha=0.3)
        figure.autofmt_xdate()

    return render_png(draw, size=(7, 3.2), family=family)


def chart_legend(series: list[TargetSeries]) -> list[tuple[str, str]]:
    """(number, name) of each line when the chart could not be labelled in Chinese; empty when it was."""
    return [] if cjk_family() else [(str(n), s.name or s.id) for n, s in enumerate(series, start=1)]


def _month_label(value: float, _position: int | None = None) -> str:
    from matplotlib.dates import num2date

    day = num2date(value)  # type: ignore[no-untyped-call]
    return f"{day.year}年{day.month}月{day.day}日"


def changes_since(session: Session, plan: Plan, day: date) -> dict[str, Any]:
    """What happened in the week up to `day`: completions, new list members, assessments, notices, highlights."""
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
    highlights = session.exec(
        select(tables.Highlight)
        .where(tables.Highlight.campaign_id == cid, tables.Highlight.day > since, tables.Highlight.day <= day)
        .order_by(col(tables.Highlight.day), col(tables.Highlight.id))
    ).all()
    return {
        "highlights": [(h.assignee, h.title) for h in highlights],  # 信息报送 (SPEC §8)
        "completed": [(a.item_id, a.assignee) for a in done],
        "joined": [(m.list_id, m.community_id) for m in joined],
        "assessments": len(assessed),
        "notices": len(notices),
    }


def report_message(session: Session, plan: Plan, day: date, *, mail_from: str) -> EmailMessage:
    """The weekly e-mail to the leading group office, with the chart as an inline image."""
    data = status(session, plan, day)
    director = plan.leading_group.office_director
    series = target_series(session, plan, day)
    context = {
        "by_community": overdue_by_community(data.overdue),
        "titles": {i.id: i.label for _, i in plan.items()},
        "plan": plan,
        "day": day,
        "data": data,
        "changes": changes_since(session, plan, day),
        "names": labels_of(plan),
        "target_names": {t.id: target_title(t) for t in plan.targets},
        "sender": sender(plan),
        "chart_legend": chart_legend(series),
    }
    message = letter(
        plan,
        subject=f"【周报】{plan.campaign.name}（截至{cn_date(day)}）",
        to=(director.email, director.name),
        at=plan.campaign.at(day),
        key=f"{plan.campaign.id}/campaign-report/{day}",
        mail_from=mail_from,
    )
    message.set_content(TEMPLATES.get_template("weekly.txt.j2").render(**context))
    message.add_alternative(TEMPLATES.get_template("weekly.html.j2").render(**context), subtype="html")
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(chart_png(series), maintype="image", subtype="png", cid="<chart>")
    return message


REPORT = "campaign-report"


def store_report(session: Session, plan: Plan, day: date, *, mail_from: str) -> bool:
    """Put this week's report in the outbox once (its Message-ID is unique per day); False if already there."""
    message = report_message(session, plan, day, mail_from=mail_from)
    row = outbox_row(plan.campaign.id, REPORT, day, plan.leading_group.office_director.email, message, [])
    return insert_ignoring_duplicates(session, tables.Outbox, [row], ["message_id"]) > 0
