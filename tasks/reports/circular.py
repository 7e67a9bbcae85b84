"""The monthly 通报 (circular): read where the campaign stands, render it as 公文, queue it, publish it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from fractions import Fraction
from typing import Any

from sqlmodel import Session, select

from models import tables
from models.mail import TEMPLATES, letter, percent
from models.plan import Plan
from models.reports.circular import Circular, Ranked, build_circular
from models.vocabulary import UnitKind, address_key, ref_of
from tasks.db import insert_ignoring_duplicates
from tasks.mail import outbox_row
from tasks.reports.charts import cjk_family, numbered, render_png
from tasks.reports.status import status

CIRCULAR = "campaign-circular"  # the outbox's phase for these e-mails, and the flow's name


def circular_data(session: Session, plan: Plan, day: date) -> Circular:
    rows = list(session.exec(select(tables.Assignment).where(tables.Assignment.campaign_id == plan.campaign.id)))
    standards_items = {i.id for _, i in plan.items() if i.kind == "standards"}
    # communities that must meet the 16 standards by now: those a standards item was assigned to
    bound = {ref_of(a.assignee) for a in rows if a.item_id in standards_items and a.assigned_on <= day}
    highlights = session.exec(select(tables.Highlight).where(tables.Highlight.campaign_id == plan.campaign.id))
    return build_circular(plan, rows, status(session, plan, day), bound, list(highlights))


def recipients(plan: Plan) -> list[tuple[str, str]]:
    """(name, address): the leader, the leading group office, every member office's head and liaison; each
    address once, named as its highest holder."""
    seen: dict[str, tuple[str, str]] = {}
    for seat in plan.people():
        if seat.unit is None or seat.unit.kind is UnitKind.OFFICE:
            seen.setdefault(address_key(seat.person.email), (seat.person.name, seat.person.email))
    return list(seen.values())


def _context(circular: Circular, legend: list[tuple[str, str]]) -> dict[str, Any]:
    everyone = [r.tally for r in circular.offices + circular.communities]
    total = sum(t.duties for t in everyone)
    return {
        "c": circular,
        "overall": Fraction(circular.on_time, total) if total else None,
        "legend": legend,
    }


def render(circular: Circular, template: str, legend: list[tuple[str, str]] | None = None) -> str:
    return TEMPLATES.get_template(template).render(_context(circular, legend or []))


def circular_chart(circular: Circular) -> tuple[bytes, list[tuple[str, str]]]:
    """On-time rates, offices and communities, best first; with no CJK font the bars are numbered and the
    legend (number, name) goes into the HTML instead."""
    family = cjk_family()
    panels = [("各成员单位按时办结率", circular.offices), ("各社区按时办结率", circular.communities)]
    legend: list[tuple[str, str]] = []

    def draw(figure: Any, family: str | None) -> None:
        heights = [max(len(rows), 1) for _, rows in panels]
        axes_pair = figure.subplots(2, 1, gridspec_kw={"height_ratios": heights})
        offset = 0
        for axes, (title, rows) in zip(axes_pair, panels, strict=True):
            labels = numbered((r.tally.name for r in rows), family)
            if not family:
                labels = [str(offset + int(n)) for n in labels]
                legend.extend((label, r.tally.name) for label, r in zip(labels, rows, strict=True))
                offset += len(rows)
            _bars(axes, rows, labels, family)
            if family:
                axes.set_title(title, fontsize=10)

    rows = len(circular.offices) + len(circular.communities)
    png = render_png(draw, size=(7, 1.6 + 0.26 * rows), family=family)
    return png, legend


def _bars(axes: Any, rows: list[Ranked], labels: list[str], family: str | None) -> None:
    positions = list(range(len(rows)))[::-1]
    values = [float(r.tally.rate or 0) * 100 for r in rows]
    colours = ["#1a7f37" if v >= 100 else "#bf8700" if v >= 60 else "#cf222e" for v in values]
    axes.barh(positions, values, color=colours)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.set_xlim(0, 118)
    for y, row, value in zip(positions, rows, values, strict=True):
        text = percent(row.tally.rate) if row.tally.rate is not None else ("无应办事项" if family else "-")
        axes.text(value + 1, y, text, va="center", fontsize=7)
    axes.set_xticks([0, 20, 40, 60, 80, 100], ["0", "20%", "40%", "60%", "80%", "100%"], fontsize=8)
    axes.grid(axis="x", alpha=0.3)


@dataclass(frozen=True)
class Rendered:
    """The circular's text, HTML and chart: rendered once, sent to every recipient."""

    text: str
    html: str
    chart: bytes


def rendered(circular: Circular) -> Rendered:
    png, legend = circular_chart(circular)
    return Rendered(render(circular, "circular.txt.j2"), render(circular, "circular.html.j2", legend), png)


def circular_message(
    plan: Plan, circular: Circular, body: Rendered, to: tuple[str, str], *, mail_from: str
) -> EmailMessage:
    """One recipient's copy, in the leading group office's name, the chart inline."""
    name, address = to
    month = f"{circular.day.year}-{circular.day.month:02d}"
    at = plan.campaign.at(circular.day)
    message = letter(
        plan,
        subject=f"【通报】关于{circular.campaign}{circular.month}工作进展情况的通报",
        to=(address, name),
        at=at,
        # one circular a month: the key has the month, not the day, so a second run that month changes nothing
        key=f"{plan.campaign.id}/{CIRCULAR}/{month}/{address}",
        mail_from=mail_from,
    )
    message.set_content(body.text)
    message.add_alternative(body.html, subtype="html")
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(body.chart, maintype="image", subtype="png", cid="<chart>")
    return message


def store_circular(session: Session, plan: Plan, day: date, *, mail_from: str) -> int:
    """Queue this month's circular to every recipient once; returns how many e-mails were new."""
    circular = circular_data(session, plan, day)
    body = rendered(circular)
    rows = [
        outbox_row(
            plan.campaign.id, CIRCULAR, day, to[1], circular_message(plan, circular, body, to, mail_from=mail_from), []
        )
        for to in recipients(plan)
    ]
    return insert_ignoring_duplicates(session, tables.Outbox, rows, ["message_id"])


def circular_markdown(session: Session, plan: Plan, day: date) -> str:
    """The same circular as a Prefect markdown artifact."""
    return render(circular_data(session, plan, day), "circular.md.j2")
