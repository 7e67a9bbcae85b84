"""交办 backfill: assignments handed over before the 交办 stage existed are marked as handed over

Migration 0004 brought the 交办 stage (one notice keyed `a<id>/assigned/0` per assignment, stored when its
phase's run first sees it; that stored key is what marks the handover as done). A database from before it holds
no such notice, so its first run after the upgrade sent a 交办 for every open assignment, months late. This stores
the key for each assignment of such a campaign as already composed (`outbox_done`, no recipients): no e-mail
goes out for it; assignments made after the upgrade get their 交办 as usual.

A campaign is from before 交办 when it holds no 交办 notice at all and either this upgrade starts below 0004 or
it holds other notices (a database upgraded in two steps). A campaign of 0004 or later that has made
assignments but run no working day yet holds no notice, and keeps its first 交办.

Revision ID: 0009_handover_backfill
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0009_handover_backfill"
down_revision = "0008"
branch_labels = None
depends_on = None

BEFORE_HANDOVER = {"0001", "0002"}  # the revisions whose code had no 交办 stage

BACKFILL = """
INSERT INTO notice (campaign_id, key, phase_id, day, item_id, assignee, assignment_id, target_id, stage, cycle,
                    recipients, roles, overdue_days, outbox_done, due)
SELECT a.campaign_id, 'a' || CAST(a.id AS VARCHAR) || '/assigned/0', a.phase_id, a.assigned_on, a.item_id,
       a.assignee, a.id, NULL, 'assigned', 0, '[]', '{}', 0, true, NULL
FROM assignment a
WHERE NOT EXISTS (SELECT 1 FROM notice h WHERE h.campaign_id = a.campaign_id AND h.stage = 'assigned')
  AND (:before OR EXISTS (SELECT 1 FROM notice o WHERE o.campaign_id = a.campaign_id))
"""


def upgrade() -> None:
    before = context.config.attributes.get("upgraded_from") in BEFORE_HANDOVER
    op.get_bind().execute(sa.text(BACKFILL), {"before": before})


def downgrade() -> None:
    """The markers stay: they are true (those assignments were handed over) and harmless to older code."""
