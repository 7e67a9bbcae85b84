"""Serving the deployments with Prefect's Runner and stopping it the way `up` promises, through public API only.

Prefect's own SIGTERM handler (the public `Runner.handle_sigterm`, which `Runner.start()` installs) cancels the runs
in flight at once. DrainingRunner overrides it to only ask for a stop; `serve` then counts the campaign's runs in
flight through the API once a second for at most `drain_seconds` and calls the public `Runner.astop()`, which cancels
what is left (marked Cancelled) and ends `start()`. Prefect offers no public way to stop polling meanwhile, so a
run that starts during that window counts as in flight too and is bounded by the same window; one the runner takes
between the last count and `astop()` is cut short by it, and is put back Scheduled for the next start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pendulum
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.states import Crashed, Scheduled

IN_FLIGHT = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]  # a process runs them
LEFT_OVER = "上次服务意外停止时本次运行尚未结束，已随之终止；如需要，请重新运行。"
CUT_SHORT = [*IN_FLIGHT, StateType.CANCELLED]  # what the runner's stop leaves of a run it had just taken
PUT_BACK = "服务停止的同时本次运行刚刚开始，已退回待运行，服务下次启动时即运行。"


class DrainingRunner(Runner):
    """Prefect's Runner whose SIGTERM handler only asks `serve` to drain (the handler stays a public override)."""

    def __init__(self, drain_requested: asyncio.Event) -> None:
        super().__init__(pause_on_shutdown=False)  # schedules stay on for the next start
        self.drain_requested = drain_requested
        self.drain_loop = asyncio.get_running_loop()

    def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
        # A plain signal handler: call_soon_threadsafe wakes the loop, which may be waiting in select().
        self.drain_loop.call_soon_threadsafe(self.drain_requested.set)


def _in_flight(ids: list[UUID], states: list[StateType] = IN_FLIGHT) -> dict[str, Any]:
    return {
        "flow_run_filter": FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states))),
        "deployment_filter": DeploymentFilter(id=DeploymentFilterId(any_=ids)),
    }


async def crash_left_over(client: PrefectClient, ids: list[UUID]) -> int:
    """Runs of our deployments still Pending or Running before we serve were left by an `up` that died (its
    children died with it): marked Crashed, so the UI does not show them running forever."""
    left = await client.read_flow_runs(**_in_flight(ids))
    for run in left:
        await client.set_flow_run_state(run.id, Crashed(message=LEFT_OVER), force=True)
    return len(left)


@dataclass(frozen=True)
class Stopping:
    """How the runner stops: the bounds (serve_runner's), and where it says what it does."""

    drain_seconds: float
    cancel_seconds: float
    note: Callable[[str], None]


async def serve(deployments: list[RunnerDeployment], stop: asyncio.Event, how: Stopping) -> None:
    """Serve until `stop` is set (or SIGTERM reaches the runner), then drain and stop."""
    runner = DrainingRunner(stop)
    ids = [await runner.aadd_deployment(deployment) for deployment in deployments]
    async with get_client() as client:
        if crashed := await crash_left_over(client, ids):
            how.note(f"runner: {crashed} flow run(s) left in flight by an earlier up that died, marked Crashed")
        serving = asyncio.create_task(runner.start())
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if serving.done():
            serving.result()  # the runner ended by itself: its error, if any, reaches `up` as our exit status
            return
        await _drain(runner, serving, client, ids, how)


async def _drain(
    runner: Runner, serving: asyncio.Task[None], client: PrefectClient, ids: list[UUID], how: Stopping
) -> None:
    clock = asyncio.get_running_loop().time
    deadline = clock() + how.drain_seconds
    counted_at, left = await _in_flight_now(client, ids, how)
    if left:
        how.note(f"runner: waiting for {len(left)} flow run(s) in flight to finish (at most {how.drain_seconds:g} s)")
    while left and clock() < deadline and not serving.done():
        await asyncio.sleep(1)
        counted_at, left = await _in_flight_now(client, ids, how)
    while not runner.started and not serving.done() and clock() < deadline:  # stopped while still starting
        await asyncio.sleep(0.05)
    if serving.done():
        serving.result()
        return
    if left:
        how.note(f"runner: gave up after {how.drain_seconds:g} s; cancelling {len(left)} flow run(s) still in flight")
    try:
        await asyncio.wait_for(runner.astop(), how.cancel_seconds)
    except TimeoutError:
        how.note(f"runner: cancelling took over {how.cancel_seconds:g} s; up stops what is left")
    await asyncio.wait({serving}, timeout=how.cancel_seconds)
    await put_back_taken_at_stop(client, ids, counted_at, left, how)


async def _in_flight_now(client: PrefectClient, ids: list[UUID], how: Stopping) -> tuple[pendulum.DateTime, set[UUID]]:
    """When we looked, and the campaign's runs in flight then; the API gone (an external server stopped first)
    counts as none left."""
    looked_at = pendulum.now("UTC")
    try:
        return looked_at, {run.id for run in await client.read_flow_runs(**_in_flight(ids))}
    except (httpx.HTTPError, OSError) as error:
        how.note(f"runner: cannot count the runs in flight ({type(error).__name__}); stopping now")
        return looked_at, set()


async def put_back_taken_at_stop(
    client: PrefectClient, ids: list[UUID], counted_at: pendulum.DateTime, given_up: set[UUID], how: Stopping
) -> None:
    """A run the runner took after the last count (its poller cannot be stopped first through public API) was
    cancelled, or left Pending, by `astop()` before it did its day: put back Scheduled, the next start runs it."""
    try:
        runs = await client.read_flow_runs(**_in_flight(ids, CUT_SHORT))
        taken = [run for run in runs if run.id not in given_up and _changed_since(run.state, counted_at)]
        for run in taken:
            await client.set_flow_run_state(run.id, Scheduled(message=PUT_BACK), force=True)
    except (httpx.HTTPError, OSError):
        return  # the server is gone: the next start marks what is left Crashed
    if taken:
        how.note(f"runner: {len(taken)} flow run(s) taken in the instant of the stop put back Scheduled")


def _changed_since(state: Any, moment: pendulum.DateTime) -> bool:
    return state is not None and state.timestamp is not None and state.timestamp >= moment
