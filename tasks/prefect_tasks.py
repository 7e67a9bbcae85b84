"""The Prefect layer: every task greencomm runs, each one step over the plain functions of tasks/.

No task persists its result (persist_result=False): a result is only ever read in the run that made it, and
persisting one means a cache key over the task's source and inputs and a file write per task run. Re-running a
step is safe (SPEC §6: notices are keyed, assignment is conflict-ignoring), so a retried flow run needs no
cached task results. The flows persist their own result, which `greencomm trigger` reads.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock_time
from typing import Any

from prefect import State, task
from prefect.artifacts import acreate_table_artifact, create_table_artifact
from prefect.context import SyncClientContext
from prefect.runtime import task_run

from models.intake import triage_lines, triage_table
from models.records import parse_rows
from models.reports import dead_letter
from models.settings import Settings
from tasks import day_run
from tasks.approvals import Filed, publish_pending, start_run
from tasks.intake import MailboxConfig, Pass, read_mailbox, triage
from tasks.mail import Delivery, SmtpConfig, dead_letters
from tasks.records import apply_rows
from tasks.reports import DEAD, artifact_key, dead_letter_table, publish, store_report
from tasks.store import open_campaign, today_in

logger = logging.getLogger("greencomm.intake")


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
        key = f"{artifact_key(campaign_id, phase_id)}-undeliverable"
        await acreate_table_artifact(dead_letter_table(letters), key=key, description=DEAD)
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
    with open_campaign(campaign_id) as (session, plan, settings):
        publish(session, plan, phase_id, day, summary)
        noon = plan.campaign.at(day, clock_time(12))
        publish_pending(session, plan, settings, noon)  # the waiting requests, as of the run's day


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
    from models.reports import is_circular_day

    with open_campaign(campaign_id) as (_, plan, _settings):
        return is_circular_day(plan, day)


@task(name="compose-circular", persist_result=False)
def compose_circular(campaign_id: str, day: date) -> int:
    """This month's 通报 into the outbox, one e-mail per recipient, once a month; returns how many were new."""
    from tasks.reports import store_circular

    with open_campaign(campaign_id) as (session, plan, settings):
        return store_circular(session, plan, day, mail_from=settings.mail_from)


@task(name="publish-circular", persist_result=False)
def publish_circular(campaign_id: str, day: date) -> None:
    """The same 通报 as a markdown artifact (the Artifacts page keeps one key, the latest month on top)."""
    from prefect.artifacts import create_markdown_artifact

    from tasks.reports import circular_markdown

    with open_campaign(campaign_id) as (session, plan, _settings):
        text = circular_markdown(session, plan, day)
    key = artifact_key(campaign_id, "circular")
    create_markdown_artifact(text, key=key, description=f"{day.year}年{day.month}月工作进展通报")


@task(name="read-mailbox", persist_result=False)
def read_mail(campaign_id: str) -> Pass:
    """One pass over the campaign mailbox (nothing when none is configured); 待分拣 published as an artifact."""
    with open_campaign(campaign_id) as (_, plan, settings):
        config = MailboxConfig.from_settings(settings)
    if config is None:
        return Pass()
    done = read_mailbox(settings, plan, config, now=datetime.now(UTC))
    with open_campaign(campaign_id) as (session, plan, _):
        lines = triage_lines(triage(session, campaign_id), plan.campaign.timezone)
    create_table_artifact(
        triage_table(lines) or [{"说明": "没有待分拣的邮件"}],
        key=artifact_key(campaign_id, "mailbox-triage"),
        description="报送邮箱待分拣邮件（greencomm intake assign|ignore 处理）",
    )
    return done


@task(name="start-approvals", persist_result=False)
def start_approvals(filed: list[Filed]) -> int:
    """The approval run of each claim the mailbox filed, as the desk starts them; one that cannot start waits
    pending and visible, and `up` starts it on its next start."""
    started = 0
    for request in filed:
        try:
            start_run(request)
            started += 1
        except Exception:  # the claim stays pending; the log says why it has no run
            logger.exception("could not start the approval flow run for %s %s", request.kind, request.id)
    return started


@task(name="backup-due", persist_result=False)
def backup_due(campaign_id: str, day: date) -> bool:
    """Whether `day` is a working day in the plan's calendar (the campaign-backup's days)."""
    with open_campaign(campaign_id) as (_, plan, _settings):
        return plan.calendar().is_workday(day)


@task(name="take-backup", persist_result=False)
def make_backup(campaign_id: str) -> str:
    """An archive in GREENCOMM_BACKUP_DIR; then only the newest GREENCOMM_BACKUP_KEEP are kept. Its file name."""
    from tasks.ops import archive_name, prune, take_backup

    settings = Settings()
    now = datetime.now(UTC)
    archive = settings.backup_dir / archive_name(now)
    take_backup(settings.database_url, settings.files_dir, archive, now=now)
    prune(settings.backup_dir, settings.backup_keep)
    return archive.name
