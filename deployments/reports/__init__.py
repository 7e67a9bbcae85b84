"""`greencomm status`, `export` and `workbook` on the command line."""

from deployments.reports.sheets_cli import export, workbook
from deployments.reports.status_view import show_status

__all__ = [
    "export",
    "show_status",
    "workbook",
]
