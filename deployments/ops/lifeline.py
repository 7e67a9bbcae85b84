"""Children that die with `up`, however `up` ends (SIGKILL, OOM): Linux's parent-death signal, armed in the child.

`up` starts each child through `python -c <run main()> UP_PID SIGNAL COMMAND…`: it asks the kernel
for SIGNAL when `up` dies (prctl PR_SET_PDEATHSIG), then becomes COMMAND (execv keeps the request). The Prefect
server (one process) gets SIGKILL. The runner gets SIGHUP and kills its whole process group, which holds its flow
runs. The desk and the SMTP sink are threads of `up` itself. On other systems the children are still stopped by
`up` in order; only a killed `up` leaves them running.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def guarded(command: list[str], signum: signal.Signals = signal.SIGKILL) -> list[str]:
    """`command`, started so that it gets `signum` when this process dies."""
    # -c, not -m: `-m deployments.ops.lifeline` imports the package first, whose __init__ already imports this module
    # (runpy then warns on stderr, in `up`'s output)
    start = "from deployments.ops.lifeline import main; main()"
    return [sys.executable, "-c", start, str(os.getpid()), str(int(signum)), *command]


def die_with_parent(parent: int, signum: int) -> None:
    """Ask for `signum` when the parent dies; if it is already gone (it died before we asked), take it now."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)


def kill_own_group(signum: int, frame: object) -> None:
    """The runner's SIGHUP handler: `up` is gone, so the runner and its flow runs (its process group) go too."""
    os.killpg(os.getpgrp(), signal.SIGKILL)


def main() -> None:
    parent, signum, *command = sys.argv[1:]
    if int(signum) != signal.SIGKILL:
        signal.signal(int(signum), signal.SIG_DFL)  # not ignored (nohup) until the command handles it
    die_with_parent(int(parent), int(signum))
    os.execv(command[0], command)
