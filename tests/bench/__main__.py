"""Benchmark (`make bench`): ratios measured in one run, since these machines are noisy.

1. The shipped plan's whole year with the example events, against the 10-second budget.
2. Scaling: the same year with 4x the communities, as a ratio of the 12-community time.
3. Delivery: the year with every e-mail delivered to a local SMTP sink, as a ratio of no delivery.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from deployments.console import progress
from deployments.plan_file import load_plan
from models.plan import Community, Plan
from models.progress import ProgressRow, parse_rows
from tasks.mailsink import MailSink
from tasks.progress import read_rows
from tasks.replay import run_simulation
from tasks.smtp import SmtpConfig

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "deployments" / "plans" / "qingyang-2022.yaml"
EVENTS = ROOT / "deployments" / "examples" / "qingyang-2022-events.csv"
FIRST, LAST = date(2021, 12, 1), date(2022, 12, 31)
BUDGET_SECONDS = 10.0


def timed(label: str, work: Callable[[Callable[[date], None]], object]) -> float:
    """Run `work(on_day)` under a progress bar (plain lines off a terminal) and print its time."""
    start = time.perf_counter()
    with progress(label, (LAST - FIRST).days + 1, every=100) as advance:
        work(lambda day: advance(day.isoformat()))
    seconds = time.perf_counter() - start
    print(f"{label:<46} {seconds:7.2f} s", flush=True)
    return seconds


def scaled(plan: Plan, factor: int) -> Plan:
    """The plan with `factor` times the communities (copies of the samples with new ids and addresses)."""
    copies = [
        Community.model_validate(
            c.model_dump()
            | {
                "id": f"{c.id}x{n}",
                "contact": {"name": c.contact.name, "email": f"x{n}.{c.contact.email}"},
                "head": {"name": c.head.name, "email": f"x{n}.{c.head.email}"},
            }
        )
        for n in range(1, factor)
        for c in plan.communities
    ]
    return plan.model_copy(update={"communities": [*plan.communities, *copies]})


def main() -> None:
    plan = load_plan(PLAN)
    events: list[ProgressRow] = parse_rows(read_rows(EVENTS), plan) if EVENTS.exists() else []
    print(f"shipped plan {FIRST} → {LAST}, {len(plan.communities)} communities, {len(events)} event rows")
    base = timed("year, no delivery", lambda on_day: run_simulation(plan, FIRST, LAST, events, on_day=on_day))
    bigger = scaled(plan, 4)
    big = timed(
        "year, 4x communities, no delivery", lambda on_day: run_simulation(bigger, FIRST, LAST, events, on_day=on_day)
    )
    with tempfile.TemporaryDirectory() as folder, MailSink(Path(folder)) as sink:
        smtp = SmtpConfig(host="127.0.0.1", port=sink.port, security="none", username=None, password=None)
        mailed = timed(
            "year, delivered to a local SMTP sink",
            lambda on_day: run_simulation(plan, FIRST, LAST, events, smtp=smtp, on_day=on_day),
        )
        delivered = len(sink.messages)
    print(f"ratio year / {BUDGET_SECONDS:.0f} s budget:            {base / BUDGET_SECONDS:5.2f}  (must stay below 1)")
    print(f"ratio 4x communities / 1x:                   {big / base:5.2f}  (linear would be 4)")
    print(f"ratio delivered / not delivered:             {mailed / base:5.2f}  ({delivered} e-mails)")
    sys.exit(0 if base < BUDGET_SECONDS else 1)


if __name__ == "__main__":
    main()
