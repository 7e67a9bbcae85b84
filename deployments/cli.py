"""The `greencomm` command line (SPEC §5). Bad input: one line per problem on stderr, exit status 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from deployments.cli_common import cli_actor, live_plan, parse_day
from deployments.console import RUN_FAILED, CommandGroup, checked_plan, fail, fail_file, progress
from deployments.desk import desk
from deployments.intake import intake
from deployments.ops import backup, restore_command
from deployments.plan_file import plan_path
from deployments.reports import export, workbook
from models.records import HEADER, ProgressError, parse_rows
from models.settings import Settings
from tasks.db import session_scope, upgrade
from tasks.records import CHUNK, apply_rows, read_table
from tasks.reports import status as status_data
from tasks.store import sync_plan, today_in

app = typer.Typer(cls=CommandGroup, no_args_is_help=True, add_completion=False, help="greencomm: 绿色社区创建行动督办")
plan_app = typer.Typer(no_args_is_help=True, help="plan files")
db_app = typer.Typer(no_args_is_help=True, help="the database")
communities_app = typer.Typer(no_args_is_help=True, help="the community roster")
app.add_typer(communities_app, name="communities")
app.add_typer(plan_app, name="plan")
app.add_typer(db_app, name="db")
app.add_typer(intake, name="intake")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@plan_app.command("check")
def plan_check(
    file: Annotated[Path, typer.Argument(help="plan YAML file")],
    as_json: Annotated[bool, typer.Option("--json", help="print the normalised plan")] = False,
) -> None:
    """Validate a plan file; exit 2 with one line per problem."""
    plan = checked_plan(file)
    if as_json:
        print_json(plan.model_dump(mode="json", by_alias=True))
    else:
        typer.echo(
            f"{file}: ok ({len(plan.phases)} phases, {len(plan.items())} items, {len(plan.communities)} communities)"
        )


@plan_app.command("load")
def plan_load(
    file: Annotated[Path | None, typer.Argument(help="plan YAML (default: GREENCOMM_PLAN)")] = None,
) -> None:
    """Load or update the campaign in the database in place (audited)."""
    settings = Settings()
    plan = checked_plan(plan_path(settings, file))
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        change = sync_plan(session, plan, actor=cli_actor(), now=datetime.now(UTC))
    typer.echo(f"{plan.campaign.id}: " + (json.dumps(change, ensure_ascii=False) if change else "unchanged"))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest migration."""
    settings = Settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@app.command()
def record(file: Annotated[Path, typer.Argument(help="progress rows (.csv, .xlsx) or a greencomm workbook")]) -> None:
    """Apply progress rows (complete / select / assess / claim / confirm / reject / extend), all or nothing; also an
    assignee's workbook (`greencomm workbook`)."""
    from tasks.records import is_assignee_workbook, read_workbook

    settings = Settings()
    plan = live_plan(settings)
    now = datetime.now(UTC)
    try:
        if is_assignee_workbook(file):
            rows, read_as = read_workbook(file, plan), "greencomm workbook"
        else:
            table = read_table(file, HEADER)
            rows, read_as = parse_rows(table.rows, plan, today=today_in(plan, now)), table.read_as
        with (
            session_scope(settings.database_url) as session,
            progress("record", len(rows) // CHUNK + 1, every=1) as step,
        ):
            count = apply_rows(
                session, plan.campaign.id, rows, actor=cli_actor(), now=now, source=str(file), advance=step
            )
    except ProgressError as error:  # rows, or claims and extensions the assignments refuse: nothing kept
        fail_file(file, error.problems)
    typer.echo(f"{file}: {count} rows recorded for {plan.campaign.id} (read as {read_as})")


@communities_app.command("import")
def communities_import(file: Annotated[Path, typer.Argument(help="roster .csv or .xlsx")]) -> None:
    """Replace the campaign's communities with a roster (id,name,contact_name,contact_email,head_name,head_email)."""
    from models.plan import cross_check
    from models.records import ROSTER_HEADER, parse_roster, with_roster

    settings = Settings()
    plan = live_plan(settings)
    try:
        roster = parse_roster(read_table(file, ROSTER_HEADER).rows)
    except ProgressError as error:
        fail_file(file, error.problems)
    updated = with_roster(plan, roster)
    if problems := list(cross_check(updated)):
        fail([f"{file}: {line}" for line in problems])
    with session_scope(settings.database_url) as session:
        change = sync_plan(session, updated, actor=cli_actor(), now=datetime.now(UTC))
    typer.echo(
        f"{file}: {len(roster)} communities imported for {plan.campaign.id} "
        f"(+{len(change.get('communities_added', []))} −{len(change.get('communities_removed', []))})"
    )


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """Assignments, overdue items, targets and the standards matrix."""
    from deployments.reports import show_status
    from tasks.ops import rest_day_of

    settings = Settings()
    plan = live_plan(settings)
    day = parse_day(as_of, plan, "--as-of")
    with session_scope(settings.database_url) as session:
        data = status_data(session, plan, day)
        resting = rest_day_of(session, plan, day)
    if as_json:
        print_json(data.to_json() | {"rest_day": resting.to_json() if resting else None})
    else:
        show_status(plan, data, resting.text if resting else None)


@app.command()
def simulate(
    file: Annotated[Path, typer.Argument(help="plan YAML file")],
    first: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD")],
    events: Annotated[Path | None, typer.Option("--events", help="progress rows CSV/XLSX")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="write the JSON report here")] = None,
    sink: Annotated[Path | None, typer.Option("--sink", help="deliver to a local SMTP sink saving .eml here")] = None,
    smtp: Annotated[str | None, typer.Option("--smtp", help="deliver to HOST:PORT")] = None,
) -> None:
    """Replay the campaign day by day on a fresh database."""
    from deployments.simulate_cli import simulate_command

    simulate_command(file, first, last, events=events, report=report, sink=sink, smtp=smtp)


