"""`greencomm status` on a terminal: rich tables in Chinese."""

from __future__ import annotations

import unicodedata

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.intake import Triage
from models.mail import target_title
from models.plan import Plan
from models.reports.standing import Answer, DeadLetter, Mark3, Overdue, Standing, TargetLine

MARKS = {"met": "[green]✓[/]", "unmet": "[red]✗[/]", "none": "[dim]·[/]"}


def plain(value: object) -> str:
    """Plan-supplied text as it reads: never Rich markup, never a terminal control sequence (ESC, BEL, CSI…)."""
    text = "".join(c for c in str(value) if unicodedata.category(c) != "Cc")
    return escape(text)


def show_status(plan: Plan, data: Standing, rest_day: str | None = None) -> None:
    """`rest_day`: on a rest day, the line saying when notices go out."""
    console = Console()
    counts = data.assignments
    console.print(
        f"[bold]{plain(plan.campaign.name)}[/] · {data.as_of} · 任务 {counts.total} 项，"
        f"已完成 {counts.completed}，未完成 {counts.open}，逾期 {len(data.overdue)}"
    )
    if rest_day:
        console.print(f"[yellow]{plain(rest_day)}[/]")
    console.print(_targets(plan, data.targets))
    if data.overdue:
        console.print(_overdue(data.overdue))
    if data.answers:
        console.print(_answers(data.answers))
    console.print(_matrix(plan, data.standards))
    if data.undeliverable:
        console.print(_dead_letters(data.undeliverable))
    if data.triage:
        console.print(_triage(data.triage))


def _table(*headers: str, title: str, padding: int = 1) -> Table:
    """A table whose cells wrap when the terminal is narrow: a name is never cut to "示例…"."""
    table = Table(*headers, title=title, padding=(0, padding))
    for column in table.columns:
        column.overflow = "fold"
    return table


def _targets(plan: Plan, targets: list[TargetLine]) -> Table:
    table = _table("目标", "截止", "要求", "达成", "结果", title="创建目标")
    names = {t.id: target_title(t) for t in plan.targets}
    for t in targets:
        table.add_row(*map(plain, (names.get(t.id, t.id), t.by, t.required, t.achieved, t.label)))
    return table


def _overdue(rows: list[Overdue]) -> Table:
    table = _table("事项", "责任单位", "截止", "逾期工作日", "办理情况", title="逾期事项")
    for row in rows:
        table.add_row(*map(plain, (row.title, row.name, row.due, row.overdue_days, row.answer)))
    return table


def _answers(rows: list[Answer]) -> Table:
    table = _table("事项", "责任单位", "办理情况", title="办理台：签收与待审核的申报、延期申请")
    for row in rows:
        table.add_row(*map(plain, (row.title, row.name, row.text)))
    return table


def _matrix(plan: Plan, matrix: dict[str, dict[str, Mark3]]) -> Table:
    table = _table(
        "社区", *[plain(s.id) for s in plan.standards], title="创建标准（✓ 达标 ✗ 未达标 · 未评估）", padding=0
    )  # unpadded mark columns leave the names room to wrap onto a line or two
    names = {c.id: c.name for c in plan.communities}
    for community, marks in matrix.items():
        table.add_row(plain(names[community]), *[MARKS[marks[str(s.id)]] for s in plan.standards])
    return table


def _dead_letters(rows: list[DeadLetter]) -> Table:
    table = _table("日期", "收件人", "Message-ID", "原因", title="无法投递的邮件（greencomm resend 重发）")
    for row in rows:
        table.add_row(*map(plain, (row.day, row.to, row.message_id, row.error)))
    return table


def _triage(rows: list[Triage]) -> Table:
    title = "邮箱待分拣（greencomm intake assign 编号 事项 --for 单位 / intake ignore 编号）"
    table = _table("编号", "发件人", "主题", "日期", "附件", "原因", title=title)
    for row in rows:
        table.add_row(*map(plain, (row.uid, row.sender, row.subject, row.date, row.attachments, row.reason)))
    return table
