"""The Prefect layer: every task greencomm runs, each one step over the plain functions of tasks/.

No task persists its result (persist_result=False): a result is only ever read in the run that made it, and
persisting one means a cache key over the task's source and inputs and a file write per task run. Re-running a
step is safe (SPEC §6: notices are keyed, assignment is conflict-ignoring), so a retried flow run needs no
cached task results. The flows persist their own result, which `greencomm trigger` reads.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from prefect import State, task
from prefect.artifacts import acreate_table_artifact
from prefect.context import SyncClientContext
from prefect.runtime import task_run

from models.progress import parse_rows
from models.standing import dead_letter
from tasks import artifacts, day_run
from tasks.delivery import Delivery, dead_letters
from tasks.progress import apply_rows
from tasks.smtp import SmtpConfig
from tasks.store import open_campaign, today_in
from tasks.weekly import store_report


def one_client() -> AbstractContextManager[Any]:
    """One Prefect API client for every sync task run of an async flow run. Without it each sync task run
    opens a client of its own (an HTTP client and an SSL context: ~40 ms a task run, most of Prefect's
    overhead on a phase run); with it a task run costs a few milliseconds."""
    return SyncClientContext.get_or_create()


@task(name="resolve-day", persist_result=False)
def resolve_day(campaign_id: str, as_of: date | None) -> date:
    """The run's day: `as_of`, or today in the campaign's timezone."""
    if as_of:
        return as_of
    with open_campaign(campaign_id) as (_, plan, _settings):
        return today_in(plan, datetime.now(UTC))


@task(name="day-step", persist_result=False)
def day_step(step: str, campaign_id: str, phase_id: str, day: date) -> int:
    """One step of the day's run (day_run.DAY_STEPS) in a transaction of its own."""
    with open_campaign(campaign_id) as (session, plan, settings):
        return day_run.step_named(step).run(session, plan, phase_id, day, settings.mail_from)


def run_step(step: day_run.Step, campaign_id: str, phase_id: str, day: date) -> int:
    """The step as a task run named after it (assign, check-completion, …)."""
    return int(day_step.with_options(name=step.name)(step.name, campaign_id, phase_id, day))


class GaveUp(RuntimeError):
    """A failure another try in this run cannot mend: dead letters, or the run's delivery budget used up."""


def _worth_retrying(_task: Any, _run: Any, state: State[Any]) -> bool:
    return not isinstance(state.data, GaveUp)


@dataclass
class _RunBudget:
    deadline: float  # time.monotonic() by which this run's delivery stops
    dead: list[str] = field(default_factory=list)  # dead-lettered by this run, over its retries


_RUNS: dict[str, _RunBudget] = {}  # task run id → its budget: Prefect's retries of a run share one budget


# Retries here mend a passing fault within the run; the outbox keeps the rest for the next run.
@task(name="deliver", persist_result=False, retries=2, retry_delay_seconds=[5, 30], retry_condition_fn=_worth_retrying)
async def deliver(campaign_id: str, phase_id: str) -> Delivery:
    """Send the outbox within the run's budget; the run shows red if anything stays undelivered.

    A run that dead-letters an e-mail fails once (GaveUp, not retried); later runs skip dead letters.
    """
    with open_campaign(campaign_id) as (session, plan, settings):
        config = SmtpConfig.from_settings(settings)
        if config is None:
            return Delivery(0, [])
        run = _RUNS.setdefault(str(task_run.id), _RunBudget(time.monotonic() + settings.smtp_budget))
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
        letters = [dead_letter(row) for row in dead_letters(session, campaign_id)] if result.undeliverable else []
    run.dead += result.undeliverable
    if letters:
        key = f"{artifacts.artifact_key(campaign_id, phase_id)}-undeliverable"
        await acreate_table_artifact(artifacts.dead_letter_table(letters), key=key, description=artifacts.DEAD)
    retries_left = task_run.run_count <= (deliver.retries or 0)
    if result.failed and run.deadline > time.monotonic() and retries_left:
        raise RuntimeError(f"{len(result.failed)} e-mail(s) undelivered: " + "; ".join(result.failed[:5]))
    _RUNS.pop(str(task_run.id), None)
    problems = [f"{len(run.dead)} e-mail(s) undeliverable (dead letters): " + "; ".join(run.dead[:5])] * bool(run.dead)
    if result.failed:
        problems.append(f"{len(result.failed)} e-mail(s) left for the next run: " + "; ".join(result.failed[:5]))
    if problems:
        raise GaveUp(" — ".join(problems))
    return result


@task(name="publish-artifacts", persist_result=False)
def publish_artifacts(campaign_id: str, phase_id: str, day: date, summary: dict[str, Any]) -> None:
    with open_campaign(campaign_id) as (session, plan, _settings):
        artifacts.publish(session, plan, phase_id, day, summary)


@task(name="dry-run", persist_result=False)
def preview(campaign_id: str, phase_id: str, day: date) -> list[dict[str, Any]]:
    """Who would be notified and why; stores nothing."""
    with open_campaign(campaign_id) as (session, plan, _settings):
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


@task(name="record-rows", persist_result=False)
def record_rows(campaign_id: str, raw: list[tuple[int, dict[str, str]]], actor: str) -> int:
    """Check and store progress rows from the UI form: all or none (ProgressError names the bad rows)."""
    with open_campaign(campaign_id) as (session, plan, _settings):
        now = datetime.now(UTC)
        rows = parse_rows(raw, plan, today=today_in(plan, now))
        return apply_rows(session, campaign_id, rows, actor=actor, now=now, source="prefect-ui")


@task(name="compose-report", persist_result=False)
def compose_report(campaign_id: str, as_of: date | None) -> bool:
    """This week's report into the outbox (once per day); False if it was there already."""
    with open_campaign(campaign_id) as (session, plan, settings):
        day = as_of or today_in(plan, datetime.now(UTC))
        return store_report(session, plan, day, mail_from=settings.mail_from)


@task(name="circular-due", persist_result=False)
def circular_due(campaign_id: str, day: date) -> bool:
    """Whether `day` is the first working day of its month in the plan's calendar (the 通报's day)."""
    from tasks.circular import is_circular_day

    with open_campaign(campaign_id) as (_, plan, _settings):
        return is_circular_day(plan, day)


@task(name="compose-circular", persist_result=False)
def compose_circular(campaign_id: str, day: date) -> int:
    """This month's 通报 into the outbox, one e-mail per recipient, once a month; returns how many were new."""
    from tasks.circular import store_circular

    with open_campaign(campaign_id) as (session, plan, settings):
        return store_circular(session, plan, day, mail_from=settings.mail_from)


@task(name="publish-circular", persist_result=False)
def publish_circular(campaign_id: str, day: date) -> None:
    """The same 通报 as a markdown artifact (the Artifacts page keeps one key, the latest month on top)."""
    from prefect.artifacts import create_markdown_artifact

    from tasks.circular import circular_markdown

    with open_campaign(campaign_id) as (session, plan, _settings):
        text = circular_markdown(session, plan, day)
    key = artifacts.artifact_key(campaign_id, "circular")
    create_markdown_artifact(text, key=key, description=f"{day.year}年{day.month}月工作进展通报")
