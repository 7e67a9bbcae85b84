"""Claims and extensions filed, decided and audited; the approval runs' steps (SPEC §2, §7)."""

from tasks.approvals.claim_files import FileLine, claim_files
from tasks.approvals.deciding import CLAIM_FIRST, DESK, Applied, overdue_decisions
from tasks.approvals.deciding import decide as decide_and_notify
from tasks.approvals.decision_rows import apply_decisions
from tasks.approvals.decisions import pending_claim
from tasks.approvals.dossiers import dossier_of, filings, is_waiting, record_run
from tasks.approvals.requests import (
    Filed,
    audit_request,
    decide,
    desk_actor,
    file_claim,
    pending_extension,
    request_extension,
    request_of,
    request_row,
    waiting_requests,
)
from tasks.approvals.runs import start_run
from tasks.approvals.steps import Prepared, apply_decision, claim_first, prepare_decision, publish_pending

__all__ = [
    "CLAIM_FIRST",
    "DESK",
    "Applied",
    "FileLine",
    "Filed",
    "Prepared",
    "apply_decision",
    "apply_decisions",
    "audit_request",
    "claim_files",
    "claim_first",
    "decide",
    "decide_and_notify",
    "desk_actor",
    "dossier_of",
    "file_claim",
    "filings",
    "is_waiting",
    "overdue_decisions",
    "pending_claim",
    "pending_extension",
    "prepare_decision",
    "publish_pending",
    "record_run",
    "request_extension",
    "request_of",
    "request_row",
    "start_run",
    "waiting_requests",
]
