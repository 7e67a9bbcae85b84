"""The one settings class: environment variables (or `.env`) with the GREENCOMM_ prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "deployments" / "plans" / "qingyang-2022.yaml"


class Settings(BaseSettings):
    """Where the database, the plan and the mail server are; secrets stay SecretStr."""

    model_config = SettingsConfigDict(env_prefix="GREENCOMM_", env_file=".env", extra="ignore")

    database_url: str = ""  # empty: SQLite at <var_dir>/greencomm.db
    plan: Path = DEFAULT_PLAN
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 30.0
    smtp_concurrency: int = 4
    smtp_budget: float = 120.0  # seconds a run may spend delivering; what is left waits for the next run
    smtp_give_up_after: int = 5  # runs that each failed for now (4xx) before an e-mail becomes a dead letter
    delivery_retry_delays: list[float] = [5.0, 30.0]  # seconds between the deliver task's retries
    mail_from: str = "greencomm@localhost"
    var_dir: Path = Path("var")
    prefect_host: str = "127.0.0.1"
    prefect_port: int = 4200
    sink_port: int = 2525

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'greencomm.db'}"
        return self

    @property
    def api_url(self) -> str:
        host = f"[{self.prefect_host}]" if ":" in self.prefect_host else self.prefect_host
        return f"http://{host}:{self.prefect_port}/api"
