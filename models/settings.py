"""The one settings class: environment variables (or `.env`) with the GREENCOMM_ prefix."""

from __future__ import annotations

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
    sink_port: Port = 2525

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        self.database_url = normalise_url(self.database_url or f"sqlite:///{self.var_dir / 'greencomm.db'}")
        return self

    @property
    def api_url(self) -> str:
        host = f"[{self.prefect_host}]" if ":" in self.prefect_host else self.prefect_host
        return f"http://{host}:{self.prefect_port}/api"


def normalise_url(url: str) -> str:
    """postgresql:// means psycopg 3 (the driver we install), not psycopg2."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
