"""`greencomm status` on a terminal: rich tables in Chinese."""

from __future__ import annotations

import unicodedata

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.plan import Plan
from models.standing import DeadLetter, Mark3, Overdue, Standing, TargetLine

MARKS = {"met": "[green]✓[/]", "unmet": "[red]✗[/]", "none": "[dim]·[/]"}


def plain(value: object) -> str:
    """Plan-supplied text as it reads: never Rich markup, never a terminal control sequence (ESC, BEL, CSI…)."""
    text = "".join(c for c in str(value) if unicodedata.category(c) != "Cc")
    return escape(text)


def show_status(plan: Plan, data: Standing) -> None:
    console = Console()
    counts = data.assignments
    console.print(
        f"[bold]{plain(plan.campaign.name)}[/] · {data.as_of} · 任务 {counts.total} 项，"
        f"已完成 {counts.completed}，未完成 {counts.open}，逾期 {len(data.overdue)}"
    )
    console.print(_targets(data.targets))
    if data.overdue:
        console.print(_overdue(data.overdue))
    console.print(_matrix(plan, data.standards))
    if data.undeliverable:
        console.print(_dead_letters(data.undeliverable))


def _targets(targets: list[TargetLine]) -> Table:
    table = Table("目标", "截止", "要求", "达成", "结果", title="创建目标")
    for t in targets:
        table.add_row(*map(plain, (t.id, t.by, t.required, t.achieved, t.label)))
    return table


def _overdue(rows: list[Overdue]) -> Table:
    table = Table("事项", "责任单位", "截止", "逾期工作日", title="逾期事项")
    for row in rows:
        table.add_row(*map(plain, (row.title, row.name, row.due, row.overdue_days)))
    return table


def _matrix(plan: Plan, matrix: dict[str, dict[str, Mark3]]) -> Table:
    table = Table("社区", *[plain(s.id) for s in plan.standards], title="创建标准（✓ 达标 ✗ 未达标 · 未评估）")
    names = {c.id: c.name for c in plan.communities}
    for community, marks in matrix.items():
        table.add_row(plain(names[community]), *[MARKS[marks[str(s.id)]] for s in plan.standards])
    return table


def _dead_letters(rows: list[DeadLetter]) -> Table:
    table = Table("日期", "收件人", "Message-ID", "原因", title="无法投递的邮件（greencomm resend 重发）")
    for row in rows:
        table.add_row(*map(plain, (row.day, row.to, row.message_id, row.error)))
    return table
