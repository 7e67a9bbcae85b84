"""The replay engine behind `greencomm simulate`: a campaign day by day on a fresh database, the flows' own steps."""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.plan import Plan
from models.records import ProgressRow
from models.reports import is_circular_day, is_report_day
from models.vocabulary import OutboxStatus
from tasks.day_run import deliver, run_day
from tasks.db import get_engine, upgrade
from tasks.mail import SmtpConfig
from tasks.records import apply_rows
from tasks.reports import CIRCULAR, REPORT, full_report, store_circular, store_report
from tasks.store import sync_plan


@dataclass(frozen=True)
class SimulationResult:
    report: dict[str, Any]
    undelivered: list[str]  # "recipient: last error" of each e-mail not sent by the end (pending or dead letter)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How each simulated run delivers, as the deliver task does (from Settings in the CLI)."""

    concurrency: int = 4
    budget: float = 120.0
    give_up_after: int = 5


def run_simulation(
    plan: Plan,
    first: date,
    last: date,
    events: Sequence[ProgressRow] = (),
    *,
    smtp: SmtpConfig | None = None,
    mail_from: str = "greencomm@localhost",
    on_day: Callable[[date], None] = lambda _day: None,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> SimulationResult:
    """Every day from `first` to `last`: that day's rows, then each phase's run, the weekly report and the
    monthly 通报, as the schedules would."""
    with tempfile.TemporaryDirectory(prefix="greencomm-sim-") as folder:
        url = f"sqlite:///{Path(folder) / 'simulation.db'}"
        upgrade(url)
        with Session(get_engine(url), expire_on_commit=False) as session:
            sync_plan(session, plan, actor="simulate", now=_clock(plan, first))
            session.commit()
            _replay(session, plan, first, last, _by_day(events, first), smtp, mail_from, on_day, policy)
            undelivered = _unsent(session, plan) if smtp is not None else []
            report = full_report(session, plan)
        get_engine(url).dispose()
    return SimulationResult(report, undelivered)


def _replay(
    session: Session,
    plan: Plan,
    first: date,
    last: date,
    events: dict[date, list[ProgressRow]],
    smtp: SmtpConfig | None,
    mail_from: str,
    on_day: Callable[[date], None],
    policy: DeliveryPolicy,
) -> None:
    day = first
    while day <= last:
        now = _clock(plan, day)
        apply_rows(session, plan.campaign.id, events.get(day, []), actor="simulate", now=now, source="events")
        for outbox_phase, compose in _runs_of(plan, day, mail_from):
            compose(session)
            session.commit()
            if smtp is not None:
                asyncio.run(
                    deliver(
                        session,
                        plan,
                        outbox_phase,
                        smtp,
                        now=now,
                        concurrency=policy.concurrency,
                        budget=policy.budget,
                        give_up_after=policy.give_up_after,
                    )
                )
        on_day(day)
        day += timedelta(days=1)


Compose = Callable[[Session], object]


def _runs_of(plan: Plan, day: date, mail_from: str) -> list[tuple[str, Compose]]:
    """What the schedules run on `day`, in order: each started phase's run, then the weekly report on its
    Monday and the 通报 on the month's first working day (the rules behind their schedules). Each with the
    outbox phase its e-mails are delivered under."""
    runs: list[tuple[str, Compose]] = [
        (phase.id, partial(run_day, plan=plan, phase_id=phase.id, day=day, mail_from=mail_from))
        for phase in plan.phases
        if phase.start <= day
    ]
    if is_report_day(plan, day):
        runs.append((REPORT, partial(store_report, plan=plan, day=day, mail_from=mail_from)))
    if is_circular_day(plan, day):
        runs.append((CIRCULAR, partial(store_circular, plan=plan, day=day, mail_from=mail_from)))
    return runs


def _unsent(session: Session, plan: Plan) -> list[str]:
    """What is finally undelivered: judged by the outbox at the end, not by failures along the way."""
    rows = session.exec(
        select(tables.Outbox)
        .where(tables.Outbox.campaign_id == plan.campaign.id, tables.Outbox.status != OutboxStatus.SENT)
        .order_by(col(tables.Outbox.id))
    )
    return [f"{row.recipient}: {row.status}: {row.last_error or 'not sent'}" for row in rows]


def _by_day(events: Sequence[ProgressRow], first: date) -> dict[date, list[ProgressRow]]:
    """Rows grouped by the day they take effect; rows dated before the replay apply on its first day."""
    grouped: dict[date, list[ProgressRow]] = defaultdict(list)
    for row in events:
        grouped[max(row.day, first)].append(row)
    return grouped


def _clock(plan: Plan, day: date) -> datetime:
    """The simulated wall clock: the daily run time of that day in the campaign's timezone."""
    return plan.campaign.at(day)
