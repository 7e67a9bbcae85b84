"""What the desk shows of handed-in materials: the fields a claim's form asks for, and the rounds of an item with
their files, each with a download link signed for the reader (SPEC §8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from deployments.desk.multipart import Posted
from models import tables
from models.desk import file_link
from models.mail import cn_date
from models.materials import KIND_TEXT, Material, Upload, accept_of, file_text, materials_of
from models.plan import Item, Plan
from models.vocabulary import ClaimStatus, OwnerKind
from tasks.materials import Round

STATUS_TEXT = {ClaimStatus.PENDING: "待审核", ClaimStatus.CONFIRMED: "已确认办结", ClaimStatus.REJECTED: "已退回"}


@dataclass(frozen=True)
class Field:
    """One upload field of the claim form: its name (m0, m1 …), the material's label, what it takes."""

    name: str
    label: str
    required: bool
    kinds: str
    accept: str


@dataclass(frozen=True)
class FileLine:
    text: str
    url: str


@dataclass(frozen=True)
class RoundLine:
    heading: str
    comment: str
    files: list[FileLine]


def fields_of(materials: list[Material]) -> list[Field]:
    return [
        Field(f"m{n}", m.label, m.required, "或".join(KIND_TEXT[k] for k in m.kinds), accept_of(m.kinds))
        for n, m in enumerate(materials)
    ]


def uploads_of(materials: list[Material], form: Posted) -> list[Upload]:
    """The files of the form's upload fields (m0 → the first material …); a field left empty sends a part with no
    name and no bytes, which is no file."""
    labels = {f"m{n}": material.label for n, material in enumerate(materials)}
    uploads = []
    for received in form.files:
        if not received.filename and received.path.stat().st_size == 0:
            continue
        label = labels.get(received.field, received.field)
        uploads.append(Upload(label, received.filename or "未命名文件", received.path))
    return uploads


def round_lines(
    rounds: list[Round], *, base: str, secret: bytes, campaign: str, reader: str, end: date
) -> list[RoundLine]:
    """第1次申报（2022年1月10日）：已退回 … with the comment and each file's link for this reader."""
    lines = []
    for n, r in enumerate(rounds, 1):
        status = STATUS_TEXT.get(ClaimStatus(r.claim.status), r.claim.status)
        decided = f"（{cn_date(r.claim.decided_on)}）" if r.claim.decided_on else ""
        heading = f"第{n}次申报（{cn_date(r.claim.day)}）：{status}{decided}"
        comment = f"审核意见：{r.claim.comment}" if r.claim.comment.strip() else ""
        files = [FileLine(file_text(f), file_link(base, secret, campaign, f.id or 0, reader, end)) for f in r.files]
        lines.append(RoundLine(heading, comment, files))
    return lines


@dataclass(frozen=True)
class SubmissionForm:
    """One submission item on 我的事项: what to hand in, for which of the reader's units, and what they sent."""

    item_id: str
    title: str
    requirement: str
    units: list[tuple[str, str]]  # (AssigneeKey, name)
    fields: list[Field]
    sent: list[str]  # the units' highlights so far, newest first: 2022年1月10日 社区一：垃圾分类进小区


def submission_units(plan: Plan, item: Item, email: str) -> list[str]:
    """The units (AssigneeKeys) the reader may submit for: theirs, where the item's owner covers them."""
    owner, who = item.owned_by, email.lower()
    units = []
    for seat in plan.people():
        if seat.unit is None or seat.person.email.lower() != who or seat.unit in units:
            continue
        covered = seat.unit == owner.office if owner.kind is OwnerKind.OFFICE else seat.unit.is_community
        if covered:
            units.append(str(seat.unit))
    return units


def submission_forms(plan: Plan, email: str, sent: list[tables.Highlight]) -> list[SubmissionForm]:
    names = {str(seat.unit): seat.unit_name for seat in plan.people() if seat.unit is not None}
    forms = []
    for _, item in plan.submissions():
        units = submission_units(plan, item, email)
        if units:
            mine = [h for h in sent if h.item_id == item.id and h.assignee in units]
            lines = [f"{cn_date(h.day)} {names.get(h.assignee, '')}：{h.title}" for h in mine]
            requirement = item.requirement or item.label
            fields = fields_of(materials_of(item))
            forms.append(
                SubmissionForm(item.id, item.label, requirement, [(u, names[u]) for u in units], fields, lines)
            )
    return forms
