"""A large campaign's artifacts stay bounded: each table lists the rows to act on first and a closing row saying
in plain Chinese how many more there are; the summary's counts stay exact (the same as `status`)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from sqlmodel import Session

from models.reports.overview import TABLE_ROWS
from models.vocabulary import Stage
from tasks.db import get_engine, upgrade
from tasks.reports import artifacts
from tasks.reports.status import status
from tasks.store import load_campaign
from tests.bench.data import CAMPAIGN, DAY, PHASE, Database, populate
from tests.bench.publish import add_run_day

COMMUNITIES, ITEMS = 1_000, 4  # 4,000 assignments, 1,200 overdue, 600 notices on DAY, 1,000 matrix rows
LATIN_OR_ISO_DATE = re.compile(r"[A-Za-z]|\d{4}-\d{1,2}-\d{1,2}")
ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


@pytest.fixture
def published(database_url: str) -> dict[str, Any]:
    upgrade(database_url)
    database = Database(database_url, "postgres" if database_url.startswith("postgresql") else "sqlite")
    populate(database, COMMUNITIES, ITEMS)
    add_run_day(database, COMMUNITIES)
    captured: dict[str, Any] = {"url": database_url}
    with Session(get_engine(database_url)) as session:
        plan = load_campaign(session, CAMPAIGN)
        start = time.perf_counter()
        made = artifacts.run_artifacts(
            session, plan, PHASE, DAY, {"assigned": 0, "completed": 0, "notices": 600, "emails": 0}
        )
        print(f"publish at {COMMUNITIES} communities: {time.perf_counter() - start:.2f} s")
        for artifact in made:
            captured[artifact.key.removeprefix(f"{CAMPAIGN}-{PHASE}-")] = artifact.content
        captured["status"] = status(session, plan, DAY)
        captured["plan"] = plan
    return captured


def closing(rows: list[dict[str, Any]]) -> str:
    text = str(next(iter(rows[-1].values())))
    assert all(value == "" for value in list(rows[-1].values())[1:])
    assert LATIN_OR_ISO_DATE.search(text) is None, text
    return text


def test_each_table_lists_the_rows_to_act_on_first_and_says_how_many_more(published: dict[str, Any]) -> None:
    full = published["status"]
    for table in ("standards", "notices", "overdue"):
        assert len(published[table]) == TABLE_ROWS + 1, table

    assert closing(published["standards"]) == (
        f"以上为未达标标准最多的{TABLE_ROWS}个社区；另有{COMMUNITIES - TABLE_ROWS}个社区未列出，"
        "全部社区见导出工作簿“社区×16项标准”表。"
    )
    unmet = sorted((list(marks.values()).count("unmet") for marks in full.standards.values()), reverse=True)
    shown = [list(row.values()).count("❌ 未达标") for row in published["standards"][:-1]]
    assert shown == unmet[:TABLE_ROWS]

    assert closing(published["notices"]) == (
        f"以上为督办级别最高的{TABLE_ROWS}条通知；另有100条未列出，全部通知见导出工作簿“已发通知”表。"
    )
    stages = [row["阶段"] for row in published["notices"][:-1]]
    word = {stage: Stage.parse(stage).label(published["plan"].escalation) for stage in ("overdue-1", "overdue-2")}
    assert stages == [word["overdue-2"]] * 300 + [word["overdue-1"]] * 200

    assert closing(published["overdue"]) == (
        f"以上为逾期时间最长的{TABLE_ROWS}项；另有{len(full.overdue) - TABLE_ROWS}项逾期事项未列出，"
        "全部事项见导出工作簿“任务清单”表。"
    )
    longest = sorted((late.overdue_days for late in full.overdue), reverse=True)[:TABLE_ROWS]
    assert sorted((row["逾期工作日"] for row in published["overdue"][:-1]), reverse=True) == longest
    answers = {(late.title, late.name): late.answer for late in full.overdue}
    assert all(row["办理情况"] == answers[row["事项"], row["责任单位"]] for row in published["overdue"][:-1])
    assert any(row["办理情况"] == "已签收" for row in published["overdue"][:-1])


def test_the_tables_show_names_words_and_chinese_dates(published: dict[str, Any]) -> None:
    """A supervisor reads titles, stage words and 2024年6月3日, not item ids, stage codes or ISO dates."""
    for table in ("notices", "overdue", "targets"):
        for row in published[table]:
            for column in ("事项", "阶段", "截止", "目标"):
                assert ISO_DATE.search(str(row.get(column, ""))) is None, (table, row)
    assert all(not re.search(r"[a-z]+-\d|^[a-z.]+$", row["阶段"] + row["事项"]) for row in published["notices"][:-1])


def test_the_summary_counts_stay_exact(published: dict[str, Any]) -> None:
    full = published["status"]
    counts = full.assignments
    assert counts.total == COMMUNITIES * ITEMS and len(full.overdue) == 1_200
    line = f"全部任务 {counts.total} 项：已完成 {counts.completed}，未完成 {counts.open}，逾期 {len(full.overdue)}"
    assert line in published["summary"]


def test_the_dead_letter_table_lists_the_oldest_and_says_how_many_more() -> None:
    from datetime import date

    from models.reports.standing import DeadLetter

    letters = [DeadLetter(date(2024, 6, 3), PHASE, f"r{n}@x.example", f"<{n}@x>", "550") for n in range(600)]
    rows = artifacts.dead_letter_table(letters)
    assert len(rows) == TABLE_ROWS + 1 and rows[0]["收件人"] == "r0@x.example"
    assert closing(rows) == f"以上为最早的{TABLE_ROWS}封；另有100封未列出，请系统管理员查看全部并重新发送。"
    assert artifacts.dead_letter_table(letters[:3]) == artifacts.dead_letter_table(letters)[:3]
