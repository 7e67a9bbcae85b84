"""notice.due: the due day a notice was decided on, kept as a column instead of read back out of its key

Notices stored before this migration get it from their key, `a<assignment id>/<YYYY-MM-DD>/<stage>/<cycle>`;
a 交办 (`a<id>/assigned/0`) and a target's notice (`t<id>/target-missed/0`) name no due day and keep NULL
(the e-mail then reads the assignment's). Done in SQL: a million notices are backfilled in one statement.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The ten characters after the key's first slash, where the key holds a due day there (not `assigned`).
DATED = "key LIKE 'a%/____-__-__/%'"
BACKFILL = {
    "sqlite": f"UPDATE notice SET due = substr(key, instr(key, '/') + 1, 10) WHERE {DATED}",
    "postgresql": f"UPDATE notice SET due = CAST(substr(key, strpos(key, '/') + 1, 10) AS DATE) WHERE {DATED}",
}


def upgrade() -> None:
    op.add_column("notice", sa.Column("due", sa.Date(), nullable=True))
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade() -> None:
    with op.batch_alter_table("notice") as batch:  # SQLite: the table is copied without the column
        batch.drop_column("due")
