"""The campaign mailbox (SPEC §9): messages read as people send them, matched to a unit's open item, or left
waiting as 待分拣 with the reason."""

from models.intake.letters import Attachment, Letter, body_text, decoded, failed_authentication, unescaped
from models.intake.matching import Candidate, Decision, Matched, Unmatched, decide, fill, units_of
from models.intake.reasons import IntakeReason
from models.intake.tables import IntakeCursor, IntakeMessage
from models.intake.triage import Triage, triage_lines, triage_table
from models.intake.wording import receipt

__all__ = [
    "Attachment",
    "Candidate",
    "Decision",
    "IntakeCursor",
    "IntakeMessage",
    "IntakeReason",
    "Letter",
    "Matched",
    "Triage",
    "Unmatched",
    "body_text",
    "decide",
    "decoded",
    "failed_authentication",
    "fill",
    "receipt",
    "triage_lines",
    "triage_table",
    "unescaped",
    "units_of",
]
