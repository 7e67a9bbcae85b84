"""Highlights (亮点信息, SPEC §8) in the monthly 通报 (a 信息报送 column: the month reported and the year, per
community, and the month's titles) and in the weekly report (this week's count and titles)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from models import tables
from models.plan import Plan
from models.plan.checks import parse_plan
from tasks.db import session_scope, upgrade
from tasks.reports.circular import circular_data, render
from tasks.reports.weekly import report_message
from tasks.store import sync_plan
from tests.conftest import plan_data, write_plan

NOW = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)


def plan_with_highlights(folder: Path, database_url: str) -> Plan:
    """The small plan with a submission item (亮点信息), and its database migrated."""
    data = plan_data()
    data["phases"][0]["items"].append(
        {"id": "pilot.news", "title": "亮点信息", "owner": "communities", "kind": "submission"}
    )
    upgrade(database_url)
    return parse_plan(write_plan(folder, data).read_text(encoding="utf-8"))


def test_the_circular_and_the_weekly_report_count_highlights(tmp_path: Path, database_url: str) -> None:
    plan = plan_with_highlights(tmp_path, database_url)
    sent = [
        ("c1", date(2021, 12, 20), "年前动员"),  # another year: in neither count
        ("c1", date(2022, 1, 5), "垃圾分类进小区"),
        ("c1", date(2022, 1, 28), "绿色出行宣传"),
        ("c2", date(2022, 1, 12), "老旧小区改造"),
        ("c2", date(2022, 2, 7), "节后复工"),  # the circular's own day: next month's
    ]
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        for community, day, title in sent:
            session.add(
                tables.Highlight(
                    campaign_id=plan.campaign.id,
                    item_id="pilot.news",
                    assignee=f"community:{community}",
                    title=title,
                    day=day,
                    submitted_by=f"{community}@t.example",
                    at=NOW,
                )
            )
    with session_scope(database_url) as session:
        circular = circular_data(session, plan, date(2022, 2, 7))
        text, html = render(circular, "circular.txt.j2"), render(circular, "circular.html.j2")
        markdown = render(circular, "circular.md.j2")
        weekly = report_message(session, plan, date(2022, 2, 8), mail_from="g@t.example")
    assert circular.reports is not None and circular.reports.month == "2022年1月"
    assert circular.reports.counts == {"community:c1": (2, 2), "community:c2": (1, 1)}
    assert "六、信息报送情况（2022年1月）\n" in text
    assert "社区一：本月报送2条，本年累计2条。\n社区二：本月报送1条，本年累计1条。\n本年尚未报送：社区三" in text
    assert "\n1. 社区一：垃圾分类进小区\n2. 社区二：老旧小区改造\n3. 社区一：绿色出行宣传" in text
    assert "<th>信息报送（2022年1月/本年）</th>" in html and '<td align="right">2/2</td>' in html
    assert "| 信息报送（2022年1月/本年） |" in markdown and "<li>社区二：老旧小区改造</li>" in html
    weekly_text = weekly.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "信息报送1条" in weekly_text and "信息报送：社区二“节后复工”" in weekly_text


def test_a_plan_without_highlights_has_no_reporting_section(tmp_path: Path, database_url: str) -> None:
    plan = parse_plan(write_plan(tmp_path, plan_data()).read_text(encoding="utf-8"))
    upgrade(database_url)
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        circular = circular_data(session, plan, date(2022, 2, 7))
    assert circular.reports is None
    for template in ("circular.txt.j2", "circular.md.j2", "circular.html.j2"):
        assert "信息报送" not in render(circular, template) and "六、" not in render(circular, template)


def test_a_year_without_highlights_is_said_once(tmp_path: Path, database_url: str) -> None:
    plan = plan_with_highlights(tmp_path, database_url)
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        text = render(circular_data(session, plan, date(2022, 2, 7)), "circular.txt.j2")
    assert "六、信息报送情况（2022年1月）\n本年各社区尚未报送亮点信息。\n" in text and "本年尚未报送：" not in text