@app.command()
def resend(
    message_ids: Annotated[list[str] | None, typer.Argument(help="Message-IDs of dead letters")] = None,
    every: Annotated[bool, typer.Option("--all", help="every dead letter of the campaign")] = False,
) -> None:
    """Put dead letters back in the outbox, same Message-ID; the next run of their phase sends them."""
    from tasks.mail import dead_letters
    from tasks.mail import resend as resend_rows

    if bool(message_ids) == every:
        fail(["resend: give MESSAGE-ID… or --all (one of them)"])
    wanted = None if every else [m if m.startswith("<") else f"<{m.strip()}>" for m in message_ids or []]
    settings = Settings()
    plan = live_plan(settings)
    with session_scope(settings.database_url) as session:
        known = {row.message_id for row in dead_letters(session, plan.campaign.id)}
        if unknown := [m for m in wanted or [] if m not in known]:
            fail([f"MESSAGE-ID: {m} is not an undeliverable e-mail of {plan.campaign.id}" for m in unknown])
        rows = resend_rows(session, plan.campaign.id, wanted)
    for row in rows:
        typer.echo(f"{row.message_id} {row.recipient}: pending again, sent by the next {row.phase_id} run")
    typer.echo(f"{len(rows)} e-mail(s) back in the outbox", err=True)


@app.command()
def up(
    file: Annotated[Path | None, typer.Argument(help="plan YAML (default: GREENCOMM_PLAN)")] = None,
    rebase: Annotated[str | None, typer.Option("--rebase", help="DATE, today, or auto (shift a past plan)")] = None,
    external_server: Annotated[
        bool, typer.Option("--external-server", help="use the Prefect server already at GREENCOMM_PREFECT_HOST:PORT")
    ] = False,
) -> None:
    """The main job: database, local Prefect server and UI, SMTP sink, served deployments."""
    from deployments.ops import port_problems, run_up
    from deployments.prefect_env import exposure_problem, use_prefect_environment

    settings = Settings()
    plan = checked_plan(plan_path(settings, file))
    if rebase not in (None, "auto", "today"):
        parse_day(rebase, plan, "--rebase")
    if problem := exposure_problem(settings):
        fail([problem])
    if problems := port_problems(settings, external_server):
        fail(problems)
    use_prefect_environment(settings)
    try:
        run_up(settings, plan, rebase, external_server)
    except (RuntimeError, OSError) as error:  # a port taken meanwhile, a server that would not start
        fail([f"up: {error}"], RUN_FAILED)


@app.command()
def trigger(
    phase: Annotated[str, typer.Argument(help="phase id, e.g. pilot")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show who would be notified; send nothing")] = False,
) -> None:
    """Run a phase now through its deployment (needs `greencomm up` running)."""
    from deployments.prefect_env import prefect_calls, use_prefect_environment
    from deployments.trigger import run_trigger

    settings = Settings()
    plan = live_plan(settings)
    if phase not in [p.id for p in plan.phases]:
        fail([f"PHASE: {phase!r} is not a phase of {plan.campaign.id} ({', '.join(p.id for p in plan.phases)})"])
    day = parse_day(as_of, plan, "--as-of") if as_of else None
    use_prefect_environment(settings)
    with prefect_calls():
        status = run_trigger(plan, phase, day, dry_run)
    raise typer.Exit(status)


@app.command()
def deploy(
    file: Annotated[Path | None, typer.Argument(help="plan YAML (default: GREENCOMM_PLAN)")] = None,
    pool: Annotated[str, typer.Option("--pool", help="Prefect process work pool (created if missing)")] = "greencomm",
) -> None:
    """Register the campaign's deployments on a process work pool, for `prefect worker start` to run."""
    from deployments.prefect_env import prefect_calls, use_prefect_environment

    settings = Settings()
    plan = live_plan(settings, file)
    use_prefect_environment(settings)
    import httpx

    from deployments.deploy import deploy_to_pool, ensure_pool

    try:
        with prefect_calls():
            typer.echo(f"work pool {pool}: " + ("created" if ensure_pool(pool) else "exists"))
            for name in deploy_to_pool(plan, pool):
                typer.echo(f"deployed {name} to {pool}")
    except ValueError as error:
        fail([str(error)])
    except (httpx.HTTPError, OSError) as error:
        fail([f"cannot reach the Prefect API at {settings.api_url} ({error})"], RUN_FAILED)


app.command()(export)
app.command()(backup)
app.command("restore")(restore_command)
app.command()(workbook)
app.command()(desk)


def main() -> None:
    """Entry point."""
    app(prog_name="greencomm")


if __name__ == "__main__":  # `python -W error::FutureWarning -m deployments.cli …`
    main()
