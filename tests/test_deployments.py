"""Every flow and deployment builds; schedules are bounded RRules; the rehearsal shift is stable."""

from __future__ import annotations

from datetime import date

import pytest

from deployments.definitions import deployments
from deployments.plan_file import load_plan
from models.plan.rehearsal import current_phase, rebase, rehearsal_notes, rehearsal_shift
from tests.conftest import SEED_PLAN

PLAN = load_plan(SEED_PLAN)


def test_every_deployment_builds_with_a_slugged_bounded_schedule() -> None:
    built = {d.flow_name: d for d in deployments(PLAN)}
    assert set(built) == {
        "pilot-phase",
        "promotion-phase",
        "consolidation-phase",
        "record-progress",
        "campaign-report",
        "campaign-circular",
        "campaign-backup",
        "confirm-claim",
        "approve-extension",
        "mailbox-intake",
    }
    assert {d.name for d in built.values()} == {"qingyang-green-2022"}
    schedules = built["pilot-phase"].schedules or []
    pilot = schedules[0]
    assert pilot.slug == "qingyang-green-2022-pilot-daily" and pilot.active
    assert pilot.schedule.rrule == "DTSTART:20211201T090000\nRRULE:FREQ=DAILY;UNTIL=20221231T090000"  # type: ignore[union-attr]
    assert pilot.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]
    assert built["promotion-phase"].entrypoint == "flows.phase.promotion_phase"
    assert built["record-progress"].schedules == []
    (monthly,) = built["campaign-circular"].schedules or []
    assert monthly.slug == "qingyang-green-2022-monthly-circular"
    assert monthly.schedule.rrule == (  # type: ignore[union-attr]
        "DTSTART:20211201T090000\nRRULE:FREQ=DAILY;BYMONTHDAY=1,2,3,4,5,6,7,8,9,10;UNTIL=20230110T090000"
    )
    (backup,) = built["campaign-backup"].schedules or []
    assert backup.slug == "qingyang-green-2022-daily-backup" and backup.active
    assert backup.schedule.rrule == "DTSTART:20211201T200000\nRRULE:FREQ=DAILY;UNTIL=20230110T200000"  # type: ignore[union-attr]
    assert backup.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]


def test_the_mailbox_is_read_every_15_minutes_in_working_hours_once_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GREENCOMM_INTAKE_IMAP_HOST", raising=False)
    (idle,) = next(d for d in deployments(PLAN) if d.flow_name == "mailbox-intake").schedules or []
    assert idle.slug == "qingyang-green-2022-mailbox-intake" and not idle.active  # no mailbox: nothing to read
    assert idle.schedule.rrule == (  # type: ignore[union-attr]
        "DTSTART:20211201T080000\n"
        "RRULE:FREQ=DAILY;BYHOUR=8,9,10,11,12,13,14,15,16,17;BYMINUTE=0,15,30,45;UNTIL=20230107T180000"
    )
    for name, value in {"HOST": "imap.qq.com", "USERNAME": "19626254@qq.com", "PASSWORD": "app-code"}.items():
        monkeypatch.setenv(f"GREENCOMM_INTAKE_IMAP_{name}", value)
    (reading,) = next(d for d in deployments(PLAN) if d.flow_name == "mailbox-intake").schedules or []
    assert reading.active and reading.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]


def test_a_phase_flow_loads_for_any_phase_id() -> None:
    import flows.phase

    assert flows.phase.__getattr__("stage-two_phase").name == "stage-two-phase"


def test_a_past_plan_is_rebased_to_today_and_a_restart_keeps_the_shift() -> None:
    today = date(2026, 11, 29)
    shift = rehearsal_shift(PLAN, None, 0, today)
    assert rebase(PLAN, date.fromordinal(PLAN.start.toordinal() + shift)).start == today
    assert rehearsal_shift(PLAN, None, shift, date(2026, 12, 5)) == shift  # restart next week: same dates
    assert rehearsal_shift(PLAN, "2030-01-01", shift, today) == (date(2030, 1, 1) - PLAN.start).days


def test_a_current_plan_runs_on_its_own_dates() -> None:
    assert rehearsal_shift(PLAN, None, 0, date(2022, 3, 1)) == 0


def test_a_rehearsal_says_when_the_calendar_falls_back_to_weekdays() -> None:
    moved = rebase(PLAN, date(2026, 11, 29))
    notes = rehearsal_notes(moved, 1824)
    assert "2027" in notes[1] and "weekdays" in notes[1]
    assert moved.campaign.end == date(2027, 12, 29)
    annual = next(item for item in moved.phases[2].items if item.id == "consolidation.annual_report")
    assert annual.due == "11-18"  # 2022-11-20 + 1824 days = 2027-11-18


def test_the_current_phase_is_the_latest_started() -> None:
    assert current_phase(PLAN, date(2022, 3, 1)) == "promotion"
    assert current_phase(PLAN, date(2023, 3, 1)) == "consolidation"
    assert current_phase(PLAN, date(2021, 1, 1)) == "pilot"
