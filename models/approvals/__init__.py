"""Deciding claims and extension requests (SPEC §7): requests, who decides, what they see, receipts; pure."""

from models.approvals.dossier import (
    COMMENT_LIMIT,
    CheckedDecision,
    Decider,
    DecisionInput,
    Dossier,
    Earlier,
    deciders,
    decision_form,
    dossier_markdown,
    dossier_rows,
    form_description,
    run_name,
    time_left,
)
from models.approvals.receipts import KIND_TEXT, Kind, Outcome, Request

__all__ = [
    "COMMENT_LIMIT",
    "KIND_TEXT",
    "CheckedDecision",
    "Decider",
    "DecisionInput",
    "Dossier",
    "Earlier",
    "Kind",
    "Outcome",
    "Request",
    "deciders",
    "decision_form",
    "dossier_markdown",
    "dossier_rows",
    "form_description",
    "run_name",
    "time_left",
]
