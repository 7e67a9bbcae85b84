"""A claim's files as its deciders read them (SPEC §8): material, name, size and type, each with a download link
signed for one reader when the desk is served (GREENCOMM_DESK_URL, which `up` sets)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import tables
from models.desk import file_link
from models.materials import file_text
from models.plan import Plan
from models.settings import Settings
from tasks.signing import desk_secret

FileLine = tuple[str, str | None]  # 盖章扫描PDF版：评估.pdf（1.2MB，PDF文件）, and its link (None: no desk served)


def claim_files(
    session: Session, plan: Plan, claim_id: int, *, reader: str | None = None, settings: Settings | None = None
) -> list[FileLine]:
    """The claim's files in the order handed in; linked for `reader` when given and the desk is served."""
    query = select(tables.MaterialFile).where(tables.MaterialFile.claim_id == claim_id)
    rows = list(session.exec(query.order_by(col(tables.MaterialFile.id))))
    if reader is None or settings is None or not settings.desk_url:
        return [(file_text(row), None) for row in rows]
    secret, base, end = desk_secret(settings), settings.desk_base, plan.campaign.end
    return [(file_text(row), file_link(base, secret, plan.campaign.id, row.id or 0, reader, end)) for row in rows]


def as_markdown(lines: list[FileLine]) -> list[str]:
    return [f"{text} [下载]({url})" if url else text for text, url in lines]
