"""A command talks to `up`'s Prefect API even though the command line imported Prefect before it knew where that
API is (Prefect reads its settings once, at import). `greencomm trigger` used to start a temporary Prefect server
of its own beside up's: 20 s, and on a loaded machine a timeout, so the trigger failed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import GREENCOMM, ROOT
from tests.ports import free_ports


def test_trigger_calls_the_api_it_is_given_not_a_temporary_server(tmp_path: Path) -> None:
    (closed,) = free_ports(1)  # nothing listens there: the call must fail against that address, and say so
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENCOMM_", "PREFECT_"))}
    env |= {"GREENCOMM_VAR_DIR": str(tmp_path / "var"), "GREENCOMM_PREFECT_PORT": str(closed)}
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    done = subprocess.run(
        [str(GREENCOMM), "trigger", "pilot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "temporary server" not in done.stderr, done.stderr
    assert "cannot reach the Prefect API" in done.stderr and "Traceback" not in done.stderr, done.stderr
