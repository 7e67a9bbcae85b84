"""Stopping `greencomm up`: Ctrl-C (SIGINT to its whole process group) and SIGTERM, idle and with a run in flight.

Every stop must exit 0 with no traceback, leave no process behind (found by the environment they inherit, whatever
their process group) and close up's ports; a flow run in flight when the signal arrives must finish (Completed).

Fast and honest: a Prefect server start dominates a full `up` (10 s idle, a minute on a busy machine), so the loop
of 20 stops runs `greencomm up --external-server` against one Prefect server this module starts: everything up
starts and stops itself (database, sink, runner, flow runs) is started and stopped each time. Two full `up` runs,
each with its own server, check the server's part: its port closed, nothing of it left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ports import free_ports
from tests.upkit import PREFECT_AUTH, clean_environment, output_tail, port_open, prefect_api, start_up, stop

READY_SECONDS = 240  # a busy 2-core machine can take minutes to start a Prefect server
# (how, when): "starting" stops while up still starts (database, runner loading, server check), "ready" as soon
# as up says it serves (the first phase run scheduled or starting), "running" once a phase run is Running, so
# the run must drain.
WHEN = ["running", "starting", "ready"]
CYCLES = [(how, WHEN[i % 3]) for i in range(10) for how in ("SIGINT", "SIGTERM")]
LINES = {"starting": "SMTP sink:", "ready": "Prefect UI:", "running": "Prefect UI:"}


def wait_for_line(log: Path, start: int, up: subprocess.Popen[bytes], var_dir: Path, line: str) -> None:
    """Until up's output (from byte `start` on) has `line`."""
    deadline = time.monotonic() + READY_SECONDS
    while line not in log.read_bytes()[start:].decode(errors="replace"):
        if up.poll() is not None or time.monotonic() > deadline:
            stop(up, var_dir)
            pytest.fail(f"`greencomm up` printed no {line!r} (exit {up.returncode})\n{output_tail(log, var_dir)}")
        time.sleep(0.1)


def flow_runs(api: str, *states: str) -> list[dict[str, Any]]:
    body = {"flow_runs": {"state": {"type": {"any_": list(states)}}}}
    response = prefect_api(api).post("flow_runs/filter", json=body)
    response.raise_for_status()
    runs: list[dict[str, Any]] = response.json()
    return runs


def wait_running(api: str) -> str:
    """The name of a phase run the runner is executing."""
    deadline = time.monotonic() + READY_SECONDS
    while not (running := flow_runs(api, "RUNNING")):
        assert time.monotonic() < deadline, f"no flow run went Running within {READY_SECONDS} s"
        time.sleep(0.1)
    return str(running[0]["name"])


def drop_unstarted_runs(api: str) -> None:
    """A stop before the runner took the triggered run leaves it Scheduled: removed, so each cycle has one run."""
    for run in flow_runs(api, "SCHEDULED"):
        if not run["auto_scheduled"]:
            prefect_api(api).delete(f"flow_runs/{run['id']}").raise_for_status()


def stop_cycle(
    up: subprocess.Popen[bytes], log: Path, start: int, var_dir: Path, api: str, when: str, how: str
) -> None:
    """One start already made: wait for `when`, signal with `how`, check everything stopped cleanly."""
    wait_for_line(log, start, up, var_dir, LINES[when])
    in_flight = wait_running(api) if when == "running" else None
    problems = stop(up, var_dir, how)
    output = log.read_bytes()[start:].decode(errors="replace")
    assert not problems, "\n".join([*problems, output])
    assert "Traceback" not in output, output
    assert "Warning:" not in output, output  # e.g. runpy's, when a child is started with -m inside our package
    if in_flight:  # the runner's log, as the full up's API is gone by now
        drained = f"Flow run '{in_flight}' - Finished in state Completed()"
        assert drained in output, f"the run in flight was not drained\n{output}"
    assert "up: stopped" in output, output


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server of this test's own (not a child of any `up`), the one all 20 cycles share, locked as README
    says an external server must be (the auth string of `up`, CSRF tokens)."""
    home = tmp_path_factory.mktemp("prefect-server")
    (port,) = free_ports(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENCOMM_", "PREFECT_"))}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env |= {"PREFECT_SERVER_API_AUTH_STRING": PREFECT_AUTH, "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true"}
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with (home / "server.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not _healthy(api):
            assert server.poll() is None and time.monotonic() < deadline, (home / "server.log").read_text()
            time.sleep(0.5)
        yield api
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_up_stops_cleanly_twenty_times_in_a_row(shared_server: str, tmp_path: Path) -> None:
    port = int(shared_server.rsplit(":", 1)[1].removesuffix("/api"))
    var_dir = tmp_path / "var"  # kept across cycles, as a service's is across restarts
    (sink_port,) = free_ports(1)
    env = clean_environment(var_dir, port, sink_port)
    log = tmp_path / "up.log"
    log.touch()
    for number, (how, when) in enumerate(CYCLES, 1):
        start = log.stat().st_size
        up = start_up(env, log, "--external-server")
        try:
            stop_cycle(up, log, start, var_dir, shared_server, when, how)
        except AssertionError as error:
            raise AssertionError(f"cycle {number}/{len(CYCLES)} ({how}, {when}): {error}") from None
        assert not port_open(sink_port), f"cycle {number}: the SMTP sink still listens"
        drop_unstarted_runs(shared_server)
    broken = flow_runs(shared_server, "CRASHED", "CANCELLED", "CANCELLING", "FAILED", "RUNNING", "PENDING")
    assert not broken, f"stopping left flow runs not completed: {[(r['name'], r['state_type']) for r in broken]}"


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_full_up_stops_its_server_after_the_run_in_flight(how: str, tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    prefect_port, sink_port = free_ports(2)
    log = tmp_path / "up.log"
    api = f"http://127.0.0.1:{prefect_port}/api"
    up = start_up(clean_environment(var_dir, prefect_port, sink_port), log)
    stop_cycle(up, log, 0, var_dir, api, "running", how)
    assert not port_open(prefect_port), "the Prefect API still answers"
    assert not port_open(sink_port), "the SMTP sink still listens"
