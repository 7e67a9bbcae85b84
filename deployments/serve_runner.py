"""The runner `up` starts in a session of its own: registers the deployments and serves them until SIGTERM.

`up` hands over the live plan (pickled, on stdin). On SIGTERM (or SIGINT) the runner takes no new flow run, lets
the runs in flight finish for at most DRAIN_SECONDS, then cancels what is left through Prefect (marked Cancelled)
and exits 0. Prefect's own SIGTERM handler would cancel the runs in flight at once, so ours replaces it.
"""

from __future__ import annotations

import asyncio
import pickle
import signal
import sys
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING

from models.plan import Plan
from models.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment
    from prefect.runner import Runner

DRAIN_SECONDS = 60.0
CANCEL_SECONDS = 20.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_stop_requested: list[int] = []  # a signal before serving started: serve nothing


def _note(text: str) -> None:
    print(text, flush=True)


def _early_stop(signum: int, frame: FrameType | None) -> None:
    _stop_requested.append(signum)


def main() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, _early_stop)
    import deployments.definitions  # noqa: F401  Prefect and the flows load while `up` starts the server

    try:
        plan = pickle.load(sys.stdin.buffer)
    except EOFError:
        return  # `up` stopped before the server was up
    assert isinstance(plan, Plan)
    served = _register(Settings(), plan)
    if not _stop_requested:
        asyncio.run(_serve(served))


def _register(settings: Settings, plan: Plan) -> list[RunnerDeployment]:
    """Apply the deployments and run the current phase once, so the UI has a run (the same as before)."""
    from prefect.deployments import run_deployment

    from deployments.definitions import deployments
    from models.rehearsal import current_phase
    from tasks.store import today_in

    served = deployments(plan)
    for deployment in served:
        deployment.apply()
    if _stop_requested:
        return served
    phase = current_phase(plan, today_in(plan, datetime.now(UTC)))
    run_deployment(f"{phase}-phase/{plan.campaign.id}", timeout=0)
    ui = settings.api_url.removesuffix("/api")
    _note(f"Prefect UI: {ui}  ·  API: {settings.api_url}  ·  deployments: {ui}/deployments")
    _note(
        f"Ctrl-C or SIGTERM stops the runner (a run in flight may finish, up to {DRAIN_SECONDS:g} s), "
        "then the server and the sink; schedules stay for the next start."
    )
    return served


async def _serve(served: list[RunnerDeployment]) -> None:
    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=False)
    for deployment in served:
        await runner.aadd_deployment(deployment)
    serving = asyncio.create_task(runner.start())
    await asyncio.sleep(0)  # start() installs Prefect's SIGTERM handler first; ours replaces it
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    if _stop_requested:
        stop.set()
    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if serving.done():
        serving.result()  # the runner ended by itself: its error, if any, reaches `up` as our exit status
        return
    await _drain(runner, serving)


async def _drain(runner: Runner, serving: asyncio.Task[None]) -> None:
    """No new runs; the runs in flight finish (bounded); then the runner leaves its context and returns."""
    clock = asyncio.get_running_loop().time
    deadline = clock() + DRAIN_SECONDS
    while not runner.started and not serving.done() and clock() < deadline:  # stopped while still starting
        await asyncio.sleep(0.05)
    if runner.started and not serving.done():
        poller = runner._scheduled_run_poller
        poller.stopping = True
        in_flight = len(poller._submitting_flow_run_ids)
        if in_flight:
            _note(f"runner: waiting for {in_flight} flow run(s) in flight to finish (at most {DRAIN_SECONDS:g} s)")
        # Stopping the polling loops makes start() leave the runner's context, which waits for the runs in flight.
        runner._loops_task_group.cancel_scope.cancel()
    done, _ = await asyncio.wait({serving}, timeout=max(deadline - clock(), 0))
    if done:
        serving.result()
        return
    left = runner._process_manager.flow_run_count()
    _note(f"runner: gave up after {DRAIN_SECONDS:g} s; cancelling {left} flow run(s) still in flight")
    try:
        await asyncio.wait_for(runner.cancel_all(), CANCEL_SECONDS)
    except TimeoutError:
        _note(f"runner: cancelling took over {CANCEL_SECONDS:g} s; up stops what is left")
    await asyncio.wait({serving}, timeout=CANCEL_SECONDS)


if __name__ == "__main__":
    main()
