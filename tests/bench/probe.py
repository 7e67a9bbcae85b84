"""One measurement in a fresh process, so its peak memory (VmHWM) is its own: `python -m tests.bench.probe
KIND JSON-ARGS` prints one JSON line with seconds, peak_mb and what the work counted."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any


def peak_mb() -> float:
    """This process's peak resident memory: VmHWM, which starts afresh at exec (ru_maxrss would carry the
    parent's peak over from the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_run(args: dict[str, Any]) -> dict[str, Any]:
    """The plain steps of a phase run (tasks.day_run.run_day) in one session, as `simulate` calls them."""
    from sqlmodel import Session

    from tasks.day_run import run_day
    from tasks.db import get_engine
    from tasks.store import load_campaign
    from tests.bench.data import CAMPAIGN, DAY, PHASE

    start = time.perf_counter()
    with Session(get_engine(args["url"]), expire_on_commit=False) as session:
        plan = load_campaign(session, CAMPAIGN)
        counts = run_day(session, plan, PHASE, DAY, mail_from="greencomm@bench.example")
        session.commit()
    return {"seconds": time.perf_counter() - start} | counts


def phase_bare(args: dict[str, Any]) -> dict[str, Any]:
    from sqlmodel import Session

    from tasks.db import get_engine
    from tasks.store import load_campaign
    from tests.bench.bare import bare_phase_run
    from tests.bench.data import CAMPAIGN, DAY

    start = time.perf_counter()
    with Session(get_engine(args["url"])) as session:
        plan = load_campaign(session, CAMPAIGN)  # the baseline reads the plan too
    counts = bare_phase_run(args["url"], args["backend"], plan, DAY)
    return {"seconds": time.perf_counter() - start} | counts


def simulation(args: dict[str, Any]) -> dict[str, Any]:
    """The seed campaign blown up to `communities` (copies of its 12), replayed day by day with its events."""
    from deployments.plan_file import load_plan
    from models.records.progress import parse_rows
    from tasks.records.progress import read_rows
    from tasks.simulate.replay import run_simulation
    from tests.bench.data import SEED
    from tests.bench.scaled import scaled

    plan = scaled(load_plan(SEED), args["communities"] // 12)
    events = parse_rows(read_rows(SEED.parent.parent / "examples" / "qingyang-2022-events.csv"), plan)
    first, last = date.fromisoformat(args["first"]), date.fromisoformat(args["last"])
    days = (last - first).days + 1
    start = time.perf_counter()

    def on_day(day: date) -> None:  # a run cut short by the timeout still tells its days so far
        print(json.dumps({"day": day.isoformat(), "elapsed": time.perf_counter() - start, "peak_mb": peak_mb()}))
        sys.stdout.flush()

    result = run_simulation(plan, first, last, events, on_day=on_day)
    seconds = time.perf_counter() - start
    report = result.report
    return {"seconds": seconds, "days": days, "per_day": seconds / days} | {
        "notices": len(report["notices"]),
        "emails": len(report["emails"]),
        "assignments": len(report["assignments"]),
    }


KINDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "phase-run": phase_run,
    "phase-bare": phase_bare,
    "simulation": simulation,
}


def main() -> None:
    kind, args = sys.argv[1], json.loads(sys.argv[2])
    result = KINDS[kind](args)
    print(json.dumps(result | {"peak_mb": round(peak_mb(), 1)}), flush=True)


if __name__ == "__main__":
    main()
