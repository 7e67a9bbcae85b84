"""`greencomm status` on a terminal: rich tables in Chinese."""

from __future__ import annotations

import unicodedata
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.plan import Plan

MARKS = {"met": "[green]✓[/]", "unmet": "[red]✗[/]", "none": "[dim]·[/]"}


def plain(value: object) -> str:
    """Plan-supplied text as it reads: never Rich markup, never a terminal control sequence (ESC, BEL, CSI…)."""
    text = "".join(c for c in str(value) if unicodedata.category(c) != "Cc")
    return escape(text)


def show_status(plan: Plan, data: dict[str, Any]) -> None:
    console = Console()
    counts = data["assignments"]
    console.print(
        f"[bold]{plain(plan.campaign.name)}[/] · {plain(data['as_of'])} · 任务 {counts['total']} 项，"
        f"已完成 {counts['completed']}，未完成 {counts['open']}，逾期 {len(data['overdue'])}"
    )
    console.print(_targets(data["targets"]))
    if data["overdue"]:
        console.print(_overdue(data["overdue"]))
    console.print(_matrix(plan, data["standards"]))


def _targets(targets: list[dict[str, Any]]) -> Table:
    table = Table("目标", "截止", "要求", "达成", "结果", title="创建目标")
    for t in targets:
        table.add_row(*map(plain, (t["id"], t["by"], t["required"], t["achieved"], t["label"])))
    return table


def _overdue(rows: list[dict[str, Any]]) -> Table:
    table = Table("事项", "责任单位", "截止", "逾期工作日", title="逾期事项")
    for row in rows:
        table.add_row(*map(plain, (row["title"], row["name"], row["due"], row["overdue_days"])))
    return table


def _matrix(plan: Plan, matrix: dict[str, dict[str, str]]) -> Table:
    table = Table("社区", *[plain(s.id) for s in plan.standards], title="创建标准（✓ 达标 ✗ 未达标 · 未评估）")
    names = {c.id: c.name for c in plan.communities}
    for community, marks in matrix.items():
        table.add_row(plain(names[community]), *[MARKS[marks[str(s.id)]] for s in plan.standards])
    return table
