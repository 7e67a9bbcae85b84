"""What a supervisor sees on a phase run: artifacts with stable keys (the Artifacts page shows the latest)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from sqlmodel import Session, select

from models import tables
from models.plan import Plan
from models.rules import labels_of
from models.standing import DeadLetter, Standing
from tasks.status import status

MARK_TEXT = {"met": "✅ 达标", "unmet": "❌ 未达标", "none": "— 未评估"}


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys: lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


def publish(session: Session, plan: Plan, phase_id: str, day: date, summary: dict[str, Any]) -> None:
    """The run's summary, targets, standards matrix, notices and overdue work as Prefect artifacts."""
    data = status(session, plan, day)
    notices = run_notices(session, plan, phase_id, day)
    key = artifact_key(plan.campaign.id, phase_id)
    create_markdown_artifact(
        summary_markdown(plan, phase_id, day, summary, data), key=f"{key}-summary", description="本次运行摘要"
    )
    create_table_artifact(target_rows(data), key=f"{key}-targets", description="创建目标进度")
    create_table_artifact(matrix_rows(plan, data), key=f"{key}-standards", description="社区 × 16 项创建标准")
    create_table_artifact(
        notices or [{"说明": "本次运行没有新的通知"}], key=f"{key}-notices", description="本次运行的通知"
    )
    create_table_artifact(
        overdue_by_office(data) or [{"说明": "没有逾期事项"}],
        key=f"{key}-overdue",
        description="逾期事项（按责任单位）",
    )
    create_table_artifact(dead_letter_table(data.undeliverable), key=f"{key}-undeliverable", description=DEAD)


DEAD = "无法投递的邮件（greencomm resend 重发）"


def dead_letter_table(rows: list[DeadLetter]) -> list[dict[str, Any]]:
    """Dead letters as a table (the deliver task republishes it when a run gives an e-mail up)."""
    return [
        {"日期": r.day.isoformat(), "阶段": r.phase, "收件人": r.to, "Message-ID": r.message_id, "原因": r.error}
        for r in rows
    ] or [{"说明": "没有无法投递的邮件"}]


def run_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[dict[str, Any]]:
    labels = labels_of(plan)
    rows = session.exec(
        select(tables.Notice).where(
            tables.Notice.campaign_id == plan.campaign.id,
            tables.Notice.phase_id == phase_id,
            tables.Notice.day == day,
        )
    )
    return [
        {
            "收件人": ", ".join(n.recipients),
            "事项": n.item_id,
            "责任单位": labels.get(n.assignee or "", "全街道"),
            "阶段": n.stage,
            "轮次": n.cycle,
        }
        for n in rows
    ]


def target_rows(data: Standing) -> list[dict[str, Any]]:
    return [
        {"目标": t.id, "截止": t.by.isoformat(), "要求社区数": t.required, "已达成": t.achieved, "结果": t.label}
        for t in data.targets
    ]


def matrix_rows(plan: Plan, data: Standing) -> list[dict[str, Any]]:
    names = {c.id: c.name for c in plan.communities}
    return [
        {"社区": names[c]} | {f"标准{s}": MARK_TEXT[mark] for s, mark in marks.items()}
        for c, marks in data.standards.items()
    ]


def overdue_by_office(data: Standing) -> list[dict[str, Any]]:
    """Overdue items under the office that owns or supervises them."""
    rows = [
        {
            "督导/责任科室": late.office,
            "事项": late.title,
            "责任单位": late.name,
            "截止": late.due.isoformat(),
            "逾期工作日": late.overdue_days,
        }
        for late in data.overdue
    ]
    return sorted(rows, key=lambda r: (r["督导/责任科室"], -r["逾期工作日"]))


def summary_markdown(plan: Plan, phase_id: str, day: date, summary: dict[str, Any], data: Standing) -> str:
    phase = plan.phase(phase_id)
    counts = data.assignments
    lines = [
        f"# {plan.campaign.name} · {phase.name}（{phase_id}）· {day}",
        "",
        f"- 本次新分派任务 **{summary['assigned']}** 项，新完成 **{summary['completed']}** 项",
        f"- 本次新通知 **{summary['notices']}** 条，生成邮件 **{summary['emails']}** 封",
        f"- 全部任务 {counts.total} 项：已完成 {counts.completed}，未完成 {counts.open}，逾期 {len(data.overdue)}",
        f"- 无法投递的邮件 **{len(data.undeliverable)}** 封"
        + ("（见“无法投递的邮件”表）" if data.undeliverable else ""),
        "",
        "| 目标 | 截止 | 要求 | 达成 | 结果 |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {t.id} | {t.by} | {t.required} | {t.achieved} | {t.label} |" for t in data.targets]
    return "\n".join(lines) + "\n"
