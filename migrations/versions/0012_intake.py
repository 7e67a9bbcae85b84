"""The campaign mailbox (SPEC §9): how far each folder was read, and every message registered from it.

Revision ID: 0012_intake
Revises: 0011_materials
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_intake"
down_revision = "0011_materials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intakecursor",
        sa.Column("campaign_id", sa.String(), sa.ForeignKey("campaign.id"), primary_key=True),
        sa.Column("folder", sa.String(), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "intakemessage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.String(), sa.ForeignKey("campaign.id"), nullable=False, index=True),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignment.id"), nullable=True),
        sa.Column("item_id", sa.String(), nullable=True),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("settled_by", sa.String(), nullable=True),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("campaign_id", "fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("intakemessage")
    op.drop_table("intakecursor")
