"""What several commands share: who acts, a --date option, the live plan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from deployments.console import checked_plan, fail
from deployments.plan_file import plan_path
from models.plan import Plan
from models.settings import Settings
from tasks.db import session_scope, upgrade
from tasks.store import load_campaign, sync_plan, today_in


def cli_actor() -> str:
    """Who changed what, for the audit trail: the operating-system user behind the command."""
    import getpass

    return f"cli:{getpass.getuser()}"


def parse_day(text: str | None, plan: Plan, option: str) -> date:
    """A --date option: YYYY-MM-DD or 'today' (in the plan's timezone)."""
    if text is None or text == "today":
        return today_in(plan, datetime.now(UTC))
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail([f"{option}: {text!r} is not a date (YYYY-MM-DD or today)"])


def live_plan(settings: Settings, file: Path | None = None) -> Plan:
    """The campaign as loaded in the database (a rehearsal keeps its shifted dates); loads it if new."""
    plan = checked_plan(plan_path(settings, file))
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        try:
            return load_campaign(session, plan.campaign.id)
        except LookupError:
            sync_plan(session, plan, actor=cli_actor(), now=datetime.now(UTC))
            return plan
