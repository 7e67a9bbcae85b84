"""Fifty requests waiting (issue 16 item 1): suspended approval runs hold no runner slot, so a phase run still
runs at once on a runner of five slots, and a restart of the runner keeps every waiting request as the same run.

Slow (each of the 50 runs is a real process start under a Runner of five slots): a file of its own, one by one.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.responses import SetStateStatus

from deployments.approvals import start_approval, start_missing
from models import tables
from models.settings import Settings
from tasks.db import session_scope
from tests.test_approvals import (
    LIAISON,
    Served,
    file,
    finished,
    resume,
    run_of,
    served,
    sink,
    suspended,
    url,
    wait_until,
)

__all__ = ["served", "sink", "url"]  # the fixtures, shared with test_approvals.py
WAITING = 25  # assignments, each with a claim and an extension request waiting: 50 runs
PHASE_RUN_SECONDS = 60


def test_fifty_waiting_requests_hold_no_slot_and_survive_a_restart_as_the_same_runs(
    url: str, served: Served, tmp_path: Path
) -> None:
    waiting = [file(url, kind, f"c{n}") for n in range(1, WAITING + 1) for kind in ("claim", "extension")]
    for filed in waiting:
        start_approval(filed)
    runs = [run_of(url, filed) for filed in waiting]
    with get_client(sync_client=True) as client:
        wait_until("50 suspended runs", lambda: all(suspended(client, r) for r in runs), 600)
        began = time.monotonic()
        phase = client.create_flow_run_from_deployment(
            client.read_deployment_by_name("pilot-phase/small-test").id, parameters={"as_of": "2022-01-17"}
        )
        done = wait_until("phase run", lambda: finished(client, phase.id), 120)
        took = time.monotonic() - began
        assert done.state is not None and done.state.is_completed(), done.state
        assert took < PHASE_RUN_SECONDS, f"a phase run with 50 requests waiting took {took:.0f} s"
    served.stop()
    restarted = Served(tmp_path / "plan.yaml")
    try:
        assert start_missing(Settings()) == 0  # every request has its run: nothing re-created
        with get_client(sync_client=True) as client:
            assert all(suspended(client, r) for r in runs)
            assert len(client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=runs)))) == len(runs)
            decision = {"decision": "同意", "decided_by": LIAISON, "comment": ""}
            assert resume(client, runs[0], decision) == SetStateStatus.ACCEPT
            done = wait_until("resumed run", lambda: finished(client, runs[0]))
            assert done.state is not None and done.state.is_completed()
    finally:
        restarted.stop()
    with session_scope(url) as session:
        claim = session.get(tables.Claim, waiting[0].id)
        extension = session.get(tables.Extension, waiting[1].id)
    assert claim is not None and claim.status == "confirmed"
    assert extension is not None and extension.status == "withdrawn"  # the claim confirmed first withdraws it
