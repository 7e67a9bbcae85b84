"""What a supervisor sees on a phase run: artifacts with stable keys (the Artifacts page shows the latest).

Bounded for a province-sized campaign (models.reports.overview): each table lists at most TABLE_ROWS rows, those to
act on first (most standards unmet, highest notice stages, longest overdue, oldest dead letters), and a last
row saying how many more there are and where the full list is; the summary's counts are exact. A table that
fits is shown whole, in its usual order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import FlowRunContext, TaskRunContext
from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from models import tables
from models.engine import labels_of
from models.mail import cn_date, target_title
from models.plan import Plan
from models.reports.overview import TABLE_ROWS, Overview, Shown, left_out_line, stage_rank, worst_first
from models.reports.standing import DeadLetter, Overdue
from models.vocabulary import Stage
from tasks.reports.status import answer_texts, overview

MARK_TEXT = {"met": "✅ 达标", "unmet": "❌ 未达标", "none": "— 未评估"}


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys: lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


@dataclass(frozen=True)
class Artifact:
    """One artifact of a phase run: a markdown text or a table, under a stable key."""

    key: str
    description: str
    markdown: str = ""
    table: list[dict[str, Any]] | None = None

    @property
    def content(self) -> str | list[dict[str, Any]]:
        return self.markdown if self.table is None else self.table


def run_artifacts(session: Session, plan: Plan, phase_id: str, day: date, summary: dict[str, Any]) -> list[Artifact]:
    """The run's summary, targets, standards matrix, notices and overdue work, as the artifacts will show them."""
    data = overview(session, plan, day)
    notices = run_notices(session, plan, phase_id, day)
    key = artifact_key(plan.campaign.id, phase_id)
    return [
        Artifact(f"{key}-summary", "本次运行摘要", markdown=summary_markdown(plan, phase_id, day, summary, data)),
        Artifact(f"{key}-targets", "创建目标进度", table=target_rows(plan, data)),
        Artifact(f"{key}-standards", "社区 × 16 项创建标准", table=matrix_rows(plan, data)),
        Artifact(f"{key}-notices", "本次运行的通知", table=notices or [{"说明": "本次运行没有新的通知"}]),
        Artifact(
            f"{key}-overdue",
            "逾期事项（按责任单位）",
            table=overdue_by_office(data.overdue) or [{"说明": "没有逾期事项"}],
        ),
        Artifact(f"{key}-undeliverable", DEAD, table=dead_letter_table(data.undeliverable)),
    ]


def in_a_run() -> bool:
    """Inside a Prefect flow or task run: Prefect deprecates artifacts created anywhere else."""
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def publish(session: Session, plan: Plan, phase_id: str, day: date, summary: dict[str, Any]) -> None:
    """The run's artifacts in Prefect; a step called outside a run (the benchmark's bare steps) builds them only."""
    made = run_artifacts(session, plan, phase_id, day, summary)
    if not in_a_run():
        return
    for artifact in made:
        if artifact.table is None:
            create_markdown_artifact(artifact.markdown, key=artifact.key, description=artifact.description)
        else:
            create_table_artifact(artifact.table, key=artifact.key, description=artifact.description)


NO_OVERDUE = {"说明": "没有逾期事项"}
DEAD = "无法投递的邮件（greencomm resend 重发）"


def dead_letter_table(letters: list[DeadLetter] | Shown[DeadLetter]) -> list[dict[str, Any]]:
    """Dead letters as a table (the deliver task republishes it when a run gives an e-mail up)."""
    shown = letters if isinstance(letters, Shown) else Shown(letters[:TABLE_ROWS], len(letters))
    rows = [
        {"日期": cn_date(r.day), "阶段": r.phase, "收件人": r.to, "Message-ID": r.message_id, "原因": r.error}
        for r in shown.rows
    ]
    return closed(rows, shown, "undeliverable") or [{"说明": "没有无法投递的邮件"}]


def closed(rows: list[dict[str, Any]], shown: Shown[Any], table: str) -> list[dict[str, Any]]:
    """The rows, and when some are left out a last row saying so (in the first column, the others empty)."""
    if not rows or not shown.left_out:
        return rows
    first, *others = rows[0]
    return [*rows, {first: left_out_line(table, len(rows), shown.left_out)} | dict.fromkeys(others, "")]


