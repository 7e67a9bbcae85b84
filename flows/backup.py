"""`campaign-backup`: every working day, the database and the stored materials into GREENCOMM_BACKUP_DIR."""

from __future__ import annotations

from datetime import date

from prefect import flow

from tasks.prefect_tasks import backup_due, make_backup, resolve_day


@flow(name="campaign-backup", flow_run_name="campaign-backup {campaign_id}")
def campaign_backup(campaign_id: str, as_of: date | None = None) -> str | None:
    """备份: one archive a working day (`greencomm backup`), the newest GREENCOMM_BACKUP_KEEP kept; None on a
    rest day."""
    day = resolve_day(campaign_id, as_of)
    if not backup_due(campaign_id, day):
        return None
    return str(make_backup(campaign_id))
