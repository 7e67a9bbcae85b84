"""materials (SPEC §8): the files handed in with claims and highlights, and the highlights

Revision ID: 0011_materials
Revises: 0010_one_pending_request
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011_materials"
down_revision = "0010_one_pending_request"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "highlight",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", TEXT(), nullable=False),
        sa.Column("item_id", TEXT(), nullable=False),
        sa.Column("assignee", TEXT(), nullable=False),
        sa.Column("title", TEXT(), nullable=False),
        sa.Column("text", TEXT(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("submitted_by", TEXT(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_highlight_campaign_id", "highlight", ["campaign_id"])
    op.create_table(
        "materialfile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", TEXT(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("highlight_id", sa.Integer(), nullable=True),
        sa.Column("material", TEXT(), nullable=False),
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("mime", TEXT(), nullable=False),
        sa.Column("sha256", TEXT(), nullable=False),
        sa.Column("uploaded_by", TEXT(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"]),
        sa.ForeignKeyConstraint(["highlight_id"], ["highlight.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("campaign_id", "assignment_id", "claim_id", "highlight_id", "sha256"):
        op.create_index(f"ix_materialfile_{column}", "materialfile", [column])


def downgrade() -> None:
    op.drop_table("materialfile")
    op.drop_table("highlight")
