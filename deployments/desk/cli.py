"""`greencomm desk`: the desk served alone (a server set-up, behind a TLS proxy); `up` serves it too."""

from __future__ import annotations

import typer

from deployments.console import fail
from models.settings import Settings
from tasks.db import upgrade


def desk() -> None:
    """Serve the desk alone (the pages the links in e-mails open), e.g. on a server behind a TLS proxy."""
    from deployments.approvals import start_approval
    from deployments.desk.server import desk_exposure_problem, desk_server
    from deployments.prefect_env import use_prefect_environment

    settings = Settings()
    if problem := desk_exposure_problem(settings):
        fail([problem])
    upgrade(settings.database_url)
    use_prefect_environment(settings)
    typer.echo(f"办理台 desk: {settings.desk_base}")
    desk_server(settings, start_approval).run()
