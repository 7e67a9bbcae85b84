"""One pending claim and one pending extension request per assignment (SPEC §7), and each request's approval run

Partial unique indexes on the pending rows, both backends: two submissions racing each other give one row, and
the second one's insert fails instead of filing a twin. Duplicates already stored (before this migration) keep
their oldest pending row; the younger ones are withdrawn, with a comment saying why.
`approval_run` holds the id of the request's Prefect flow run (the one waiting for a decision).

Revision ID: 0010_one_pending_request
Revises: 0009_handover_backfill
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_one_pending_request"
down_revision = "0009_handover_backfill"
branch_labels = None
depends_on = None

PENDING = {"claim": "pending", "extension": "requested"}
INDEX = {"claim": "one_pending_claim", "extension": "one_pending_extension"}
WITHDRAWN = "系统清理：同一事项已有待审核的申请"


def upgrade() -> None:
    for table, status in PENDING.items():
        op.execute(
            f"UPDATE {table} SET status = 'withdrawn', comment = '{WITHDRAWN}' WHERE status = '{status}' AND id > "
            f"(SELECT MIN(older.id) FROM {table} older WHERE older.assignment_id = {table}.assignment_id "
            f"AND older.status = '{status}')"
        )
        where = sa.text(f"status = '{status}'")
        op.create_index(INDEX[table], table, ["assignment_id"], unique=True, sqlite_where=where, postgresql_where=where)
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("approval_run", sa.String(), nullable=True))


def downgrade() -> None:
    for table in PENDING:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("approval_run")
        op.drop_index(INDEX[table], table_name=table)
