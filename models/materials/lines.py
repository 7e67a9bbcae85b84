"""A handed-in file as officials read it in pages, e-mails and artifacts: 盖章扫描PDF版：评估.pdf（1.2MB，PDF文件）."""

from __future__ import annotations

from models import tables
from models.materials.kinds import KIND_TEXT
from models.plan import Item


def size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))}KB"
    return f"{size / 1024 / 1024:.1f}MB"


def file_text(row: tables.MaterialFile) -> str:
    """Material, name, size and type, in one line."""
    return f"{row.material}：{row.name}（{size_text(row.size)}，{KIND_TEXT.get(row.kind, row.kind)}）"


def materials_text(item: Item) -> str:
    """What a claim on the item hands in, for the assignee's notice: 盖章扫描PDF版（PDF文件，须提交）、…"""
    return "、".join(
        f"{m.label}（{'或'.join(KIND_TEXT[k] for k in m.kinds)}，{'须提交' if m.required else '可选'}）"
        for m in item.materials
    )
