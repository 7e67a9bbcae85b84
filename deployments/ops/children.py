"""`up`'s child processes, each in a session of its own, and how `up` stops them.

A terminal sends Ctrl-C to its whole foreground process group. The Prefect server and the runner run in sessions
of their own, so that signal reaches `up` only and `up` stops them in order: the runner first (while the server
still answers it), then the server. Every wait is bounded; the last resort is SIGKILL to the child's whole group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path
from types import FrameType

import typer

GROUP_EXIT_SECONDS = 5.0


def watch_stop_signals() -> threading.Event:
    """SIGINT (Ctrl-C) and SIGTERM no longer interrupt `up`: they set the returned event, which `up` waits on."""
    requested = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        requested.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handle)
    return requested


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) ": state ppid pgrp …
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _wait_group_gone(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop_child(process: subprocess.Popen[bytes], name: str, signum: signal.Signals, seconds: float) -> None:
    """Ask `process` to stop with `signum`, wait up to `seconds`, then kill what is left of its process group."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            typer.echo(f"up: {name} did not stop within {seconds:g} s; killed it", err=True)
            process.kill()
            process.wait()
    pgid = process.pid  # start_new_session: the child leads its own group
    if _wait_group_gone(pgid, GROUP_EXIT_SECONDS):
        return
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    if not _wait_group_gone(pgid, GROUP_EXIT_SECONDS):
        typer.echo(f"up: processes left by {name} did not stop; killed them", err=True)
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        _wait_group_gone(pgid, GROUP_EXIT_SECONDS)
