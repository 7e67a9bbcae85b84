"""The day's work against the database: assign, check completion, escalate (SPEC §2-§4)."""

from tasks.engine.completion import assessment_marks, check_completion
from tasks.engine.escalate import escalate, store_due_notices, target_inputs
from tasks.engine.work import assign

__all__ = [
    "assessment_marks",
    "assign",
    "check_completion",
    "escalate",
    "store_due_notices",
    "target_inputs",
]
