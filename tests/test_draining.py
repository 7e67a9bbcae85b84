"""Stopping the runner: a run it took in the instant of the stop (after the drain's last count, before
`Runner.astop()`) is put back Scheduled for the next start, not left Cancelled; the runs the drain gave up on, runs
cancelled before the stop and finished runs stay as they are (Prefect test server)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pendulum
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import State, StateType
from prefect.states import Cancelled, Completed, Pending, Running

from deployments.ops.draining import PUT_BACK, Stopping, put_back_taken_at_stop


async def _runs_with_states(histories: dict[str, list[State]], before_stop: set[str]) -> dict[str, object]:
    async with get_client() as client:
        flow_id = await client.create_flow_from_name("draining-test")
        deployment = await client.create_deployment(flow_id=flow_id, name="draining-test")
        other = await client.create_deployment(flow_id=flow_id, name="not-ours")
        ids: dict[str, UUID] = {}
        for name, states in histories.items():
            if name in before_stop:
                ids[name] = await _run(client, other if name == "not ours" else deployment, states)
        await asyncio.sleep(0.05)
        counted_at = pendulum.now("UTC")
        for name, states in histories.items():
            if name not in before_stop:
                ids[name] = await _run(client, other if name == "not ours" else deployment, states)
        notes: list[str] = []
        how = Stopping(drain_seconds=1, cancel_seconds=1, note=notes.append)
        await put_back_taken_at_stop(client, [deployment], counted_at, {ids["given up"]}, how)
        after = {name: (await client.read_flow_run(run_id)).state for name, run_id in ids.items()}
        return {"states": after, "notes": notes}


async def _run(client: PrefectClient, deployment: UUID, states: list[State]) -> UUID:
    run = await client.create_flow_run_from_deployment(deployment)
    for state in states:
        await client.set_flow_run_state(run.id, state, force=True)
    return run.id


def test_a_run_taken_in_the_instant_of_the_stop_is_put_back_scheduled(prefect_server: None) -> None:
    histories: dict[str, list[State]] = {
        "cancelled by astop": [Pending(), Cancelled()],
        "left pending": [Pending()],
        "given up": [Pending(), Running(), Cancelled()],
        "cancelled earlier": [Pending(), Cancelled()],
        "finished": [Pending(), Running(), Completed()],
        "not ours": [Pending(), Cancelled()],
    }
    result = asyncio.run(_runs_with_states(histories, before_stop={"cancelled earlier"}))
    states = result["states"]
    assert isinstance(states, dict)
    kinds = {name: state.type for name, state in states.items()}
    assert kinds == {
        "cancelled by astop": StateType.SCHEDULED,
        "left pending": StateType.SCHEDULED,
        "given up": StateType.CANCELLED,
        "cancelled earlier": StateType.CANCELLED,
        "finished": StateType.COMPLETED,
        "not ours": StateType.CANCELLED,
    }
    assert states["cancelled by astop"].message == PUT_BACK
    assert result["notes"] == ["runner: 2 flow run(s) taken in the instant of the stop put back Scheduled"]
