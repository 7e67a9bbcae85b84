"""The Prefect environment greencomm runs in: its own PREFECT_HOME under var/, no analytics, our API URL and the
API's auth string. Every command that talks to Prefect (and every process `up` starts) gets it from here."""

from __future__ import annotations

import base64
import os
import secrets
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from models.settings import Settings
from tasks.mail import is_loopback
from tasks.signing import secret_file

AUTH_FILE = "prefect-auth"


def auth_file(settings: Settings) -> Path:
    return settings.var_dir / AUTH_FILE


def auth_source(settings: Settings) -> str:
    """Where the auth string comes from, for the banner: never the string itself."""
    return "GREENCOMM_PREFECT_AUTH" if _from_settings(settings) else str(auth_file(settings))


def prefect_auth(settings: Settings) -> str:
    """GREENCOMM_PREFECT_AUTH, else the string made once in var/prefect-auth (mode 0600). Never printed or logged.

    Made as `greencomm:<random>`: the user:password form the UI's login field suggests and `curl -u` takes.
    """
    return _from_settings(settings) or secret_file(
        auth_file(settings), lambda: f"greencomm:{secrets.token_urlsafe(32)}"
    )


def auth_header(settings: Settings) -> dict[str, str]:
    """Prefect's scheme for a plain HTTP call: `Authorization: Basic base64(auth string)`, the string whole."""
    return {"Authorization": "Basic " + base64.b64encode(prefect_auth(settings).encode()).decode()}


def _from_settings(settings: Settings) -> str:
    return settings.prefect_auth.get_secret_value().strip() if settings.prefect_auth is not None else ""


def prefect_environment(settings: Settings) -> dict[str, str]:
    """What every process talking to Prefect needs: where the API is and the auth string it sends."""
    home = (settings.var_dir / "prefect").resolve()
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": settings.api_url,
        "PREFECT_API_AUTH_STRING": prefect_auth(settings),
        "PREFECT_UI_API_URL": f"{settings.ui_url}/api",  # what the UI in a browser calls
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": settings.prefect_host,
        "PREFECT_SERVER_API_PORT": str(settings.prefect_port),
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
    }


def server_environment(settings: Settings) -> dict[str, str]:
    """What `up`'s Prefect server adds: the auth string required on every call but the health check, CSRF tokens
    for every change (so a web page cannot post with a supervisor's stored login), and no other web origin."""
    return prefect_environment(settings) | {
        "PREFECT_SERVER_API_AUTH_STRING": prefect_auth(settings),
        "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true",
        "PREFECT_SERVER_CORS_ALLOWED_ORIGINS": settings.ui_url,
    }


def use_prefect_environment(settings: Settings) -> None:
    """Set for every child this process starts; this process's own Prefect calls go through prefect_calls()."""
    os.environ.update(prefect_environment(settings))


def exposure_problem(settings: Settings) -> str | None:
    """Beyond loopback only behind TLS: the desk's links carry its tokens, the UI's calls the auth string."""
    if not is_loopback(settings.desk_host) and not (settings.desk_url or "").startswith("https://"):
        return (
            f"GREENCOMM_DESK_HOST={settings.desk_host} is not loopback: put the desk behind a TLS proxy and set "
            "GREENCOMM_DESK_URL to its https:// address first (see README)"
        )
    if not is_loopback(settings.prefect_host) and not (settings.prefect_url or "").startswith("https://"):
        return (
            f"GREENCOMM_PREFECT_HOST={settings.prefect_host} is not loopback: put the Prefect UI behind a TLS proxy "
            "and set GREENCOMM_PREFECT_URL to its https:// address first (see README)"
        )
    return None


def prefect_calls() -> AbstractContextManager[Any]:
    """Prefect reads its settings once, when it is imported, and greencomm's commands import it before
    use_prefect_environment() sets PREFECT_API_URL and the auth string: without this, a call from such a process
    (`trigger`, `deploy`, the desk in `up` starting or resuming an approval run) would start a temporary server of
    its own. Scoped, not Prefect's process-wide settings: a command run inside another process (the tests') leaves
    that process's Prefect as it was. Elsewhere (a flow run, the tests' harness) it changes nothing."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return nullcontext()
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    return temporary_settings(updates={PREFECT_API_URL: url, PREFECT_API_AUTH_STRING: auth})
