"""One phase run for one day, step by step: the order is written here once, for the flow and `simulate`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time

from sqlmodel import Session

from models.mail import Digest, build_digests
from models.plan import Plan
from models.settings import Settings
from tasks.approvals import overdue_decisions
from tasks.engine import assign, check_completion, escalate, store_due_notices
from tasks.mail import Delivery, SmtpConfig, claim, compose, notice_facts, send_claimed, settle


@dataclass(frozen=True)
class Step:
    """One step of a day's run: its task name, the summary key of its count, and what it does."""

    name: str
    counts: str
    run: Callable[[Session, Plan, str, date, str], int]  # (session, plan, phase, day, mail_from) → how many


DAY_STEPS = (
    Step("assign", "assigned", lambda s, plan, phase, day, _: assign(s, plan, phase, day)),
    Step("check-completion", "completed", lambda s, plan, phase, day, _: check_completion(s, plan, phase, day)),
    Step("escalate", "notices", lambda s, plan, phase, day, _: store_due_notices(s, plan, phase, day)),
    Step(
        "overdue-approvals",
        "approvals_overdue",
        lambda s, plan, phase, day, mail_from: _overdue(s, plan, phase, day, mail_from),
    ),
    Step(
        "compose-digests",
        "emails",
        lambda s, plan, phase, day, mail_from: compose(s, plan, phase, day, mail_from=mail_from),
    ),
)


def _overdue(session: Session, plan: Plan, phase_id: str, day: date, mail_from: str) -> int:
    """逾期未审核 (SPEC §7): told in this run's e-mails, dated the run's day."""
    noon = plan.campaign.at(day, clock_time(12))
    days = Settings().approval_timeout_days
    return overdue_decisions(session, plan, day, working_days=days, now=noon, mail_from=mail_from, channel=phase_id)


def step_named(name: str) -> Step:
    return next(step for step in DAY_STEPS if step.name == name)


def run_day(session: Session, plan: Plan, phase_id: str, day: date, *, mail_from: str) -> dict[str, int]:
    """Every step in order in one session, as the flow's tasks run them; the counts by summary key."""
    counts = {}
    for step in DAY_STEPS:
        counts[step.counts] = step.run(session, plan, phase_id, day, mail_from)
        session.flush()
    return counts


def preview_day(session: Session, plan: Plan, phase_id: str, day: date) -> list[Digest]:
    """The digests a run of `day` would send; everything it wrote is rolled back."""
    for step in DAY_STEPS[:2]:  # assign and check as the run would; escalation only lists
        step.run(session, plan, phase_id, day, "")
    notices = escalate(session, plan, phase_id, day, dry_run=True)
    digests = build_digests(plan, phase_id, day, notices, notice_facts(session, plan, notices, day))
    session.rollback()
    return digests


DELIVERED_AT_ONCE = 200  # e-mails claimed, sent and settled together: memory stays flat, progress is kept


async def deliver(
    session: Session,
    plan: Plan,
    phase_id: str,
    config: SmtpConfig,
    *,
    now: datetime,
    concurrency: int,
    budget: float,
    give_up_after: int,
    time_left: float | None = None,
) -> Delivery:
    """Send the phase's unsent e-mails within `time_left` (default `budget`) seconds, a batch at a time: claim
    (committed first), send, settle. Nothing is claimed once no time is left; an e-mail that failed is not
    tried again in the same run, and a batch left unsent (server down, time up) ends the run's delivery."""
    deadline = time.monotonic() + (budget if time_left is None else time_left)
    total, after = Delivery(0, []), 0
    while (left := deadline - time.monotonic()) > 0:
        rows = claim(session, plan.campaign.id, phase_id, now, budget, after=after, limit=DELIVERED_AT_ONCE)
        session.commit()
        if not rows:
            break
        results = await send_claimed(rows, config, concurrency=concurrency, budget=left)
        total += settle(session, rows, results, now, give_up_after=give_up_after)
        session.commit()
        after = max(row.id or 0 for row in rows)
        if any(result.outcome == "unsent" for result in results):
            break
    return total
