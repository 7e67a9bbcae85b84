"""The one settings class: environment variables (or `.env`) with the GREENCOMM_ prefix."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    """Where the database, the plan and the mail server are; secrets stay SecretStr."""

    model_config = SettingsConfigDict(env_prefix="GREENCOMM_", env_file=".env", extra="ignore")

    database_url: str = ""  # empty: SQLite at <var_dir>/greencomm.db
    plan: Path | None = None  # empty: the plan `deployments` ships
    smtp_host: str | None = None
    smtp_port: Port = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: Annotated[float, Field(gt=0)] = 30.0
    smtp_concurrency: Annotated[int, Field(ge=1)] = 4
    smtp_budget: Annotated[float, Field(gt=0)] = 120.0  # seconds a run may spend delivering; the rest waits
    smtp_give_up_after: Annotated[int, Field(ge=1)] = 5  # runs failing for now (4xx) before a dead letter
    mail_from: str = "greencomm@localhost"
    var_dir: Path = Path("var")
    prefect_host: str = "127.0.0.1"
    prefect_port: Port = 4200
    prefect_auth: SecretStr | None = None  # the Prefect API's auth string; unset: made once under var/prefect-auth
    prefect_url: str | None = None  # where supervisors open the UI (a TLS proxy); unset: http://host:port
    sink_port: Port = 2525
    secret_key: SecretStr | None = None  # signs the desk's links; unset: made once under var/desk-secret
    desk_url: str | None = None  # the address links in e-mails use; unset: no links unless `up` serves the desk
    desk_host: str = "127.0.0.1"
    desk_port: Port = 4201
    files_dir: Path = Path()  # the stored materials; unset: <var_dir>/files
    backup_dir: Path = (
        Path()
    )  # where `greencomm backup` and the campaign-backup deployment write; unset: <var_dir>/backups
    backup_keep: Annotated[int, Field(ge=1)] = 30  # archives the campaign-backup deployment keeps
    approval_timeout_days: Annotated[int, Field(ge=1, le=60)] = 3  # working days a request waits for a decision
    upload_max_mb: Annotated[int, Field(ge=1, le=2048)] = 50  # per file; a claim carries at most five times this
    upload_timeout_seconds: Annotated[float, Field(gt=0)] = 600.0  # one upload request's deadline (slow clients)
    # the campaign mailbox (SPEC §9): read when a host is set; plain IMAP only on this machine
    intake_imap_host: str | None = None
    intake_imap_port: Port | None = None  # unset: 993 (tls), 143 (starttls, plain)
    intake_imap_security: Literal["tls", "starttls", "plain"] = "tls"
    intake_imap_username: str | None = None
    intake_imap_password: SecretStr | None = None  # QQ Mail, 163: the app authorisation code, not the password
    intake_imap_folder: str = "INBOX"
    intake_done_folder: str | None = None  # handled messages are moved here; unset: the mailbox is never changed

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        self.database_url = normalise_url(self.database_url or f"sqlite:///{self.var_dir / 'greencomm.db'}")
        if "files_dir" not in self.model_fields_set:
            self.files_dir = self.var_dir / "files"
        if "backup_dir" not in self.model_fields_set:
            self.backup_dir = self.var_dir / "backups"
        return self

    @model_validator(mode="after")
    def _intake_over_tls(self) -> Settings:
        host = self.intake_imap_host
        if host and self.intake_imap_security == "plain" and not _loopback(host):
            raise ValueError("GREENCOMM_INTAKE_IMAP_SECURITY=plain is for a server on this machine only: use tls")
        if host and not (self.intake_imap_username and self.intake_imap_password):
            raise ValueError("GREENCOMM_INTAKE_IMAP_HOST is set: set GREENCOMM_INTAKE_IMAP_USERNAME and _PASSWORD too")
        return self

    @property
    def intake_port(self) -> int:
        return self.intake_imap_port or (993 if self.intake_imap_security == "tls" else 143)

    @property
    def api_url(self) -> str:
        host = f"[{self.prefect_host}]" if ":" in self.prefect_host else self.prefect_host
        return f"http://{host}:{self.prefect_port}/api"

    @property
    def ui_url(self) -> str:
        """Where browsers open the Prefect UI: GREENCOMM_PREFECT_URL, else the server `up` runs (API under /api)."""
        return (self.prefect_url or self.api_url.removesuffix("/api")).rstrip("/")

    @property
    def desk_base(self) -> str:
        """Where links point: GREENCOMM_DESK_URL, else the desk `up` serves on this machine."""
        host = f"[{self.desk_host}]" if ":" in self.desk_host else self.desk_host
        return (self.desk_url or f"http://{host}:{self.desk_port}").rstrip("/")


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_url(url: str) -> str:
    """postgresql:// means psycopg 3 (the driver we install), not psycopg2."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
