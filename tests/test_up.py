"""`greencomm up` as an operator needs it (issue 16): a Prefect API for supervisors only, children that die with
`up`, no start on a port another process holds, a fast stop when nothing is in flight.

The full `up` here is real (its own Prefect server on free ports); it is killed with SIGKILL while a flow run is
in flight, and whatever carries its var folder in its environment must be gone within 10 s.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from pydantic import SecretStr

from deployments.prefect_env import auth_source, exposure_problem, prefect_environment, server_environment
from models.desk.pages import desk_links
from models.desk.tokens import form_mac
from models.settings import Settings
from tests.conftest import ROOT, SMALL_PLAN
from tests.ports import free_port
from tests.upkit import (
    PREFECT_AUTH,
    basic,
    clean_environment,
    greencomm_command,
    output_tail,
    port_open,
    prefect_api,
    processes_of,
    start_up,
    stop,
)

READY_SECONDS = 300  # a server start on a machine shared by several test runs
GONE_SECONDS = 10
IDLE_STOP_SECONDS = 10


def seconds_to_stop(up: subprocess.Popen[bytes]) -> float:
    """How long `up` takes to exit after SIGTERM."""
    began = time.monotonic()
    up.send_signal(signal.SIGTERM)
    up.wait(timeout=60)
    return time.monotonic() - began


def test_the_auth_string_is_made_once_private_and_every_prefect_process_gets_it(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", prefect_auth=None)
    auth = prefect_environment(settings)["PREFECT_API_AUTH_STRING"]
    stored = tmp_path / "var" / "prefect-auth"
    assert auth.startswith("greencomm:") and len(auth) > 40
    assert stored.read_text(encoding="utf-8").strip() == auth and stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert prefect_environment(settings)["PREFECT_API_AUTH_STRING"] == auth  # made once, then kept
    assert auth_source(settings) == str(stored)
    server = server_environment(settings)
    assert server["PREFECT_SERVER_API_AUTH_STRING"] == server["PREFECT_API_AUTH_STRING"] == auth
    assert server["PREFECT_SERVER_CSRF_PROTECTION_ENABLED"] == "true"
    assert server["PREFECT_SERVER_CORS_ALLOWED_ORIGINS"] == "http://127.0.0.1:4200"
    own = Settings(var_dir=tmp_path / "other", prefect_auth=SecretStr("admin:our-own"))
    assert prefect_environment(own)["PREFECT_API_AUTH_STRING"] == "admin:our-own"
    assert auth_source(own) == "GREENCOMM_PREFECT_AUTH" and not (tmp_path / "other" / "prefect-auth").exists()
    assert "our-own" not in repr(own)


def test_a_prefect_ui_beyond_loopback_needs_a_tls_proxy_in_front(tmp_path: Path) -> None:
    exposed = Settings(var_dir=tmp_path, prefect_host="0.0.0.0", prefect_port=4200)
    assert "GREENCOMM_PREFECT_URL" in str(exposure_problem(exposed))
    proxied = exposed.model_copy(update={"prefect_url": "https://prefect.example/"})
    assert exposure_problem(proxied) is None
    server = server_environment(proxied)
    assert server["PREFECT_SERVER_CORS_ALLOWED_ORIGINS"] == "https://prefect.example"
    assert server["PREFECT_UI_API_URL"] == "https://prefect.example/api"
    assert server["PREFECT_API_URL"] == "http://0.0.0.0:4200/api"  # greencomm's own clients go direct


def test_the_session_server_wants_the_auth_string_and_our_client_has_it(prefect_server: None) -> None:
    """Every test using the session's Prefect server goes the authenticated way, as greencomm does against `up`."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    api = str(PREFECT_API_URL.value())
    assert httpx.get(f"{api}/admin/version", timeout=10).status_code == 401
    assert httpx.get(f"{api}/admin/version", headers={"Authorization": basic("x:guess")}, timeout=10).status_code == 401
    assert httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).status_code in (401, 403)

    async def read() -> int:
        async with get_client() as client:
            return len(await client.read_flow_runs(limit=1)) + len(await client.read_flows(limit=1))

    assert asyncio.run(read()) >= 0  # a POST with the auth string and a CSRF token, fetched by the client


