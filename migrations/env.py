"""Alembic environment: runs against the engine greencomm hands over (tasks.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import models.intake
import models.tables  # noqa: F401
from models.settings import normalise_url

config = context.config
# greencomm hands its engine over; the alembic command line gives a URL instead
engine = config.attributes.get("engine") or create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    # where this upgrade started: a backfill may depend on what the database held before (0009)
    config.attributes["upgraded_from"] = context.get_context().get_current_revision()
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
