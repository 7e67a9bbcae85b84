"""The rules of SPEC §2-§4: who owns what, which stage is due, who is told, targets; pure."""

from models.engine.rules import (
    Mark,
    TargetResult,
    due_of,
    is_met,
    labels_of,
    latest_marks,
    supervising_offices,
    unmet_standards,
)
from models.engine.targets import target_result, target_shortfall

__all__ = [
    "Mark",
    "TargetResult",
    "due_of",
    "is_met",
    "labels_of",
    "latest_marks",
    "supervising_offices",
    "target_result",
    "target_shortfall",
    "unmet_standards",
]
