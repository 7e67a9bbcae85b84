"""Status, the weekly report, the monthly circular, artifacts, charts and the city's workbook."""

from tasks.reports.artifacts import DEAD, artifact_key, dead_letter_table, publish
from tasks.reports.circular import CIRCULAR, circular_markdown, store_circular
from tasks.reports.export import DATE_FORMAT, save_atomically
from tasks.reports.report import full_report
from tasks.reports.status import status
from tasks.reports.weekly import REPORT, store_report

__all__ = [
    "CIRCULAR",
    "DATE_FORMAT",
    "DEAD",
    "REPORT",
    "artifact_key",
    "circular_markdown",
    "dead_letter_table",
    "full_report",
    "publish",
    "save_atomically",
    "status",
    "store_circular",
    "store_report",
]
