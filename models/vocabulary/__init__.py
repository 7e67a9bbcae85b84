"""The core vocabulary: the value types every feature speaks (assignee keys, item owners, stages, notice keys,
roles, statuses). Nothing else formats or splits these strings by hand (tests/test_vocabulary.py checks it)."""

from models.vocabulary.notices import ASSIGNMENT_PREFIX, NoticeKey
from models.vocabulary.owners import Owner, OwnerKind
from models.vocabulary.roles import Role
from models.vocabulary.stages import ASSIGNED, EXTENDED, TARGET_MISSED, Level, Stage, StageKind
from models.vocabulary.statuses import ClaimStatus, ExtensionStatus, IntakeStatus, OutboxStatus
from models.vocabulary.units import AssigneeKey, UnitKind, address_key, assignee_sql, keys_of, kind_of, ref_of

__all__ = [
    "ASSIGNED",
    "ASSIGNMENT_PREFIX",
    "EXTENDED",
    "TARGET_MISSED",
    "AssigneeKey",
    "ClaimStatus",
    "ExtensionStatus",
    "IntakeStatus",
    "Level",
    "NoticeKey",
    "OutboxStatus",
    "Owner",
    "OwnerKind",
    "Role",
    "Stage",
    "StageKind",
    "UnitKind",
    "address_key",
    "assignee_sql",
    "keys_of",
    "kind_of",
    "ref_of",
]
