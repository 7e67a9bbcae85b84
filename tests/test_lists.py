"""What supervisors read, item by item: every template that loops is rendered with at least two items and
read back as text (one item per line, each heading on its own line), as markdown (parsed) and as HTML (each
item its own element); a supervising reader gets one item's overdue units as one entry."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from markdown_it import MarkdownIt

from models.intake import Triage
from models.mail.render import TEMPLATES
from models.plan.checks import parse_plan
from models.plan.schema import Plan
from models.reports.circular import Circular, Ranked, Reports, Tally, TargetRow, UnmetStandard
from models.reports.standing import Answer, DeadLetter, Overdue, TargetLine, overdue_by_community
from tasks.reports.circular import render as render_circular
from tests.conftest import SEED_PLAN, TESTS
from tests.notice_cases import CASES, facts, notice, text_of

D = date.fromisoformat
COMMUNITIES = ("甲社区", "乙社区", "丙社区")
OFFICES = ("社区发展办", "社会事务办")
ITEMS = ("制定方案", "报送总结")
HIGHLIGHTS = ("垃圾分类进小区", "绿色出行宣传")


@pytest.fixture(scope="module")
def seed() -> Plan:
    return parse_plan(SEED_PLAN.read_text(encoding="utf-8"))


def one_per_line(text: str, markers: tuple[str, ...]) -> None:
    """No line holds two of the markers (two items run together)."""
    for line in text.splitlines():
        assert sum(line.count(m) for m in markers) <= 1, line


def headings_alone(text: str, headings: list[str]) -> None:
    """Each heading starts a line of its own."""
    lines = text.splitlines()
    for heading in headings:
        assert [line for line in lines if heading in line] == [line for line in lines if line.startswith(heading)], (
            heading
        )
        assert any(line.startswith(heading) for line in lines), heading


class Blocks(HTMLParser):
    """The text of each innermost li, tr and heading element."""

    TAGS = ("li", "tr", "h2", "h3", "p")

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.TAGS:
            self.open.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.TAGS and self.open:
            self.blocks.append(self.open.pop())

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1] += data


def html_blocks(html: str) -> list[str]:
    parser = Blocks()
    parser.feed(html)
    return parser.blocks


def one_per_block(html: str, markers: tuple[str, ...], least: int = 2) -> None:
    blocks = html_blocks(html)
    for block in blocks:
        assert sum(block.count(m) for m in markers) <= 1, block
    assert sum(1 for block in blocks if any(m in block for m in markers)) >= least


# The weekly report: every loop with two or more items.


def weekly(template: str) -> str:
    overdue = [
        Overdue("a", ITEMS[0], f"community:c{n}", name, office, D("2022-01-31"), 102 - n, answer="已签收" if n else "")
        for n, (name, office) in enumerate(zip(COMMUNITIES, (*OFFICES, OFFICES[0]), strict=True))
    ]
    answers = [Answer(n, "a", ITEMS[0], f"community:c{n}", name, 1, D("2022-02-01"), None) for n, name in
               enumerate(COMMUNITIES[:2])]  # fmt: skip
    data = SimpleNamespace(
        targets=[TargetLine(t, D("2022-10-31"), 8, 2, False, "open", "进行中") for t in ("t1", "t2")],
        overdue=sorted(overdue, key=lambda o: o.office),
        undeliverable=[DeadLetter(D("2022-02-0" + n), "p", f"{n}@x.example", "<m>", "550") for n in "12"],
        answers=answers,
        triage=[
            Triage(n, f"{n}@y.example", f"材料{n}", "2022年6月1日", "方案.pdf", "发件人不在名单中") for n in (7, 8)
        ],
    )
    context: dict[str, Any] = {
        "by_community": overdue_by_community(overdue),
        "titles": {"a": ITEMS[0], "b": ITEMS[1]},
        "plan": SimpleNamespace(campaign=SimpleNamespace(name="青阳街道绿色社区创建行动")),
        "day": D("2022-06-06"),
        "data": data,
        "changes": {
            "completed": [("a", "c1"), ("b", "c2")],
            "joined": [],
            "assessments": 0,
            "notices": 3,
            "highlights": [("c1", HIGHLIGHTS[0]), ("c2", HIGHLIGHTS[1])],
        },
        "names": {"c1": COMMUNITIES[0], "c2": COMMUNITIES[1]},
        "target_names": {"t1": "2021年创建目标", "t2": "2022年创建目标"},
        "sender": "领导小组办公室",
        "chart_legend": [("1", "甲"), ("2", "乙")],
    }
    return TEMPLATES.get_template(template).render(**context)


def test_the_weekly_report_text_puts_each_item_and_heading_on_its_own_line() -> None:
    text = weekly("weekly.txt.j2")
    one_per_line(text, (*COMMUNITIES, "2021年创建目标", "2022年创建目标", "1@x", "2@x"))
    headings_alone(text, ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "【社区发展办】", "【社会事务办】"])
    one_per_line(text, ("7@y", "8@y"))
    assert "- 甲社区：制定方案，应于2022年1月31日前完成，已逾期102个工作日\n" in text
    assert "- 乙社区：制定方案，应于2022年1月31日前完成，已逾期101个工作日（已签收）\n" in text


def test_the_weekly_report_html_puts_each_item_in_its_own_row() -> None:
    one_per_block(weekly("weekly.html.j2"), COMMUNITIES, least=6)  # 三 and 四: three rows each


# The monthly 通报 in its three forms.


def circular() -> Circular:
    def tally(name: str, n: int) -> Tally:
        return Tally(f"x:{n}", name, 4, 4 - n, n, 3 * n, 2 * n)

    longest = [Overdue("a", ITEMS[n], f"community:c{n}", COMMUNITIES[n], OFFICES[n], D("2022-01-31"), 40 - n)
               for n in range(2)]  # fmt: skip
    return Circular(
        campaign="青阳街道绿色社区创建行动",
        sender="领导小组办公室",
        day=D("2022-06-01"),
        month="2022年6月",
        offices=[Ranked(1, tally(OFFICES[0], 0)), Ranked(2, tally(OFFICES[1], 1))],
        communities=[Ranked(n + 1, tally(name, n)) for n, name in enumerate(COMMUNITIES)],
        targets=[TargetRow(t, D("2022-10-31"), 8, 2, "60%", "17%", "进行中") for t in ("目标一", "目标二")],
        unmet=[UnmetStandard(1, "标准一", list(COMMUNITIES[:2])), UnmetStandard(2, "标准二", [COMMUNITIES[2]])],
        longest=longest,
        duties=12,
        on_time=9,
        overdue_open=3,
        reports=Reports(
            "2022年5月", {"x:0": (1, 2), "x:1": (1, 1)}, ["甲社区：垃圾分类进小区", "乙社区：绿色出行宣传"]
        ),
    )


def test_the_circular_text_puts_each_item_and_heading_on_its_own_line() -> None:
    text = render_circular(circular(), "circular.txt.j2")
    one_per_line(re.sub("（[^）]*）", "", text), COMMUNITIES)  # a standard's line names its communities in brackets
    one_per_line(text, ("标准一", "标准二", "目标一", "目标二", "垃圾分类进小区", "绿色出行宣传"))
    headings_alone(text, ["一、", "二、", "三、", "四、", "五、", "六、"])
    assert "甲社区：本月报送1条，本年累计2条。\n乙社区：本月报送1条，本年累计1条。\n本年尚未报送：丙社区。\n" in text


def test_the_circular_markdown_parses_into_one_bullet_per_item() -> None:
    text = render_circular(circular(), "circular.md.j2")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert [h[:2] for h in headings[1:]] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    items = [tokens[i + 2].content for i, t in enumerate(tokens) if t.type == "list_item_open"]
    assert items == [
        "标准1（标准一）：2个社区未达标（甲社区、乙社区）",
        "标准2（标准二）：1个社区未达标（丙社区）",
        "甲社区“制定方案”，应于2022年1月31日前完成，已逾期 40 个工作日",
        "乙社区“报送总结”，应于2022年1月31日前完成，已逾期 39 个工作日",
        "甲社区：垃圾分类进小区",
        "乙社区：绿色出行宣传",
    ]
    assert sum(t.type == "tr_open" for t in tokens) == 3 + 4 + 3  # each table: a header row and one per unit


def test_the_circular_html_puts_each_item_in_its_own_element() -> None:
    html = render_circular(circular(), "circular.html.j2")
    one_per_block(html.replace("（甲社区、乙社区）", ""), COMMUNITIES, least=6)


# Digests: one item's overdue units as one entry for a reader who supervises them.

REFINE_PLAN = next(c for c in CASES if c.stage == "overdue-4")
GOLDEN = TESTS / "golden" / "notices" / "overdue-4.leader.refine-plan.nine-communities.txt"


def leader_digest(plan: Plan) -> tuple[str, str, str]:
    """The leader's 【报组长】 of nine communities late with one item and one more late with another."""
    from models.mail.digest import build_digests
    from models.mail.render import render_digest
    from tests.notice_cases import MAIL_FROM

    cases = [replace(REFINE_PLAN, assignee=f"community:c{n:02d}", overdue_days=20 + n % 4) for n in range(1, 10)]
    notices = [replace_id(notice(plan, case), n) for n, case in enumerate(cases, start=1)]
    other = replace(REFINE_PLAN, item="pilot.apply", due=D("2021-12-15"), overdue_days=30)
    notices.append(replace_id(notice(plan, other), 10))
    digests = build_digests(plan, notices[0].phase_id, REFINE_PLAN.day, notices, facts(plan, REFINE_PLAN))
    leader = next(d for d in digests if d.notices[0].role == "leader")
    message = render_digest(leader, mail_from=MAIL_FROM)
    return str(message["Subject"]), text_of(message, "plain"), message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def replace_id(row: Any, n: int) -> Any:
    row.key, row.assignment_id = f"{row.key}-{n}", n
    return row