@pytest.mark.parametrize("variable", ["GREENCOMM_PREFECT_PORT", "GREENCOMM_DESK_PORT", "GREENCOMM_SINK_PORT"])
def test_up_refuses_a_port_another_process_holds(variable: str, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = clean_environment(tmp_path / "var", free_port("127.0.0.1"), free_port("127.0.0.1")) | {
            variable: str(port)
        }
        done = subprocess.run(
            [str(greencomm_command()), "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"port {port} " in lines[0] and variable in lines[0] and f"pid {os.getpid()} (" in lines[0], lines[0]
    assert not (tmp_path / "var" / "prefect-server.log").exists()  # nothing started


def test_up_stops_at_once_when_an_external_server_refuses_its_auth_string(prefect_server: None, tmp_path: Path) -> None:
    """The session's server requires another auth string than the one this `up` sends."""
    from prefect.settings import PREFECT_API_URL

    port = int(str(PREFECT_API_URL.value()).rsplit(":", 1)[1].split("/")[0])
    var_dir = tmp_path / "var"
    env = clean_environment(var_dir, port, free_port("127.0.0.1"))
    done = subprocess.run(
        [str(greencomm_command()), "up", "--external-server"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=READY_SECONDS,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"up: the Prefect server at http://127.0.0.1:{port}/api refuses the auth string in GREENCOMM_PREFECT_AUTH"
        in (done.stderr)
    )
    assert "Traceback" not in done.stdout + done.stderr and PREFECT_AUTH not in done.stdout + done.stderr
    assert not processes_of(var_dir)


def wait_for(what: str, check: Any, up: subprocess.Popen[bytes], log: Path, var_dir: Path) -> Any:
    deadline = time.monotonic() + READY_SECONDS
    while not (found := check()):
        if up.poll() is not None or time.monotonic() > deadline:
            stop(up, var_dir)
            pytest.fail(f"`greencomm up`: no {what} (exit {up.returncode})\n{output_tail(log, var_dir)}")
        time.sleep(0.05)
    return found


def flow_run_processes(var_dir: Path) -> list[int]:
    """The runner's flow-run processes (`python -m prefect.engine`) of this up."""
    found = []
    for pid in processes_of(var_dir):
        try:
            if b"prefect.engine" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def runs(api: str, auth: str, *states: str) -> list[dict[str, Any]]:
    body = {"flow_runs": {"state": {"type": {"any_": list(states)}}}}
    answer = prefect_api(api, auth).post("flow_runs/filter", json=body)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


def check_the_api_is_locked(api: str, auth: str, ui: str) -> None:
    assert httpx.get(f"{api}/admin/version", timeout=10).status_code == 401
    assert httpx.get(f"{api}/admin/version", headers={"Authorization": basic("greencomm:guess")}).status_code == 401
    assert httpx.get(f"{api}/admin/version", headers={"Authorization": basic(auth)}).status_code == 200
    # a web page elsewhere: the browser's preflight is refused, and a change without a CSRF token too
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    refused = httpx.options(f"{api}/flow_runs/filter", headers=preflight)
    assert "access-control-allow-origin" not in refused.headers
    own = httpx.options(f"{api}/flow_runs/filter", headers=preflight | {"Origin": ui})
    assert own.headers.get("access-control-allow-origin") == ui
    posted = httpx.post(f"{api}/flow_runs/filter", json={}, headers={"Authorization": basic(auth)})
    assert posted.status_code == 403 and "CSRF" in posted.text


def test_a_killed_up_takes_its_children_with_it_and_the_next_up_stops_fast(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    prefect_port, sink_port = free_port("127.0.0.1"), free_port("127.0.0.1")
    env = clean_environment(var_dir, prefect_port, sink_port)
    del env["GREENCOMM_PREFECT_AUTH"]  # made once under var/
    api, ui, log = f"http://127.0.0.1:{prefect_port}/api", f"http://127.0.0.1:{prefect_port}", tmp_path / "up.log"
    up = start_up(env, log)
    try:
        wait_for("'Prefect UI:' line", lambda: b"Prefect UI:" in log.read_bytes(), up, log, var_dir)
        auth_file = var_dir / "prefect-auth"
        auth = auth_file.read_text(encoding="utf-8").strip()
        output = log.read_text(encoding="utf-8")
        assert f"the auth string in {auth_file}" in output and stat.S_IMODE(auth_file.stat().st_mode) == 0o600
        assert auth not in output and base64.b64encode(auth.encode()).decode() not in output
        check_the_api_is_locked(api, auth, ui)
        in_flight = wait_for("flow run in flight", lambda: flow_run_processes(var_dir), up, log, var_dir)
        everything = processes_of(var_dir)
        up.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + GONE_SECONDS

        def listening() -> list[int]:
            return [port for port in (prefect_port, sink_port) if port_open(port)]

        # a killed process stops naming var/ in /proc when its memory is released, and closes its sockets after that
        while (processes_of(var_dir) or listening()) and time.monotonic() < deadline:
            time.sleep(0.1)
        left, still_open = processes_of(var_dir), listening()
    finally:
        problems = stop(up, var_dir)  # kills whatever is left
    assert not left, f"left {GONE_SECONDS} s after `up` was killed: {left} of {everything} (flow run {in_flight})"
    assert not still_open, f"ports still open {GONE_SECONDS} s after `up` was killed: {still_open}"
    assert up.returncode == -signal.SIGKILL and not [p for p in problems if "exited with status" not in p], problems

    start = log.stat().st_size
    up = start_up(env, log)
    try:

        def after() -> bytes:
            return log.read_bytes()[start:]

        wait_for("note of the run the kill cut short", lambda: b"marked Crashed" in after(), up, log, var_dir)
        crashed = runs(api, auth, "CRASHED")
        assert len(crashed) == 1 and "意外停止" in crashed[0]["state"]["message"], crashed
        wait_for("completed phase run", lambda: b"Finished in state Completed()" in after(), up, log, var_dir)
        wait_for("idle runner", lambda: not runs(api, auth, "PENDING", "RUNNING"), up, log, var_dir)
        took = seconds_to_stop(up)
    finally:
        problems = stop(up, var_dir, "SIGTERM")
    assert not problems and up.returncode == 0, problems
    assert took <= IDLE_STOP_SECONDS, f"an idle `up` took {took:.1f} s to stop\n{output_tail(log, var_dir)}"
    assert "Traceback" not in log.read_text(encoding="utf-8")


def resume_once(api: str, run_id: str, decision: dict[str, str]) -> httpx.Response | None:
    """The resume as the UI sends it; None while a server just started answers 503 (Prefect's client retries too)."""
    answer = prefect_api(api).post(f"flow_runs/{run_id}/resume", json={"run_input": decision})
    return None if answer.status_code == httpx.codes.SERVICE_UNAVAILABLE else answer


def plan_assignments(var_dir: Path) -> list[tuple[int, str]]:
    """The pilot phase's 制定方案 assignments `up`'s first run made (id, assignee)."""
    try:
        with sqlite3.connect(var_dir / "greencomm.db") as db:
            query = "SELECT id, assignee FROM assignment WHERE item_id = 'pilot.plan' ORDER BY id"
            return [(int(i), str(a)) for i, a in db.execute(query).fetchall()]
    except sqlite3.Error:
        return []


def file_claims_at_the_desk(var_dir: Path, desk: str, count: int) -> int:
    """Claims filed as officials do: the signed 申报办结 link of each of `count` communities, its page, its POST."""
    secret = (var_dir / "desk-secret").read_text(encoding="utf-8").strip().encode()
    rows = plan_assignments(var_dir)
    with sqlite3.connect(var_dir / "greencomm.db") as db:
        (end,) = db.execute("SELECT plan FROM campaign").fetchone()
    last = date.fromisoformat(json.loads(end)["campaign"]["end"])
    filed = 0
    for assignment_id, assignee in rows[:count]:
        contact = f"{assignee.removeprefix('community:')}@t.example"
        link = desk_links(desk, secret, "small-test", assignment_id, contact, last)["claim"]
        page = httpx.get(link, timeout=30)
        token = link.rsplit("/", 1)[1]
        fields = {"token": unquote(token), "mac": form_mac(secret, unquote(token)), "note": "已完成"}
        answer = httpx.post(link, data=fields, headers={"Origin": desk}, timeout=30)
        ok = page.status_code == 200 and "办结申报已提交" in answer.text
        assert ok, f"{assignee}: GET {page.status_code}, POST {answer.status_code}: {answer.text[-600:]}"
        filed += ok
    return filed


def test_waiting_requests_hold_up_nothing_across_a_restart_of_up(tmp_path: Path) -> None:
    """Issue 16 item 1: requests waiting (suspended runs) leave `up` stopping in ≤ 10 s with no traceback, and the
    next `up` finds every one as the same run, still decidable."""
    var_dir = tmp_path / "var"
    prefect_port, sink_port = free_port("127.0.0.1"), free_port("127.0.0.1")
    env = clean_environment(var_dir, prefect_port, sink_port)
    desk = f"http://127.0.0.1:{env['GREENCOMM_DESK_PORT']}"
    api, log, args = f"http://127.0.0.1:{prefect_port}/api", tmp_path / "up.log", (str(SMALL_PLAN), "--rebase", "today")
    up = start_up(env, log, *args)
    try:
        wait_for("completed phase run", lambda: b"Finished in state Completed()" in log.read_bytes(), up, log, var_dir)
        wait_for("3 assignments", lambda: len(plan_assignments(var_dir)) >= 3, up, log, var_dir)
        assert file_claims_at_the_desk(var_dir, desk, 3) == 3
        waiting = wait_for("3 suspended runs", lambda: len(runs(api, PREFECT_AUTH, "PAUSED")) == 3, up, log, var_dir)
        assert waiting
        wait_for("idle runner", lambda: not flow_run_processes(var_dir), up, log, var_dir)
        before = sorted(run["id"] for run in runs(api, PREFECT_AUTH, "PAUSED"))
        took = seconds_to_stop(up)
    finally:
        problems = stop(up, var_dir, "SIGTERM")
    assert not problems and up.returncode == 0, problems
    assert took <= IDLE_STOP_SECONDS, (
        f"up with 3 requests waiting took {took:.1f} s to stop\n{output_tail(log, var_dir)}"
    )
    assert "Traceback" not in log.read_text(encoding="utf-8")

    start = log.stat().st_size
    up = start_up(env, log, *args)
    try:
        wait_for("Prefect UI line", lambda: b"Prefect UI:" in log.read_bytes()[start:], up, log, var_dir)
        after = sorted(run["id"] for run in runs(api, PREFECT_AUTH, "PAUSED"))
        assert after == before  # the same runs, neither cancelled nor re-created
        assert not runs(api, PREFECT_AUTH, "CANCELLED", "CRASHED")
        names = [run["name"] for run in runs(api, PREFECT_AUTH, "PAUSED")]
        assert all(name.startswith("审核办结：") for name in names), names
        decision = {"decision": "同意", "decided_by": "联络员甲同志（牵头办）", "comment": ""}
        resumed = wait_for("resume", lambda: resume_once(api, before[0], decision), up, log, var_dir)
        assert resumed.json().get("status") == "ACCEPT", resumed.text
        done = lambda: before[0] in [run["id"] for run in runs(api, PREFECT_AUTH, "COMPLETED")]  # noqa: E731
        wait_for("resumed run done", done, up, log, var_dir)
        assert len(runs(api, PREFECT_AUTH, "PAUSED")) == 2
    finally:
        problems = stop(up, var_dir, "SIGTERM")
    assert not problems, problems
    assert "Traceback" not in log.read_text(encoding="utf-8")
