"""The plan (SPEC §1): its schema, field types and cross-checks, working days, rehearsals."""

from models.plan.checks import PlanError, cross_check, field_path, normalise, parse_plan
from models.plan.fields import STORED
from models.plan.item_checks import yearly_dues
from models.plan.rehearsal import current_phase, rebase, rehearsal_notes, rehearsal_shift
from models.plan.schema import (
    Community,
    Escalation,
    Item,
    Material,
    MaterialKind,
    Office,
    Phase,
    Plan,
    Seat,
    Standard,
    Target,
)
from models.plan.workcal import WorkCalendar, local_day

__all__ = [
    "STORED",
    "Community",
    "Escalation",
    "Item",
    "Material",
    "MaterialKind",
    "Office",
    "Phase",
    "Plan",
    "PlanError",
    "Seat",
    "Standard",
    "Target",
    "WorkCalendar",
    "cross_check",
    "current_phase",
    "field_path",
    "local_day",
    "normalise",
    "parse_plan",
    "rebase",
    "rehearsal_notes",
    "rehearsal_shift",
    "yearly_dues",
]
