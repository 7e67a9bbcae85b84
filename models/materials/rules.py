"""What a claim or a submission must hand in (SPEC §8), checked before anything is stored.

Every problem is one Chinese line naming the material and the file; an empty list means the files may be stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models.materials.kinds import KIND_TEXT, format_of
from models.plan import Item, Material

DEFAULT_MAX_MB = 50
CLAIM_FACTOR = 5  # a claim carries at most five times the per-file limit
MAX_FILES = 20  # files in one claim or submission
ANY_FILE = Material(label="附件", kinds=["pdf", "ofd", "word", "sheet", "image", "archive"], required=False)
ZIPPED = frozenset({"ofd", "word", "sheet"})  # kinds that may also be zip containers (docx, xlsx, ofd)


@dataclass(frozen=True)
class Upload:
    """One file handed in for a material (its label), already on disk (a temporary file the caller owns)."""

    material: str
    filename: str  # as the user's system wrote it
    path: Path


class MaterialsRefused(ValueError):
    """Files that may not be stored; `problems` holds one Chinese line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def materials_of(item: Item) -> list[Material]:
    """What the item asks for; a submission item without a list takes any accepted file as 附件."""
    return item.materials or ([ANY_FILE] if item.is_submission else [])


def accepts(material: Material, upload: Upload) -> bool:
    found = format_of(upload.path)
    if found is None:
        return False
    return found.kind in material.kinds or ("archive" in material.kinds and found.extension in ("zip", "docx", "xlsx"))


def problems(item: Item, uploads: Sequence[Upload], max_mb: int = DEFAULT_MAX_MB) -> list[str]:
    """Why these files may not be handed in for the item (SPEC §8): missing required materials, a file of a kind
    the material does not accept (by content), an empty or oversized file, too much in all."""
    wanted = {material.label: material for material in materials_of(item)}
    found: list[str] = []
    for label, material in wanted.items():
        if material.required and not any(u.material == label for u in uploads):
            found.append(f"缺少“{label}”：请上传{_kinds(material)}。")
    limit, total = max_mb * 1024 * 1024, 0
    for upload in uploads:
        size = upload.path.stat().st_size
        total += size
        found += _file_problems(wanted.get(upload.material), upload, size, limit, max_mb)
    if len(uploads) > MAX_FILES:
        found.append(f"一次最多上传{MAX_FILES}个文件，本次为{len(uploads)}个。")
    if total > CLAIM_FACTOR * limit:
        found.append(f"本次上传的文件合计{_mb(total)}，超过{CLAIM_FACTOR * max_mb}MB的上限，请压缩或分次报送。")
    return found


def _file_problems(material: Material | None, upload: Upload, size: int, limit: int, max_mb: int) -> list[str]:
    where = f"“{upload.material}”的文件“{upload.filename}”"
    if material is None:
        return [f"{where}：本事项无此项材料。"]
    if size == 0:
        return [f"{where}是空文件，请重新选择。"]
    if size > limit:
        return [f"{where}大小为{_mb(size)}，超过单个文件{max_mb}MB的上限。"]
    if not accepts(material, upload):
        return [f"{where}不是{_kinds(material)}（按文件内容识别，与文件扩展名无关），请重新选择。"]
    return []


def _kinds(material: Material) -> str:
    return "或".join(KIND_TEXT[kind] for kind in material.kinds)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}MB"
