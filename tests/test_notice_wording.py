"""What officials read: one golden e-mail per role × stage of the seed plan, and no identifier anywhere."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.plan.checks import parse_plan
from models.plan.schema import Plan
from tests.conftest import SEED_PLAN, TESTS
from tests.notice_cases import CASES, Case, rendered, text_of

GOLDEN = TESTS / "golden" / "notices"
REGENERATE = os.environ.get("GREENCOMM_REGENERATE") == "1"  # then read every changed file before committing
ALLOWED_ASCII = {
    "PDF",
    "qq",
    "com",
    "OFD",
    "Word",
    "WPS",
    "Excel",
    "JPG",
    "PNG",
    "ZIP",
}  # 盖章扫描PDF版, the mailbox; file formats (SPEC §8)


@pytest.fixture(scope="module")
def seed() -> Plan:
    return parse_plan(SEED_PLAN.read_text(encoding="utf-8"))


def golden_text(message: object) -> str:
    from email.message import EmailMessage

    assert isinstance(message, EmailMessage)
    return f"主题：{message['Subject']}\n\n{text_of(message, 'plain')}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.stage}-{c.name}")
def test_each_role_reads_its_golden_notice(seed: Plan, case: Case) -> None:
    for role, message in rendered(seed, case).items():
        path = GOLDEN / f"{case.stage}.{role}.{case.name}.txt"
        text = golden_text(message)
        if REGENERATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, path.name


def identifiers(plan: Plan) -> set[str]:
    ids = {plan.campaign.id} | {p.id for p in plan.phases} | {i.id for _, i in plan.items()}
    ids |= {n.id for n in plan.lists} | {t.id for t in plan.targets} | {o.id for o in plan.offices}
    return ids | {c.id for c in plan.communities}


def problems(plan: Plan, text: str) -> list[str]:
    found = [
        f"identifier {i}"
        for i in identifiers(plan)
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(i)}(?![A-Za-z0-9])", text)
    ]
    found += [f"ISO date {d}" for d in re.findall(r"\d{4}-\d{2}-\d{2}", text)]
    found += [f"ASCII word {w}" for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED_ASCII]
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CASES), cycle=st.integers(0, 3), days=st.integers(1, 40), community=st.integers(1, 12))
def test_no_notice_carries_an_identifier_an_english_word_or_an_iso_date(
    seed: Plan, case: Case, cycle: int, days: int, community: int
) -> None:
    if case.assignee and case.assignee.startswith("community:"):
        case = Case(**{**case.__dict__, "assignee": f"community:c{community:02d}"})
    if case.stage.startswith("overdue"):
        case = Case(**{**case.__dict__, "cycle": cycle, "overdue_days": days})
    for role, message in rendered(seed, case).items():
        for part in (str(message["Subject"]), text_of(message, "plain"), text_of(message, "html")):
            assert problems(seed, part) == [], (role, part)


def test_the_weekly_report_follows_the_same_rules(seed: Plan, tmp_path: Path) -> None:
    from datetime import UTC, date, datetime

    from tasks.day_run import run_day
    from tasks.db import session_scope, upgrade
    from tasks.reports.weekly import report_message
    from tasks.store import sync_plan

    url = f"sqlite:///{tmp_path / 'weekly.db'}"
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, seed, actor="test", now=datetime.now(UTC))
        run_day(session, seed, "pilot", date(2022, 1, 10), mail_from="notices@qingyang.example")
        message = report_message(session, seed, date(2022, 1, 10), mail_from="notices@qingyang.example")
    assert message["Subject"] == "【周报】青阳街道绿色社区创建行动（截至2022年1月10日）"
    for part in (str(message["Subject"]), text_of(message, "plain"), text_of(message, "html")):
        assert problems(seed, part) == [], part
    assert "2021年创建目标" in text_of(message, "plain")
