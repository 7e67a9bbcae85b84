"""Files handed in (SPEC §8): checked, stored content-addressed, a row each, then the claim filed as the desk
files it (tasks.approvals.file_claim) or the highlight recorded. The desk and the mailbox (intake) both come here.

Nothing is half-written: files are checked before anything is stored; a file stored new is removed again when
its rows cannot be written; the caller's transaction holds the rows and the claim together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session, select

from models import tables
from models.materials import DEFAULT_MAX_MB, MaterialsRefused, Upload, display_name, format_of, problems
from models.plan import Item, Plan
from models.vocabulary import ClaimStatus
from tasks.approvals import Filed, file_claim
from tasks.materials.storage import FileStore, LocalStore

TITLE_LIMIT, TEXT_LIMIT = 100, 5000


@dataclass(frozen=True)
class Owner:
    """What the files are handed in with: a claim on an assignment, or a highlight."""

    campaign_id: str
    assignment_id: int | None = None
    claim_id: int | None = None
    highlight_id: int | None = None


def submit_claim(
    session: Session,
    plan: Plan,
    assignment: tables.Assignment,
    recipient: str,
    *,
    note: str,
    uploads: Sequence[Upload],
    day: date,
    now: datetime,
    files_dir: Path,
    max_mb: int = DEFAULT_MAX_MB,
) -> Filed:
    """申报办结 with its materials: a claim already pending is shown as it stands (nothing new is stored);
    MaterialsRefused when the files do not meet the item's materials."""
    assert assignment.id is not None
    if _pending_claim(session, assignment.id):
        return file_claim(session, assignment, recipient, note=note, day=day, now=now)  # the standing one
    item = item_of(plan, assignment.item_id)
    if found := problems(item, uploads, max_mb):
        raise MaterialsRefused(found)
    filed = file_claim(session, assignment, recipient, note=note, day=day, now=now)
    owner = Owner(assignment.campaign_id, assignment_id=assignment.id, claim_id=filed.id)
    store_files(session, LocalStore(files_dir), uploads, owner, by=recipient, now=now)
    return filed


def submit_highlight(
    session: Session,
    plan: Plan,
    item: Item,
    assignee: str,
    recipient: str,
    *,
    title: str,
    text: str,
    uploads: Sequence[Upload],
    day: date,
    now: datetime,
    files_dir: Path,
    max_mb: int = DEFAULT_MAX_MB,
) -> tables.Highlight:
    """亮点信息 for a submission item, by a unit (its AssigneeKey), as often as it likes; MaterialsRefused with
    what is wrong (no title, too long, files that do not meet the item's materials)."""
    title, text = title.strip(), text.strip()
    found = [] if 0 < len(title) <= TITLE_LIMIT else [f"请填写标题（不超过{TITLE_LIMIT}字）。"]
    found += [] if len(text) <= TEXT_LIMIT else [f"正文不超过{TEXT_LIMIT}字。"]
    if found := found + problems(item, uploads, max_mb):
        raise MaterialsRefused(found)
    highlight = tables.Highlight(
        campaign_id=plan.campaign.id,
        item_id=item.id,
        assignee=assignee,
        title=title,
        text=text,
        day=day,
        submitted_by=recipient,
        at=now,
    )
    session.add(highlight)
    session.flush()
    owner = Owner(plan.campaign.id, highlight_id=highlight.id)
    store_files(session, LocalStore(files_dir), uploads, owner, by=recipient, now=now)
    return highlight


def store_files(
    session: Session, store: FileStore, uploads: Sequence[Upload], owner: Owner, *, by: str, now: datetime
) -> list[tables.MaterialFile]:
    """Each upload into the store and a row for it; files stored new go again if the rows fail, here or when the
    caller's transaction rolls back instead of committing."""
    rows = []
    with _undo_on_failure(session, store) as made:
        for upload in uploads:
            found = format_of(upload.path)
            assert found is not None  # problems() passed
            stored = store.put(upload.path)
            if stored.new:
                made.append(stored.sha256)
            rows.append(
                tables.MaterialFile(
                    material=upload.material,
                    name=display_name(upload.filename),
                    size=stored.size,
                    kind=found.kind,
                    mime=found.mime,
                    sha256=stored.sha256,
                    uploaded_by=by,
                    at=now,
                    campaign_id=owner.campaign_id,
                    assignment_id=owner.assignment_id,
                    claim_id=owner.claim_id,
                    highlight_id=owner.highlight_id,
                )
            )
        session.add_all(rows)
        session.flush()
    return rows


@contextmanager
def _undo_on_failure(session: Session, store: FileStore) -> Iterator[list[str]]:
    made: list[str] = []
    committed = False

    def undo(*_: object) -> None:
        if not committed:
            for sha256 in made:
                store.discard(sha256)
            made.clear()

    def keep(*_: object) -> None:
        nonlocal committed
        committed = True

    event.listen(session, "after_commit", keep, once=True)
    event.listen(session, "after_rollback", undo, once=True)
    try:
        yield made
    except BaseException:
        undo()
        raise


def item_of(plan: Plan, item_id: str) -> Item:
    for phase in plan.phases:
        for item in phase.items:
            if item.id == item_id:
                return item
    raise LookupError(f"no item {item_id!r} in {plan.campaign.id}")


def _pending_claim(session: Session, assignment_id: int) -> bool:
    query = select(tables.Claim.id).where(
        tables.Claim.assignment_id == assignment_id, tables.Claim.status == ClaimStatus.PENDING
    )
    return session.exec(query).first() is not None
