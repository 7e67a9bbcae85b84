"""Prefect tasks of a phase run: one I/O step each, each over the plain functions of tasks/."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from prefect import State, task
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import task_run

from models.settings import Settings
from tasks import day_run, escalate, outbox, work
from tasks.artifacts import DEAD, artifact_key, dead_letter_table
from tasks.db import session_scope, upgrade
from tasks.delivery import Delivery, dead_letter_rows
from tasks.smtp import SmtpConfig
from tasks.store import load_campaign, today_in


@task(name="resolve-day")
def resolve_day(campaign_id: str, as_of: date | None) -> date:
    """The run's day: `as_of`, or today in the campaign's timezone."""
    settings = Settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
    return as_of or today_in(plan, datetime.now(UTC))


@task(name="assign")
def assign(campaign_id: str, phase_id: str, day: date) -> int:
    with session_scope(Settings().database_url) as session:
        return work.assign(session, load_campaign(session, campaign_id), phase_id, day)


@task(name="check-completion")
def check_completion(campaign_id: str, phase_id: str, day: date) -> int:
    with session_scope(Settings().database_url) as session:
        return work.check_completion(session, load_campaign(session, campaign_id), phase_id, day)


@task(name="escalate")
def escalate_notices(campaign_id: str, phase_id: str, day: date) -> int:
    with session_scope(Settings().database_url) as session:
        return len(escalate.escalate(session, load_campaign(session, campaign_id), phase_id, day, dry_run=False))


@task(name="compose-digests")
def compose(campaign_id: str, phase_id: str, day: date) -> int:
    settings = Settings()
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
        return len(outbox.compose(session, plan, phase_id, day, mail_from=settings.mail_from))


class GaveUp(RuntimeError):
    """A failure another try in this run cannot mend: dead letters, or the run's delivery budget used up."""


@dataclass
class _RunBudget:
    deadline: float  # time.monotonic() by which this run's delivery stops
    dead: list[str] = field(default_factory=list)  # dead-lettered by this run, over its retries


_RUNS: dict[str, _RunBudget] = {}  # task run id → its budget: Prefect's retries of a run share one budget


@task(name="deliver")
async def deliver(campaign_id: str, phase_id: str) -> Delivery:
    """Send the outbox; raises (so the run shows red) if anything stays undelivered after retries.

    A run that dead-letters an e-mail fails once (GaveUp, not retried); later runs skip dead letters.
    """
    settings = Settings()
    config = SmtpConfig.from_settings(settings)
    if config is None:
        return Delivery(0, [])
    run = _RUNS.setdefault(str(task_run.id), _RunBudget(time.monotonic() + settings.smtp_budget))
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
        result = await day_run.deliver(
            session,
            plan,
            phase_id,
            config,
            now=datetime.now(UTC),
            concurrency=settings.smtp_concurrency,
            budget=settings.smtp_budget,
            time_left=max(0.0, run.deadline - time.monotonic()),
            give_up_after=settings.smtp_give_up_after,
        )
    run.dead += result.undeliverable
    if result.undeliverable:
        with session_scope(settings.database_url) as session:
            rows = dead_letter_rows(session, campaign_id)
        await acreate_table_artifact(
            dead_letter_table(rows), key=f"{artifact_key(campaign_id, phase_id)}-undeliverable", description=DEAD
        )
    retries_left = task_run.run_count <= len(settings.delivery_retry_delays)
    if result.failed and run.deadline > time.monotonic() and retries_left:
        raise RuntimeError(f"{len(result.failed)} e-mail(s) undelivered: " + "; ".join(result.failed[:5]))
    _RUNS.pop(str(task_run.id), None)
    problems = [f"{len(run.dead)} e-mail(s) undeliverable (dead letters): " + "; ".join(run.dead[:5])] * bool(run.dead)
    if result.failed:
        problems.append(f"{len(result.failed)} e-mail(s) left for the next run: " + "; ".join(result.failed[:5]))
    if problems:
        raise GaveUp(" — ".join(problems))
    return result


def _worth_retrying(_task: Any, _run: Any, state: State[Any]) -> bool:
    return not isinstance(state.data, GaveUp)


def deliver_with_retries() -> Any:
    """The deliver task with the retry policy from settings (the outbox also retries on the next run)."""
    delays = Settings().delivery_retry_delays
    return deliver.with_options(retries=len(delays), retry_delay_seconds=delays, retry_condition_fn=_worth_retrying)


@task(name="dry-run")
def preview(campaign_id: str, phase_id: str, day: date) -> list[dict[str, Any]]:
    """Who would be notified and why; stores nothing."""
    settings = Settings()
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
        digests = day_run.preview_day(session, plan, phase_id, day)
    return [
        {
            "to": d.recipient.email,
            "name": d.recipient.name,
            "notices": [
                {
                    "item": n.item_id,
                    "assignee": n.assignee_label,
                    "stage": n.stage,
                    "cycle": n.cycle,
                    "due": n.due.isoformat() if n.due else None,
                    "why": n.reason,
                }
                for n in d.notices
            ],
        }
        for d in digests
    ]