def test_the_leader_reads_each_item_once_with_its_units_longest_first(seed: Plan) -> None:
    subject, text, html = leader_digest(seed)
    assert subject.startswith("【报组长】青阳街道绿色社区创建行动：10项逾期未办结")
    assert text.count("【报组长】制定方案") == 1 and text.count("依据：") == 2  # two items, each with its basis once
    units = re.findall(r"^　　\d+\. (示例社区\d\d)（样例，待导入真实名册）：已逾期(\d+)个工作日", text, re.M)
    assert [int(days) for _, days in units] == sorted((int(days) for _, days in units), reverse=True)
    assert sorted(name for name, _ in units) == [f"示例社区{n:02d}" for n in range(1, 10)]
    assert "下列9个单位承办的此项工作已超过完成时限，经领导小组办公室督办仍未办结。呈阅，请协调督办。" in text
    assert "一、逾期未办结、需要督办的事项（10项）" in text
    one_per_block(html, tuple(f"示例社区{n:02d}" for n in range(1, 10)), least=9)
    if os.environ.get("GREENCOMM_REGENERATE") == "1":
        GOLDEN.write_text(f"主题：{subject}\n\n{text}", encoding="utf-8")
    assert GOLDEN.read_text(encoding="utf-8") == f"主题：{subject}\n\n{text}"


