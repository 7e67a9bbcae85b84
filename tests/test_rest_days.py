"""Started on a rest day: `up` and `status` say when the first notices go out, in the plan's calendar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli import app
from deployments.ops.up import prepare_campaign
from deployments.plan_file import load_plan
from models.ops import rest_day
from models.plan.checks import parse_plan
from models.settings import Settings
from tasks.day_run import run_day
from tasks.db import session_scope, upgrade
from tasks.ops import rest_day_of
from tasks.store import sync_plan
from tests.conftest import SEED_PLAN, SMALL_PLAN

SMALL = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))  # cn-workdays, 2022-01-04 … 2022-03-31


@pytest.mark.parametrize(
    ("day", "says"),
    [
        (date(2022, 1, 8), "今天是休息日，首批通知将于2022年1月10日（星期一）发出"),
        (date(2022, 1, 31), "今天是休息日，首批通知将于2022年2月7日（星期一）发出"),  # the Spring Festival
        (date(2022, 1, 1), "今天是休息日，首批通知将于2022年1月4日（星期二）发出"),  # before the start (元旦)
        (date(2022, 1, 29), None),  # a 调休 Saturday is a working day
        (date(2022, 1, 10), None),
        (date(2022, 4, 2), None),  # after the campaign's end
    ],
)
def test_a_rest_day_says_the_next_working_day(day: date, says: str | None) -> None:
    found = rest_day(SMALL, day, first=True)
    assert (found.text if found else None) == says


def test_once_notices_went_out_a_rest_day_says_when_the_next_ones_do() -> None:
    found = rest_day(SMALL, date(2022, 1, 15), first=False)
    assert found is not None and found.text == "今天是休息日，通知将于2022年1月17日（星期一）发出"


def test_up_started_on_a_saturday_says_when_the_first_notices_go_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    saturday = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai; the seed plan is rehearsed from today
    prepare_campaign(Settings(), load_plan(SEED_PLAN), None, now=saturday)
    assert "今天是休息日，首批通知将于2026年12月7日（星期一）发出" in capsys.readouterr().out.splitlines()
    prepare_campaign(Settings(), load_plan(SEED_PLAN), None, now=datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    assert "休息日" not in capsys.readouterr().out  # Monday: nothing to explain


def test_status_says_it_in_text_and_json(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", database_url)
    monkeypatch.setenv("GREENCOMM_PLAN", str(SMALL_PLAN))
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    text = runner.invoke(app, ["status", "--as-of", "2022-01-08"], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "今天是休息日，首批通知将于2022年1月10日（星期一）发出" in text.stdout
    as_json = json.loads(runner.invoke(app, ["status", "--json", "--as-of", "2022-01-08"]).stdout)
    assert as_json["rest_day"] == {
        "next_workday": "2022-01-10",
        "first": True,
        "text": "今天是休息日，首批通知将于2022年1月10日（星期一）发出",
    }
    monday = json.loads(runner.invoke(app, ["status", "--json", "--as-of", "2022-01-10"]).stdout)
    assert monday["rest_day"] is None
    assert "休息日" not in runner.invoke(app, ["status", "--as-of", "2022-01-10"]).stdout


def test_after_the_first_notices_a_rest_day_is_no_longer_their_first(database_url: str) -> None:
    upgrade(database_url)
    with session_scope(database_url) as session:
        sync_plan(session, SMALL, actor="test", now=datetime.now(UTC))
        first = rest_day_of(session, SMALL, date(2022, 1, 8))
        run_day(session, SMALL, "pilot", date(2022, 1, 4), mail_from="greencomm@t.example")  # 交办 stored
        later = rest_day_of(session, SMALL, date(2022, 1, 8))
    assert first is not None and first.first
    assert later is not None and not later.first and later.text == "今天是休息日，通知将于2022年1月10日（星期一）发出"
