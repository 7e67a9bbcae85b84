"""The desk's web app (FastAPI) and how it is served."""

from deployments.desk.cli import desk
from deployments.desk.server import start_desk

__all__ = [
    "desk",
    "start_desk",
]
