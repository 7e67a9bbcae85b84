"""The campaign mailbox (SPEC §9): read over IMAP, each message registered once, filed as a claim or a highlight,
or left as 待分拣 until a person assigns or ignores it."""

from tasks.intake.filing import INTAKE
from tasks.intake.mailbox import MailboxConfig
from tasks.intake.reading import Pass, read_mailbox
from tasks.intake.register import triage, waiting_row
from tasks.intake.settle import assign, ignore

__all__ = [
    "INTAKE",
    "MailboxConfig",
    "Pass",
    "assign",
    "ignore",
    "read_mailbox",
    "triage",
    "waiting_row",
]