def run_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[dict[str, Any]]:
    """The run's notices, the highest stages first when they are too many to list; 办理情况 is what the desk
    holds for the assignment (签收, pending requests)."""
    labels, titles = labels_of(plan), {item.id: item.label for _, item in plan.items()}
    shown = the_run_notices(session, plan.campaign.id, phase_id, day)
    texts = answer_texts(session, plan.campaign.id, [n.assignment_id for n in shown.rows if n.assignment_id], day)
    rows = [
        {
            "收件人": ", ".join(n.recipients),
            "事项": titles.get(n.item_id) or target_names(plan).get(n.item_id, n.item_id),
            "责任单位": labels.get(n.assignee or "", "全街道"),
            "阶段": Stage.parse(n.stage).label(plan.escalation),
            "轮次": n.cycle,
            "办理情况": texts.get(n.assignment_id or 0, ""),
        }
        for n in shown.rows
    ]
    return closed(rows, shown, "notices")


def the_run_notices(session: Session, campaign_id: str, phase_id: str, day: date) -> Shown[Any]:
    """All of the run's notices in the order stored, or if more than TABLE_ROWS the highest stages first."""
    notice = tables.Notice
    of_run = (col(notice.campaign_id) == campaign_id, col(notice.phase_id) == phase_id, col(notice.day) == day)
    columns = sql_select(
        col(notice.item_id), col(notice.assignee), col(notice.assignment_id), col(notice.stage), col(notice.cycle)
    )
    columns = columns.add_columns(col(notice.recipients)).where(*of_run)
    stages = list(
        session.connection().execute(
            sql_select(col(notice.stage), col(notice.cycle), func.count())
            .where(*of_run)
            .group_by(col(notice.stage), col(notice.cycle))
        )
    )
    total = sum(count for _, _, count in stages)
    if total <= TABLE_ROWS:
        return Shown(list(session.connection().execute(columns.order_by(col(notice.id)))), total)
    rows: list[Any] = []
    for stage, cycle, _ in sorted(stages, key=lambda s: stage_rank(s[0], s[1]), reverse=True):
        if len(rows) >= TABLE_ROWS:
            break
        query = columns.where(col(notice.stage) == stage, col(notice.cycle) == cycle).order_by(col(notice.id))
        rows += session.connection().execute(query.limit(TABLE_ROWS - len(rows)))
    return Shown(rows, total)


def target_rows(plan: Plan, data: Overview) -> list[dict[str, Any]]:
    names = target_names(plan)
    return [
        {"目标": names[t.id], "截止": cn_date(t.by), "要求社区数": t.required, "已达成": t.achieved, "结果": t.label}
        for t in data.targets
    ]


def target_names(plan: Plan) -> dict[str, str]:
    """target id → how officials name it (the tables show names and Chinese dates, never ids)."""
    return {target.id: target_title(target) for target in plan.targets}


def matrix_rows(plan: Plan, data: Overview) -> list[dict[str, Any]]:
    """Every community in plan order, or if more than TABLE_ROWS those with the most standards unmet."""
    names = {c.id: c.name for c in plan.communities}
    matrix = data.standards
    order = list(matrix) if len(matrix) <= TABLE_ROWS else worst_first(matrix)[:TABLE_ROWS]
    rows = [{"社区": names[c]} | {f"标准{s}": MARK_TEXT[mark] for s, mark in matrix[c].items()} for c in order]
    return closed(rows, Shown(order, len(matrix)), "standards")


def overdue_by_office(overdue: Shown[Overdue]) -> list[dict[str, Any]]:
    """Overdue items under the office that owns or supervises them (of the longest overdue, if not all)."""
    rows = [
        {
            "督导/责任科室": late.office,
            "事项": late.title,
            "责任单位": late.name,
            "截止": cn_date(late.due),
            "逾期工作日": late.overdue_days,
            "办理情况": late.answer,
        }
        for late in overdue.rows
    ]
    return closed(sorted(rows, key=lambda r: (r["督导/责任科室"], -r["逾期工作日"])), overdue, "overdue")


def summary_markdown(plan: Plan, phase_id: str, day: date, summary: dict[str, Any], data: Overview) -> str:
    phase = plan.phase(phase_id)
    counts = data.assignments
    lines = [
        f"# {plan.campaign.name} · {phase.name} · {cn_date(day)}",
        "",
        f"- 本次新分派任务 **{summary['assigned']}** 项，新完成 **{summary['completed']}** 项",
        f"- 本次新通知 **{summary['notices']}** 条，生成邮件 **{summary['emails']}** 封",
        f"- 全部任务 {counts.total} 项：已完成 {counts.completed}，未完成 {counts.open}，逾期 {data.overdue.total}",
        f"- 无法投递的邮件 **{data.undeliverable.total}** 封"
        + ("（见“无法投递的邮件”表）" if data.undeliverable.total else ""),
        "",
        "| 目标 | 截止 | 要求 | 达成 | 结果 |",
        "| --- | --- | --- | --- | --- |",
    ]
    names = target_names(plan)
    lines += [f"| {names[t.id]} | {cn_date(t.by)} | {t.required} | {t.achieved} | {t.label} |" for t in data.targets]
    return "\n".join(lines) + "\n"
