"""The runner `up` starts in a session of its own: registers the deployments and serves them until SIGTERM.

`up` hands over the live plan (pickled, on stdin). On SIGTERM (or SIGINT) the runs in flight may finish for at most
DRAIN_SECONDS; then Prefect's public Runner.astop() cancels what is left (marked Cancelled) and the runner exits 0
(deployments/ops/draining.py: how, with public API only). If `up` dies, the kernel sends SIGHUP (lifeline.py) and the
runner kills its process group, its flow runs included.
"""

from __future__ import annotations

import asyncio
import gc
import pickle
import signal
import sys
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING

from deployments.ops.lifeline import kill_own_group
from models.plan import Plan
from models.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

DRAIN_SECONDS = 60.0
CANCEL_SECONDS = 20.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_stop_requested: list[int] = []  # a signal before serving started: serve nothing


def _note(text: str) -> None:
    print(text, flush=True)


def _early_stop(signum: int, frame: FrameType | None) -> None:
    _stop_requested.append(signum)


def main() -> None:
    signal.signal(signal.SIGHUP, kill_own_group)
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
    gc.freeze()  # exiting: the interpreter's last collections would otherwise walk every object, seconds on a busy host


def _register(settings: Settings, plan: Plan) -> list[RunnerDeployment]:
    """Apply the deployments and run the current phase once, so the UI has a run (the same as before)."""
    from prefect.deployments import run_deployment

    from deployments.approvals import start_missing
    from deployments.definitions import deployments
    from models.plan import current_phase
    from tasks.store import today_in

    served = deployments(plan)
    for deployment in served:
        deployment.apply()
    if started := start_missing(settings):  # waiting runs stay as they are (suspended); only missing ones start
        _note(f"runner: started the approval runs of {started} waiting request(s) that had none")
    if _stop_requested:
        return served
    phase = current_phase(plan, today_in(plan, datetime.now(UTC)))
    run_deployment(f"{phase}-phase/{plan.campaign.id}", timeout=0)
    _note(f"Prefect UI: {settings.ui_url}  ·  API: {settings.api_url}  ·  deployments: {settings.ui_url}/deployments")
    _note(
        f"Ctrl-C or SIGTERM stops the runner (a run in flight may finish, up to {DRAIN_SECONDS:g} s), "
        "then the server and the sink; schedules stay for the next start."
    )
    return served


async def _serve(served: list[RunnerDeployment]) -> None:
    from deployments.ops.draining import Stopping, serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for (
        signum
    ) in STOP_SIGNALS:  # SIGTERM until Runner.start() installs DrainingRunner.handle_sigterm, which does the same
        loop.add_signal_handler(signum, stop.set)
    if _stop_requested:
        stop.set()
    await serve(served, stop, Stopping(DRAIN_SECONDS, CANCEL_SECONDS, _note))


if __name__ == "__main__":
    main()
