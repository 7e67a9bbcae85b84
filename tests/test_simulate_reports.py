"""`simulate` is the whole rehearsal: the weekly report on its Mondays and the 通报 on each month's first working
day, into the same sink and report as the phase runs' digests (the rules behind their schedules)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from models.plan.checks import parse_plan
from models.reports import is_circular_day, is_report_day
from tasks.mail import MailSink, SmtpConfig
from tasks.reports import CIRCULAR, REPORT
from tasks.simulate import run_simulation
from tests.conftest import SMALL_PLAN

PLAN = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))  # 2022-01-04 … 2022-03-31, cn-workdays


def test_the_schedules_days_of_the_reports() -> None:
    assert is_report_day(PLAN, date(2022, 1, 10)) and not is_report_day(PLAN, date(2022, 1, 3))  # before the start
    assert is_report_day(PLAN, date(2022, 1, 31))  # a Monday of the Spring Festival: the schedule does not skip it
    assert is_report_day(PLAN, date(2022, 4, 4)) and not is_report_day(PLAN, date(2022, 4, 11))  # the closing one
    firsts = [d for d in (date(2022, m, n) for m in range(1, 5) for n in range(1, 29)) if is_circular_day(PLAN, d)]
    assert firsts == [date(2022, 1, 4), date(2022, 2, 7), date(2022, 3, 1), date(2022, 4, 1)]


def test_a_rehearsal_sends_the_weekly_reports_and_the_circulars_with_the_digests(tmp_path: Path) -> None:
    with MailSink(tmp_path / "mail") as sink:
        config = SmtpConfig("127.0.0.1", sink.port, "none", None, None, 10)
        result = run_simulation(PLAN, date(2022, 1, 4), date(2022, 2, 7), smtp=config)
        received = Counter(str(m["Subject"])[:4] for m in sink.messages)
    emails = result.report["emails"]
    by_phase = Counter(e["phase"] for e in emails)
    reports = sorted(e["date"] for e in emails if e["phase"] == REPORT)
    assert reports == ["2022-01-10", "2022-01-17", "2022-01-24", "2022-01-31", "2022-02-07"]
    circulars = Counter(e["date"] for e in emails if e["phase"] == CIRCULAR)
    assert circulars == {"2022-01-04": 6, "2022-02-07": 6}  # the leading group and every office
    assert by_phase["pilot"] > 0 and len(sink.messages) == len(emails) and result.undelivered == []
    assert received["【通报】"] == 12
