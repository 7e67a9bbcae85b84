"""`greencomm trigger`: run a phase through its deployment and say what happened."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer

from models.plan import Plan

WAIT_SECONDS = 600


def run_trigger(plan: Plan, phase_id: str, day: date | None, dry_run: bool) -> int:
    """0 when the run completed, 1 when it failed or did not finish in time."""
    import asyncio

    import httpx
    from prefect.deployments import arun_deployment

    name = f"{phase_id}-phase/{plan.campaign.id}"
    parameters: dict[str, Any] = {"as_of": day.isoformat() if day else None, "dry_run": dry_run}
    try:
        flow_run = asyncio.run(arun_deployment(name, parameters=parameters, timeout=WAIT_SECONDS))
    except (httpx.HTTPError, RuntimeError) as error:
        typer.echo(f"cannot reach the Prefect API ({error}): is `greencomm up` running?", err=True)
        return 1
    state = flow_run.state
    typer.echo(f"{flow_run.name}: {state.name if state else 'unknown'}")
    if state is None or not state.is_completed():
        typer.echo("the run did not complete: see it in the Prefect UI", err=True)
        return 1
    result = state.result()
    if dry_run:
        _print_preview(result)
    else:
        typer.echo(f"{result}")
    return 0


def _print_preview(result: dict[str, Any]) -> None:
    would_send = result.get("would_send", [])
    typer.echo(f"dry run for {result.get('day')}: {len(would_send)} e-mail(s) would be sent, nothing was sent")
    for mail in would_send:
        typer.echo(f"- {mail['name']} <{mail['to']}>")
        for notice in mail["notices"]:
            due = f" · 截止 {notice['due']}" if notice["due"] else ""
            stage = f"{notice['stage']}#{notice['cycle']}"
            typer.echo(f"    {stage} {notice['item']} · {notice['assignee']}{due} · {notice['why']}")
