"""Reading a plan file from disk, with every problem named by file and field path."""

from __future__ import annotations

from pathlib import Path

from models.plan import Plan, PlanError, parse_plan
from models.settings import Settings

SHIPPED_PLAN = Path(__file__).resolve().parent / "plans" / "qingyang-2022.yaml"


def plan_path(settings: Settings, given: Path | None = None) -> Path:
    """The plan a command works on: the one given, else GREENCOMM_PLAN, else the shipped seed plan."""
    return given or settings.plan or SHIPPED_PLAN


def load_plan(path: Path) -> Plan:
    """The checked plan at `path`, or PlanError whose lines start with the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PlanError([f"{path}: cannot read ({error.__class__.__name__}: {error})"]) from None
    try:
        return parse_plan(text)
    except PlanError as error:
        raise PlanError([f"{path}: {line.removeprefix('<file>: ')}" for line in error.problems]) from None