def test_an_assignee_reads_each_notice_under_its_level_each_heading_on_its_own_line(seed: Plan) -> None:
    """c02's contact: an overdue item and one coming due, in two groups; an assignee's lines are never merged."""
    from models.mail.digest import build_digests
    from models.mail.render import render_digest
    from tests.notice_cases import MAIL_FROM

    late, soon = (
        next(c for c in CASES if c.assignee == "community:c02" and c.stage == s) for s in ("overdue-1", "remind-3")
    )
    notices = [replace_id(notice(seed, late), 1), replace_id(notice(seed, soon), 2)]
    digests = build_digests(seed, notices[0].phase_id, late.day, notices, facts(seed, late))
    mine = next(d for d in digests if {n.role for n in d.notices} == {"assignee"} and len(d.notices) == 2)
    message = render_digest(mine, mail_from=MAIL_FROM)
    text = text_of(message, "plain")
    groups = ["一、已超过完成时限的事项（1项）", "二、交办、提醒和延期事项（1项）"]
    headings_alone(text, [*groups, "（1）【", "　　依据："])
    assert text.count("　　依据：") == 2 and text.count("（1）【") == 2
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert html.count("（1）【") == 2 and all(f"{group}</div>" in html for group in groups)


def test_the_desk_greets_a_role_name_once(seed: Plan) -> None:
    from models.desk.readers import Reader

    liaison = next(o.liaison for o in seed.offices if o.name == "社区发展办")
    assert Reader.of(seed, liaison.email).greeting == "社区发展办联络员"


def test_status_names_targets_and_whole_communities_on_a_narrow_terminal(
    seed: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from deployments.cli import app

    monkeypatch.setenv("GREENCOMM_DATABASE_URL", f"sqlite:///{tmp_path / 'status.db'}")
    monkeypatch.setenv("GREENCOMM_PLAN", str(SEED_PLAN))
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(app, ["status", "--as-of", "2022-03-01"])
    assert result.exit_code == 0 and "…" not in result.stdout
    assert "pilot-2021" not in result.stdout and "2021年创建目标" in result.stdout
    for community in seed.communities:
        assert community.name in result.stdout
