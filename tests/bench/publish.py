"""`publish` (the phase run's Prefect artifacts) on a province-sized campaign: `python -m tests.bench.publish
[COMMUNITIES] [ITEMS] [sqlite|postgres]` populates a fresh database like the phase-run bench, adds a day's
assessments, notices and desk answers with set-based SQL, then times `publish` in a fresh process and prints
its seconds, peak memory and the size of each artifact (the artifacts are built, not sent to Prefect)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Date, bindparam, text

from tasks.db import get_engine
from tests.bench.data import CAMPAIGN, DAY, PHASE, Database, fresh_database, populate, series
from tests.bench.probe import peak_mb

STANDARDS = 16


def add_run_day(database: Database, communities: int) -> dict[str, int]:
    """Every community assessed on every standard (community n misses n % 17 of them), one notice of the
    day per overdue assignment of the items overdue by 1 and 4 working days, and every seventh of those
    notices' assignments 签收."""
    statements = [
        (
            "INSERT INTO assessment (campaign_id, community_id, standard_id, day, value)"
            f" SELECT :cid, 'b' || n, t.k, :day, CASE WHEN t.k <= n % 17 THEN 'unmet' ELSE 'met' END"
            f" FROM {series(database.backend, communities)}"
            f" CROSS JOIN (SELECT n AS k FROM {series(database.backend, STANDARDS)}) AS t"
        ),
        (
            "INSERT INTO notice (campaign_id, key, phase_id, day, item_id, assignee, assignment_id, stage,"
            " cycle, recipients, roles, overdue_days, outbox_done) SELECT campaign_id, 'today' || id, phase_id,"
            " :day, item_id, assignee, id, CASE WHEN item_id = 'bench.i00' THEN 'overdue-1' ELSE 'overdue-2'"
            " END, 0, '[\"someone@bench.example\"]', '{}', 1, true FROM assignment"
            " WHERE item_id IN ('bench.i00', 'bench.i02') AND completed_on IS NULL"
        ),
        (
            "INSERT INTO acknowledgement (campaign_id, assignment_id, recipient, at)"
            " SELECT campaign_id, id, 'someone@bench.example', CURRENT_TIMESTAMP FROM assignment"
            " WHERE item_id IN ('bench.i00', 'bench.i02') AND completed_on IS NULL AND id % 7 = 0"
        ),
    ]
    with get_engine(database.url).begin() as connection:
        for statement in statements:
            query = text(statement)
            params = {name: value for name, value in (("cid", CAMPAIGN), ("day", DAY)) if f":{name}" in statement}
            connection.execute(query.bindparams(bindparam("day", type_=Date)) if "day" in params else query, params)
        notices = connection.execute(
            text("SELECT count(*) FROM notice WHERE day = :day").bindparams(bindparam("day", type_=Date)), {"day": DAY}
        )
        return {"notices_today": int(notices.scalar_one())}


def timed_publish(url: str) -> dict[str, Any]:
    """`publish` once, its artifacts captured: seconds, peak memory, each artifact's rows and JSON size."""
    from sqlmodel import Session

    from tasks.reports import artifacts
    from tasks.store import load_campaign

    with Session(get_engine(url)) as session:
        plan = load_campaign(session, CAMPAIGN)
        start = time.perf_counter()
        made = artifacts.run_artifacts(
            session, plan, PHASE, DAY, {"assigned": 0, "completed": 0, "notices": 0, "emails": 0}
        )
        seconds = time.perf_counter() - start
    captured = {
        a.key: {
            "rows": 1 if a.table is None else len(a.table),
            "bytes": len(json.dumps(a.markdown if a.table is None else a.table)),
        }
        for a in made
    }
    return {"publish_seconds": round(seconds, 2), "peak_mb": round(peak_mb(), 1), "artifacts": captured}


def main() -> None:
    communities = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000
    items = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    backend = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
    with tempfile.TemporaryDirectory() as folder, fresh_database(backend, Path(folder)) as database:
        counts = populate(database, communities, items) | add_run_day(database, communities)
        print(json.dumps({"communities": communities, "backend": backend} | counts), flush=True)
        probe = [
            sys.executable,
            "-c",
            f"import json, tests.bench.publish as p; print(json.dumps(p.timed_publish({database.url!r})))",
        ]
        done = subprocess.run(probe, capture_output=True, text=True)
        print(done.stdout.strip() or done.stderr[-3000:], flush=True)


if __name__ == "__main__":
    main()
