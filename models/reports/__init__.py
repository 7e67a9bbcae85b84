"""Where the campaign stands, and the weekly report's and monthly circular's arithmetic; pure."""

from models.reports.sending_days import (
    CIRCULAR_DAYS,
    WEEKLY_ON,
    circular_until,
    is_circular_day,
    is_report_day,
    weekly_until,
)
from models.reports.standing import Answer, AssignmentRow, Overdue, dead_letter

__all__ = [
    "CIRCULAR_DAYS",
    "WEEKLY_ON",
    "Answer",
    "AssignmentRow",
    "Overdue",
    "circular_until",
    "dead_letter",
    "is_circular_day",
    "is_report_day",
    "weekly_until",
]
