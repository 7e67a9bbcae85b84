"""indexes for a day's run: open work of a phase, a phase's notices not yet in the outbox, pending reports

A run reads the open assignments of one phase, the notices of one phase not yet composed, and the completion
reports not yet applied; at a province's size (a million assignments) these need their own indexes.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_assignment_open_work": ("assignment", ["campaign_id", "phase_id", "completed_on", "due"]),
    "ix_notice_to_compose": ("notice", ["campaign_id", "phase_id", "outbox_done"]),
    "ix_completionreport_pending": ("completionreport", ["campaign_id", "assignment_id", "day"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
