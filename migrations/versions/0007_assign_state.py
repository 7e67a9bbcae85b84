"""assign_state: what a phase's assignments last followed from, so an unchanged day reads nothing more

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignstate",
        sa.Column("campaign_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("phase_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("inputs", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("newest", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "phase_id"),
    )


def downgrade() -> None:
    op.drop_table("assignstate")
