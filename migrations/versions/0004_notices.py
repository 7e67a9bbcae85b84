"""claims and extensions; notice keys carry the due day

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def _decision_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", _TEXT(), nullable=True),
        sa.Column("comment", _TEXT(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", _TEXT(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", _TEXT(), nullable=False),
        sa.Column("status", _TEXT(), nullable=False),
        *_decision_columns(),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", _TEXT(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("previous_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("reason", _TEXT(), nullable=False),
        sa.Column("status", _TEXT(), nullable=False),
        *_decision_columns(),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for table in ("claim", "extension"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_campaign_id"), ["campaign_id"], unique=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_assignment_id"), ["assignment_id"], unique=False)
    _rekey_notices()


def _rekey_notices() -> None:
    """Old keys a<id>/<stage>/<cycle> gain the assignment's due day, so a re-run finds them."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT n.id, n.assignment_id, n.stage, n.cycle, a.due FROM notice n "
            "JOIN assignment a ON a.id = n.assignment_id"
        )
    ).all()
    for notice_id, assignment_id, stage, cycle, due in rows:
        key = f"a{assignment_id}/{str(due)[:10]}/{stage}/{cycle}"
        bind.execute(sa.text("UPDATE notice SET key = :key WHERE id = :id"), {"key": key, "id": notice_id})


def downgrade() -> None:
    for table in ("extension", "claim"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_assignment_id"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_campaign_id"))
        op.drop_table(table)
