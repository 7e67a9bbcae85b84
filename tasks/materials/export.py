"""What was handed in, for the city (SPEC §8): the export's sheet 报送材料, and the accepted files copied out to
`DIR/<单位>/<事项>/<文件名>` with names any Windows folder or zip takes (collisions numbered)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models import tables
from models.engine import labels_of
from models.materials import numbered, safe_name
from models.plan import Plan
from models.vocabulary import ClaimStatus
from tasks.materials.storage import FileChanged, FileStore

DECISION_TEXT = {ClaimStatus.PENDING: "待审核", ClaimStatus.CONFIRMED: "已确认", ClaimStatus.REJECTED: "已退回"}
HIGHLIGHT = "信息报送（无需审核）"


@dataclass(frozen=True)
class Handed:
    """One file as the city reads it: for which item, by which unit, when, and how it was decided."""

    row: tables.MaterialFile
    item: str
    unit: str
    submitted: date
    decided: date | None
    decision: str
    accepted: bool


def handed_in(session: Session, plan: Plan, day: date) -> list[Handed]:
    """Every file handed in up to `day` (its claim's or highlight's day), in the order handed in."""
    titles = {item.id: item.label for phase in plan.phases for item in phase.items}
    labels, zone = labels_of(plan), ZoneInfo(plan.campaign.timezone)
    query = select(tables.MaterialFile).where(tables.MaterialFile.campaign_id == plan.campaign.id)
    rows = list(session.exec(query.order_by(col(tables.MaterialFile.id))))
    claims = {c.id: c for c in _rows(session, tables.Claim, {r.claim_id for r in rows})}
    assignments = {a.id: a for a in _rows(session, tables.Assignment, {r.assignment_id for r in rows})}
    highlights = {h.id: h for h in _rows(session, tables.Highlight, {r.highlight_id for r in rows})}
    found = []
    for row in rows:
        claim, highlight = claims.get(row.claim_id), highlights.get(row.highlight_id)
        if claim is not None and (a := assignments.get(row.assignment_id)) is not None:
            status = ClaimStatus(claim.status)
            decision = DECISION_TEXT[status] + (f"：{claim.comment}" if claim.comment.strip() else "")
            handed = Handed(
                row,
                titles.get(a.item_id, a.item_id),
                labels.get(a.assignee, a.assignee),
                claim.day,
                claim.decided_on,
                decision,
                status is ClaimStatus.CONFIRMED,
            )
        elif highlight is not None:
            handed = Handed(
                row,
                titles.get(highlight.item_id, highlight.item_id),
                labels.get(highlight.assignee, highlight.assignee),
                highlight.day,
                None,
                HIGHLIGHT,
                True,
            )
        else:
            continue
        if handed.submitted <= day and row.at.astimezone(zone).date() <= day:
            found.append(handed)
    return found


def _rows(session: Session, table: Any, ids: set[int | None]) -> list[Any]:
    wanted = [i for i in ids if i is not None]
    return list(session.exec(select(table).where(col(table.id).in_(wanted)))) if wanted else []


def material_sheet(handed: list[Handed]) -> tuple[list[str], list[list[Any]], list[int]]:
    header = ["事项", "单位", "材料", "文件名", "大小（字节）", "SHA-256", "提交日期", "审核日期", "审核结果"]
    rows: list[list[Any]] = [
        [h.item, h.unit, h.row.material, h.row.name, h.row.size, h.row.sha256, h.submitted, h.decided, h.decision]
        for h in handed
    ]
    return header, rows, [40, 24, 18, 36, 12, 66, 12, 12, 24]


def copy_accepted(store: FileStore, handed: list[Handed], folder: Path) -> int:
    """Every accepted file (a confirmed claim's, a highlight's) to folder/<单位>/<事项>/<文件名>, each checked against
    its SHA-256 on the way (FileChanged: a stored file that changed is never sent up); returns files copied."""
    taken: dict[Path, str] = {}  # a path written → its content, so the same file twice is one copy
    copied = 0
    for h in (h for h in handed if h.accepted):
        target = _free_path(folder / safe_name(h.unit) / safe_name(h.item), safe_name(h.row.name), h.row.sha256, taken)
        if target in taken or target.exists():  # the same content, copied before (this run or an earlier one)
            taken[target] = h.row.sha256
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_checked(store, h.row.sha256, target)
        taken[target] = h.row.sha256
        copied += 1
    return copied


def _free_path(folder: Path, name: str, sha256: str, taken: dict[Path, str]) -> Path:
    """name, else name(2), name(3) …: the first not taken by other content (the same content reuses its path)."""
    n, candidate = 1, folder / name
    while taken.get(candidate, sha256) != sha256 or (candidate not in taken and _other(candidate, sha256)):
        n += 1
        candidate = folder / numbered(name, n)
    return candidate


def _other(path: Path, sha256: str) -> bool:
    """A file already at `path` holding other content than `sha256`."""
    if not path.exists():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() != sha256


def _copy_checked(store: FileStore, sha256: str, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.part")
    digest = hashlib.sha256()
    try:
        with temporary.open("wb") as writer:
            for chunk in store.read(sha256):
                digest.update(chunk)
                writer.write(chunk)
        if digest.hexdigest() != sha256:
            raise FileChanged(f"{sha256}: its bytes changed")
        os.replace(temporary, target)
    except OSError as error:
        raise FileChanged(f"{sha256}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
