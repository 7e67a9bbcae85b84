"""Helpers for tests that run a real `greencomm up`: its command and environment, and stopping it as users do."""

from __future__ import annotations

import base64
import functools
import os
import secrets
import signal
import socket
import subprocess
import sys
import uuid
from contextlib import suppress
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.ports import free_port

STOP_SECONDS = 120  # up's own bounds: a run in flight drains for at most 60 s, the server stops within 15 s
PREFECT_AUTH = f"greencomm:{secrets.token_urlsafe(16)}"  # GREENCOMM_PREFECT_AUTH of every `up` these tests start


def greencomm_command() -> Path:
    beside = Path(sys.executable).parent / "greencomm"
    return beside if beside.exists() else ROOT / ".venv" / "bin" / "greencomm"


def clean_environment(var_dir: Path, prefect_port: int, sink_port: int) -> dict[str, str]:
    """This process's environment without any GREENCOMM_ or PREFECT_ setting of its own (no SMTP host: the sink)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENCOMM_", "PREFECT_"))}
    env |= {
        "GREENCOMM_VAR_DIR": str(var_dir),
        "GREENCOMM_PREFECT_PORT": str(prefect_port),
        "GREENCOMM_SINK_PORT": str(sink_port),
        "GREENCOMM_DESK_PORT": str(free_port("127.0.0.1")),  # up serves the desk too: never a fixed port
        "GREENCOMM_PREFECT_AUTH": PREFECT_AUTH,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    return env


def basic(auth: str) -> str:
    """Prefect's Authorization header: the auth string whole, base64."""
    return "Basic " + base64.b64encode(auth.encode()).decode()


@functools.cache
def prefect_api(api: str, auth: str = PREFECT_AUTH) -> httpx.Client:
    """Plain HTTP to a Prefect API as greencomm's clients reach it: the auth string, and a CSRF token for changes."""
    client = httpx.Client(base_url=f"{api}/", headers={"Authorization": basic(auth)}, timeout=10)
    client_id = uuid.uuid4().hex
    answer = client.get("csrf-token", params={"client": client_id})
    if answer.status_code != httpx.codes.UNPROCESSABLE_ENTITY:  # 422: this server does not use CSRF tokens
        answer.raise_for_status()
        client.headers.update({"Prefect-Csrf-Token": answer.json()["token"], "Prefect-Csrf-Client": client_id})
    return client


def start_up(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`greencomm up` leading a process group of its own, as a shell's foreground job does."""
    with log.open("ab") as out:
        command = [str(greencomm_command()), "up", *args]
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def output_tail(log: Path, var_dir: Path) -> str:
    """The end of up's output and of the Prefect server log, for a failure message."""
    parts = []
    for path in (log, var_dir / "prefect-server.log"):
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else "(none)"
        parts.append(f"--- {path.name} (tail) ---\n{text[-3000:]}")
    return "\n".join(parts)


def processes_of(var_dir: Path) -> list[int]:
    """Every live process whose environment names this var folder: up and everything it started, however grouped."""
    marker = f"GREENCOMM_VAR_DIR={var_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in environ.split(b"\0") and state != "Z":
                found.append(int(entry.name))
    return found


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def stop(up: subprocess.Popen[bytes], var_dir: Path, how: str = "SIGINT") -> list[str]:
    """Ctrl-C (SIGINT to up's whole process group, as a terminal does) or SIGTERM to up alone; what went wrong.

    Problems: up still running after STOP_SECONDS, a bad exit, processes left behind (all are then killed).
    """
    problems = []
    if up.poll() is None:
        if how == "SIGINT":
            os.killpg(up.pid, signal.SIGINT)
        else:
            up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            problems.append(f"`greencomm up` ignored {how} for {STOP_SECONDS} s and was killed")
    left = processes_of(var_dir)
    if left:
        problems.append(f"`greencomm up` left processes running after {how}: {left}; they were killed")
        for pid in left:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    if up.poll() is None:
        up.wait(timeout=10)
    if up.returncode != 0:
        problems.append(f"`greencomm up` exited with status {up.returncode} after {how}, not 0")
    return problems
