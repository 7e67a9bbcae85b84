"""(c) Prefect's share: task runs per phase run at two sizes (counted through the API) and a phase run's wall
time beside the same task functions called directly, each on a freshly populated database (the bench plan
with two items a community, so the steps themselves stay small). At the smallest size, where the overhead is a
fraction of a second beside a busy machine's noise, flow and direct runs alternate ROUNDS times and the medians
are compared."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

from tests.bench.data import CAMPAIGN, DAY, PHASE, fresh_database, populate

ITEMS = 2  # items a community: this section is about Prefect, not the steps (section a)
ROUNDS = 5  # alternating flow and direct runs at the smallest size


async def _count_task_runs(flow_run_id: Any) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return len(runs)


def _flow_run() -> tuple[float, int]:
    from flows.phase import phase_flow

    flow: Any = phase_flow(PHASE)
    start = time.perf_counter()
    state = asyncio.run(flow(campaign_id=CAMPAIGN, as_of=DAY, return_state=True))
    seconds = time.perf_counter() - start
    assert state.is_completed(), state
    return seconds, asyncio.run(_count_task_runs(state.state_details.flow_run_id))


def _direct() -> float:
    """The bodies of the flow's tasks, in the flow's order, without Prefect's task and flow runs."""
    from tasks import prefect_tasks as tasks
    from tasks.day_run import DAY_STEPS

    start = time.perf_counter()
    day = tasks.resolve_day.fn(CAMPAIGN, DAY)
    summary: dict[str, Any] = {"day": day.isoformat()}
    for step in DAY_STEPS:
        summary[step.counts] = tasks.day_step.fn(step.name, CAMPAIGN, PHASE, day)
    tasks.publish_artifacts.fn(CAMPAIGN, PHASE, day, summary)
    asyncio.run(tasks.deliver.fn(CAMPAIGN, PHASE))
    return time.perf_counter() - start


def _timed(communities: int, folder: Path, run: Any) -> Any:
    with fresh_database("sqlite", folder) as database:
        populate(database, communities, ITEMS)
        os.environ["GREENCOMM_DATABASE_URL"] = database.url
        return run()


def measure_prefect(sizes: list[int], folder: Path) -> list[dict[str, Any]]:
    """One Prefect test server for every size; SQLite databases (the default backend)."""
    os.environ.pop("GREENCOMM_SMTP_HOST", None)  # delivery is measured in (b): here it finds nothing to send
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.testing.utilities import prefect_test_harness

    rows: list[dict[str, Any]] = []
    with prefect_test_harness(server_startup_timeout=120):
        _timed(min(sizes), folder, _flow_run)  # warms up imports, templates and the server
        _timed(min(sizes), folder, _direct)
        for communities in sizes:
            rounds = ROUNDS if communities == min(sizes) else 1
            flows, directs, counts = [], [], []
            for _ in range(rounds):
                seconds, task_runs = _timed(communities, folder, _flow_run)
                flows.append(seconds)
                counts.append(task_runs)
                directs.append(_timed(communities, folder, _direct))
            flow_seconds, direct_seconds = statistics.median(flows), statistics.median(directs)
            rows.append(
                {
                    "communities": communities,
                    "assignments": communities * ITEMS,
                    "rounds": rounds,
                    "task_runs": max(counts),
                    "task_runs_equal": min(counts) == max(counts),
                    "flow_seconds": flow_seconds,
                    "direct_seconds": direct_seconds,
                    "overhead_seconds": flow_seconds - direct_seconds,
                }
            )
    return rows
