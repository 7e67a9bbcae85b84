"""Materials (SPEC §8): kinds by content, the limits of a claim, safe names, the plan's entries, and claims
with files stored content-addressed with a row each on both databases (nothing half-written)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from models import tables
from models.materials import MaterialsRefused, Upload, content_disposition, display_name, kind_of, problems, safe_name
from models.plan import Item
from models.plan.checks import PlanError, parse_plan
from tasks.db import session_scope, upgrade
from tasks.engine import assign
from tasks.materials import LocalStore, rounds, submit_claim, submit_highlight
from tasks.store import sync_plan
from tests import material_files as mf
from tests.conftest import SEED_PLAN, plan_data, write_plan

NOW = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)
TWO = [{"label": "盖章扫描PDF版", "kinds": ["pdf"]}, {"label": "电子版", "kinds": ["word"]}]


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("a.pdf", mf.pdf, "pdf"),
        ("a.docx", mf.docx, "word"),
        ("a.doc", lambda: mf.ole2("WordDocument"), "word"),
        ("a.xls", lambda: mf.ole2("Workbook"), "sheet"),
        ("a.xlsx", mf.xlsx, "sheet"),
        ("a.png", mf.png, "image"),
        ("a.jpg", mf.jpeg, "image"),
        ("a.ofd", mf.ofd, "ofd"),
        ("a.pdf", mf.png, "image"),  # a PNG renamed .pdf is an image
        ("a.docx", mf.exe, None),  # an .exe renamed .docx is nothing we accept
        ("a.txt", lambda: "说明".encode(), None),
        ("a.zip", lambda: _zip({"photos/1.png": mf.png()}), "archive"),
        ("a.zip", lambda: b"PK\x03\x04 broken", None),
    ],
)
def test_a_file_is_known_by_its_content_not_its_name(
    tmp_path: Path, name: str, make: Callable[[], bytes], kind: str | None
) -> None:
    assert kind_of(mf.write(tmp_path, name, make())) == kind


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


def _item(materials: list[dict[str, Any]] = TWO, kind: str = "task") -> Item:
    return Item.model_validate(
        {"id": "x", "title": "年度评估", "owner": "communities", "kind": kind, "materials": materials}
        | ({"due": "2022-11-20"} if kind == "task" else {})
    )


def test_what_is_wrong_with_a_claims_files_is_said_in_chinese_naming_material_and_file(tmp_path: Path) -> None:
    item = _item()
    renamed = Upload("盖章扫描PDF版", "评估报告.pdf", mf.write(tmp_path, "p", mf.png()))
    empty = Upload("电子版", "空.docx", mf.write(tmp_path, "e", b""))
    assert problems(item, [renamed, empty]) == [
        "“盖章扫描PDF版”的文件“评估报告.pdf”不是PDF文件（按文件内容识别，与文件扩展名无关），请重新选择。",
        "“电子版”的文件“空.docx”是空文件，请重新选择。",
    ]
    only_pdf = [Upload("盖章扫描PDF版", "评估.pdf", mf.write(tmp_path, "a", mf.pdf()))]
    assert problems(item, only_pdf) == ["缺少“电子版”：请上传Word或WPS文字文档。"]
    big = mf.write(tmp_path, "big", mf.pdf() + b"\0" * (1024 * 1024))
    oversized = problems(item, [Upload("盖章扫描PDF版", "大.pdf", big)], max_mb=1)
    assert "“盖章扫描PDF版”的文件“大.pdf”大小为1.0MB，超过单个文件1MB的上限。" in oversized
    both = [
        Upload("盖章扫描PDF版", "评估.pdf", mf.write(tmp_path, "b", mf.pdf())),
        Upload("电子版", "评估.docx", mf.write(tmp_path, "c", mf.docx())),
    ]
    assert problems(item, both) == []
    many = [
        Upload("盖章扫描PDF版", f"{n}.pdf", mf.write(tmp_path, f"m{n}", mf.pdf() + b"\0" * 900_000)) for n in range(6)
    ]
    assert any("合计" in line and "5MB" in line for line in problems(item, [*many, both[1]], max_mb=1))


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "_._etc_passwd"),
        ("C:\\Users\\张三\\评估报告.docx", "C__Users_张三_评估报告.docx"),
        ("a\0b.pdf", "ab.pdf"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("..", "文件"),
        ("报告:第1版?.pdf", "报告_第1版_.pdf"),
        ("名" * 300 + ".pdf", "名" * 116 + ".pdf"),
        ("trailing. ", "trailing"),
    ],
)
def test_names_are_made_safe_for_a_folder_and_a_zip(raw: str, safe: str) -> None:
    assert safe_name(raw) == safe
    assert "/" not in safe_name(raw) and "\\" not in safe_name(raw) and "\0" not in safe_name(raw)


def test_a_download_names_the_file_in_rfc_5987_with_its_chinese_name() -> None:
    header = content_disposition("盖章 扫描.pdf")
    assert header.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E7%9B%96%E7%AB%A0%20%E6%89%AB%E6%8F%8F.pdf" in header
    assert display_name("D:\\材料\\年度.pdf") == "年度.pdf"


def test_the_seed_plan_asks_for_the_annual_evaluation_as_stamped_pdf_and_word() -> None:
    plan = parse_plan(SEED_PLAN.read_text(encoding="utf-8"))
    items = {item.id: item for _, item in plan.items()}
    annual = items["consolidation.annual_report"]
    assert [(m.label, m.kinds, m.required) for m in annual.materials] == [
        ("盖章扫描PDF版", ["pdf"], True),
        ("电子版", ["word"], True),
    ]
    assert items["promotion.pilot_report"].materials[0].label == "试点工作经验汇报材料"
    assert items["pilot.apply"].materials[0].required
    [(_, highlights)] = plan.submissions()
    assert highlights.id == "consolidation.highlights" and highlights.due is None
    assert "consolidation.highlights" not in items  # never assigned, never escalated


@pytest.mark.parametrize(
    ("materials", "kind", "line"),
    [
        ([{"label": "PDF", "kinds": ["pdf"]}], "task", "phases[0].items[0].materials[0].label: 'PDF' should name"),
        ([{"label": "扫描件", "kinds": ["exe"]}], "task", "phases[0].items[0].materials[0].kinds[0]:"),
        ([{"label": "扫描件", "kinds": []}], "task", "phases[0].items[0].materials[0].kinds:"),
        (
            [{"label": "扫描件", "kinds": ["pdf"]}, {"label": "扫描件", "kinds": ["word"]}],
            "task",
            "phases[0].items[0].materials[1].label: duplicate label",
        ),
        ([{"label": "扫描件", "kinds": ["pdf"]}], "standards", "phases[0].items[0].materials: only a task"),
    ],
)
def test_plan_check_names_a_bad_material_by_its_field_path(
    tmp_path: Path, materials: list[dict[str, Any]], kind: str, line: str
) -> None:
    data = plan_data()
    data["phases"][0]["items"][0] |= {"materials": materials, "kind": kind}
    with pytest.raises(PlanError) as refused:
        parse_plan(write_plan(tmp_path, data).read_text(encoding="utf-8"))
    assert any(problem.startswith(line) for problem in refused.value.problems), refused.value.problems


def test_a_submission_item_has_no_due_day_and_a_task_needs_one(tmp_path: Path) -> None:
    data = plan_data()
    items = data["phases"][0]["items"]
    items.append(
        {"id": "pilot.news", "title": "亮点信息", "owner": "communities", "kind": "submission", "due": "2022-01-20"}
    )
    del items[0]["due"]
    with pytest.raises(PlanError) as refused:
        parse_plan(write_plan(tmp_path, data).read_text(encoding="utf-8"))
    assert refused.value.problems == [
        "phases[0].items[0].due: missing (a date YYYY-MM-DD, or a month-day MM-DD for a yearly item)",
        "phases[0].items[4].kind: a submission item is handed in at any time: it has no due, yearly or optional",
    ]


def _plan_with_materials(tmp_path: Path) -> Any:
    data = plan_data()
    data["phases"][0]["items"][0]["materials"] = TWO
    data["phases"][0]["items"].append(
        {"id": "pilot.news", "title": "亮点信息", "owner": "communities", "kind": "submission"}
    )
    return parse_plan(write_plan(tmp_path, data).read_text(encoding="utf-8"))


def test_a_claim_with_files_stores_each_once_by_sha256_with_a_row_each(tmp_path: Path, database_url: str) -> None:
    plan = _plan_with_materials(tmp_path)
    upgrade(database_url)
    files_dir = tmp_path / "files"
    pdf, docx = mf.pdf(), mf.docx()
    uploads = [
        Upload("盖章扫描PDF版", "评估（盖章）.pdf", mf.write(tmp_path, "u1", pdf)),
        Upload("电子版", "评估.docx", mf.write(tmp_path, "u2", docx)),
    ]
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        assign(session, plan, "pilot", date(2022, 1, 10))
        a = session.exec(
            select(tables.Assignment).where(
                tables.Assignment.item_id == "pilot.plan", tables.Assignment.assignee == "community:c1"
            )
        ).one()
        filed = submit_claim(
            session,
            plan,
            a,
            "c1@t.example",
            note="已报送",
            uploads=uploads,
            day=date(2022, 1, 10),
            now=NOW,
            files_dir=files_dir,
        )
        again = submit_claim(
            session,
            plan,
            a,
            "c1@t.example",
            note="再次",
            uploads=uploads,
            day=date(2022, 1, 10),
            now=NOW,
            files_dir=files_dir,
        )
    assert filed.new and not again.new and again.id == filed.id
    with session_scope(database_url) as session:
        rows = session.exec(select(tables.MaterialFile).order_by(col(tables.MaterialFile.id))).all()
        assert [(r.material, r.name, r.size, r.kind, r.sha256, r.uploaded_by, r.claim_id) for r in rows] == [
            (
                "盖章扫描PDF版",
                "评估（盖章）.pdf",
                len(pdf),
                "pdf",
                hashlib.sha256(pdf).hexdigest(),
                "c1@t.example",
                filed.id,
            ),
            ("电子版", "评估.docx", len(docx), "word", hashlib.sha256(docx).hexdigest(), "c1@t.example", filed.id),
        ]
        assert rows[1].mime.endswith("wordprocessingml.document")
        assert a.id is not None and [len(r.files) for r in rounds(session, a.id)] == [2]
    store = LocalStore(files_dir)
    for row, content in zip(rows, (pdf, docx), strict=True):
        assert store.path_of(row.sha256).read_bytes() == content and store.verify(row.sha256) == len(content)
    assert list((files_dir / "incoming").iterdir()) == []


def test_a_refused_claim_leaves_no_claim_no_row_and_no_file(tmp_path: Path, database_url: str) -> None:
    plan = _plan_with_materials(tmp_path)
    upgrade(database_url)
    files_dir = tmp_path / "files"
    uploads = [Upload("盖章扫描PDF版", "评估.pdf", mf.write(tmp_path, "u1", mf.png()))]
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        assign(session, plan, "pilot", date(2022, 1, 10))
        a = session.exec(select(tables.Assignment).where(tables.Assignment.item_id == "pilot.plan")).first()
        assert a is not None
        with pytest.raises(MaterialsRefused) as refused:
            submit_claim(
                session,
                plan,
                a,
                "c1@t.example",
                note="x",
                uploads=uploads,
                day=date(2022, 1, 10),
                now=NOW,
                files_dir=files_dir,
            )
    assert len(refused.value.problems) == 2
    with session_scope(database_url) as session:
        assert session.exec(select(tables.Claim)).all() == []
        assert session.exec(select(tables.MaterialFile)).all() == []
    assert not files_dir.exists() or not any(p.is_file() for p in files_dir.rglob("*"))


def test_a_file_whose_rows_fail_is_removed_again(tmp_path: Path, sqlite_url: str) -> None:
    plan = _plan_with_materials(tmp_path)
    upgrade(sqlite_url)
    files_dir = tmp_path / "files"
    [(_, news)] = plan.submissions()
    uploads = [Upload("附件", "图.png", mf.write(tmp_path, "u1", mf.png()))]
    with pytest.raises(Exception), session_scope(sqlite_url) as session:  # noqa: B017
        sync_plan(session, plan, actor="test", now=NOW)
        submit_highlight(
            session,
            plan,
            news,
            "community:c1",
            "c1@t.example",
            title="垃圾分类",
            text="",
            uploads=uploads,
            day=date(2022, 1, 10),
            now=NOW,
            files_dir=files_dir,
        )
        session.exec(select(tables.MaterialFile)).one()  # stored
        session.add(
            tables.MaterialFile(
                campaign_id="no-such-campaign",
                material="",
                name="",
                size=0,
                kind="",
                mime="",
                sha256="",
                uploaded_by="",
                at=NOW,
            )
        )
        session.flush()  # fails on the foreign key: everything rolls back
    with session_scope(sqlite_url) as session:
        assert session.exec(select(tables.Highlight)).all() == []
    assert not any(path.is_file() for path in files_dir.rglob("*"))
