"""The Prefect environment greencomm runs in: its own PREFECT_HOME under var/, no analytics, our API URL."""

from __future__ import annotations

import os

from models.settings import Settings
from tasks.mailsink import is_loopback


def prefect_environment(settings: Settings) -> dict[str, str]:
    home = (settings.var_dir / "prefect").resolve()
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": settings.api_url,
        "PREFECT_UI_API_URL": settings.api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": settings.prefect_host,
        "PREFECT_SERVER_API_PORT": str(settings.prefect_port),
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
    }


def use_prefect_environment(settings: Settings) -> None:
    """Set before Prefect is imported, so this process and every child it starts agree."""
    os.environ.update(prefect_environment(settings))


def exposure_problem(settings: Settings) -> str | None:
    """Listening beyond loopback needs an auth string, or anyone on the network could run the flows.

    The desk beyond loopback needs TLS in front (GREENCOMM_DESK_URL https://…): its links carry the tokens.
    """
    if not is_loopback(settings.desk_host) and not (settings.desk_url or "").startswith("https://"):
        return (
            f"GREENCOMM_DESK_HOST={settings.desk_host} is not loopback: put the desk behind a TLS proxy and set "
            "GREENCOMM_DESK_URL to its https:// address first (see README)"
        )
    if is_loopback(settings.prefect_host) or os.environ.get("PREFECT_SERVER_API_AUTH_STRING"):
        return None
    return (
        f"GREENCOMM_PREFECT_HOST={settings.prefect_host} is not loopback: set PREFECT_SERVER_API_AUTH_STRING "
        "(and PREFECT_API_AUTH_STRING for clients) first, and put TLS in front (see README)"
    )
