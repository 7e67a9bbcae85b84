"""The database: a campaign, who is in it, the work assigned, what was recorded, what was sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.vocabulary import ClaimStatus, ExtensionStatus, OutboxStatus


class Campaign(SQLModel, table=True):
    """One plan loaded; `plan` is its normalised JSON, replaced in place when the plan changes."""

    id: str = Field(primary_key=True)
    name: str
    timezone: str
    plan: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    plan_digest: str
    rehearsal_shift_days: int = 0
    loaded_at: datetime


class Assignment(SQLModel, table=True):
    """One (item, assignee, occurrence); occurrence is the year for yearly items, else 0."""

    __table_args__ = (UniqueConstraint("campaign_id", "item_id", "assignee", "occurrence"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    item_id: str
    phase_id: str = Field(index=True)
    assignee: str  # an AssigneeKey: "community:<id>" or "office:<id>"
    occurrence: int = 0
    due: date
    assigned_on: date
    completed_on: date | None = None


class ListMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "list_id", "community_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    list_id: str
    community_id: str
    since: date


class Assessment(SQLModel, table=True):
    """A standard assessed for a community: 'met', 'unmet' or a number (measured standards)."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    community_id: str
    standard_id: int
    day: date
    value: str


class CompletionReport(SQLModel, table=True):
    """An owner's 'done' for a task item; applied to the earliest open occurrence once it exists."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    item_id: str
    assignee: str
    day: date
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id")


def _one_pending(name: str, status: str) -> Index:
    where = text(f"status = '{status}'")
    return Index(name, "assignment_id", unique=True, sqlite_where=where, postgresql_where=where)


class Claim(SQLModel, table=True):
    """办结申报: an assignee says a task is done; pending until confirmed or rejected (SPEC §2).

    At most one pending claim per assignment (SPEC §7), enforced by a partial unique index (migration 0010)."""

    __table_args__ = (_one_pending("one_pending_claim", ClaimStatus.PENDING),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    day: date
    note: str = ""
    status: str = ClaimStatus.PENDING.value  # a ClaimStatus
    decided_on: date | None = None
    decided_by: str | None = None
    comment: str = ""
    approval_run: str | None = None  # the id of the Prefect flow run waiting for the decision


class Extension(SQLModel, table=True):
    """延期: a later due day for one assignment, from `day` on once approved (SPEC §2); one requested at a time."""

    __table_args__ = (_one_pending("one_pending_extension", ExtensionStatus.REQUESTED),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    day: date
    previous_due: date
    new_due: date
    reason: str = ""
    status: str = ExtensionStatus.REQUESTED.value  # an ExtensionStatus
    decided_on: date | None = None
    decided_by: str | None = None
    comment: str = ""
    approval_run: str | None = None  # the id of the Prefect flow run waiting for the decision


class Notice(SQLModel, table=True):
    """Stored once per (assignment, due day, stage, cycle) or target: the guard against a second notice."""

    __table_args__ = (UniqueConstraint("campaign_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    key: str  # a NoticeKey: "a<assignment id>/<due day>/<stage>/<cycle>" or "t<target id>/target-missed/0"
    phase_id: str
    day: date
    item_id: str
    assignee: str | None
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id")
    target_id: str | None = None
    stage: str  # a Stage
    cycle: int = 0
    recipients: list[str] = Field(sa_column=Column(JSON, nullable=False))
    roles: dict[str, list[str]] = Field(sa_column=Column(JSON, nullable=False))  # email → [role, name]
    overdue_days: int = 0
    outbox_done: bool = False
    due: date | None = None  # the due day it was decided on; None for a target's (and old 交办, migration 0008)


class Outbox(SQLModel, table=True):
    """One digest e-mail: stored before sending, marked sent after; message_id makes resends visible."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    message_id: str = Field(unique=True)
    phase_id: str
    day: date
    recipient: str
    subject: str
    body: bytes
    notice_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING.value, index=True)  # an OutboxStatus
    attempts: int = 0
    last_error: str | None = None
    claimed_at: datetime | None = None
    sent_at: datetime | None = None


class Audit(SQLModel, table=True):
    """Who changed what: plan loads, recorded rows, imports."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(index=True)
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Acknowledgement(SQLModel, table=True):
    """签收: a recipient has seen an assignment (from a desk link); once per (assignment, recipient)."""

    __table_args__ = (UniqueConstraint("campaign_id", "assignment_id", "recipient"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    recipient: str
    at: datetime


class AssignState(SQLModel, table=True):
    """What a phase's assignments last followed from: a run whose inputs and rows are the same creates nothing
    and reads nothing more (kept in the database: each scheduled run is a process of its own)."""

    campaign_id: str = Field(foreign_key="campaign.id", primary_key=True)
    phase_id: str = Field(primary_key=True)
    inputs: str  # sha256 of the plan's phase, lists, roster, the day's occurrences and the lists' members
    rows: int  # the phase's assignments, and the newest id, right after that run
    newest: int | None = None


class Highlight(SQLModel, table=True):
    """亮点信息: a unit's submission to a `submission` item (SPEC §8); as many as it likes, never decided."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    item_id: str
    assignee: str  # an AssigneeKey: the unit it is submitted for
    title: str
    text: str = ""
    day: date
    submitted_by: str  # the e-mail address of who submitted it
    at: datetime


class MaterialFile(SQLModel, table=True):
    """One file handed in with a claim or a highlight (SPEC §8); its bytes are stored under `sha256`, never
    changed or deleted, so a rejected claim's files stay in the history."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    claim_id: int | None = Field(default=None, foreign_key="claim.id", index=True)
    highlight_id: int | None = Field(default=None, foreign_key="highlight.id", index=True)
    material: str  # the plan's label, e.g. 盖章扫描PDF版
    name: str  # the original file name, as the user's system wrote it (for display; never a path)
    size: int
    kind: str  # a MaterialKind, by content
    mime: str  # the media type a download is served with
    sha256: str = Field(index=True)
    uploaded_by: str  # e-mail address
    at: datetime
