"""`greencomm export FILE.xlsx --with-files DIR` (SPEC §8): the sheet 报送材料 lists every file handed in; the
accepted ones are copied to DIR/<单位>/<事项>/<文件名>, byte-identical, names safe, collisions numbered."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli import app
from models import tables
from models.materials import Upload
from models.plan.checks import parse_plan
from tasks.approvals import decide
from tasks.db import session_scope, upgrade
from tasks.engine import assign
from tasks.materials import submit_claim, submit_highlight
from tasks.store import sync_plan
from tests import material_files as mf
from tests.conftest import plan_data, write_plan

runner = CliRunner()
NOW = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)
DAY = date(2022, 1, 10)
TWO = [{"label": "盖章扫描PDF版", "kinds": ["pdf"]}, {"label": "电子版", "kinds": ["word", "pdf"]}]


def test_export_lists_every_file_and_copies_the_accepted_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    data = plan_data()
    data["phases"][0]["items"][0] |= {"title": "制定方案/细则：CON", "materials": TWO}
    data["phases"][0]["items"].append(
        {"id": "pilot.news", "title": "亮点信息", "owner": "communities", "kind": "submission"}
    )
    plan_file = write_plan(tmp_path, data)
    plan = parse_plan(plan_file.read_text(encoding="utf-8"))
    files_dir = tmp_path / "var" / "files"
    for name, value in {"DATABASE_URL": database_url, "PLAN": str(plan_file), "VAR_DIR": str(tmp_path / "var")}.items():
        monkeypatch.setenv(f"GREENCOMM_{name}", value)
    upgrade(database_url)
    first, second, docx = mf.pdf("one"), mf.pdf("two"), mf.docx()
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        assign(session, plan, "pilot", DAY)
        rows = session.exec(select(tables.Assignment).where(tables.Assignment.item_id == "pilot.plan")).all()
        a1, a2 = (next(a for a in rows if a.assignee == f"community:{c}") for c in ("c1", "c2"))
        same_name = [
            Upload("盖章扫描PDF版", "方案.pdf", mf.write(tmp_path, "f1", first)),
            Upload("电子版", "方案.pdf", mf.write(tmp_path, "f2", second)),  # the same name, other content
            Upload("电子版", "方案.docx", mf.write(tmp_path, "f3", docx)),
        ]
        kept = submit_claim(
            session, plan, a1, "c1@t.example", note="已完成", uploads=same_name, day=DAY, now=NOW, files_dir=files_dir
        )
        refused = submit_claim(
            session,
            plan,
            a2,
            "c2@t.example",
            note="已完成",
            uploads=same_name[:2],
            day=DAY,
            now=NOW,
            files_dir=files_dir,
        )
        [(_, news)] = plan.submissions()
        submit_highlight(
            session,
            plan,
            news,
            "community:c2",
            "c2@t.example",
            title="垃圾分类",
            text="",
            uploads=[Upload("附件", "现场.png", mf.write(tmp_path, "f4", mf.png()))],
            day=DAY,
            now=NOW,
            files_dir=files_dir,
        )
    with session_scope(database_url) as session:
        decide(session, "claim", kept.id, approve=True, comment="", decided_by="联络员甲", day=DAY, now=NOW)
        decide(
            session, "claim", refused.id, approve=False, comment="盖章页缺失", decided_by="联络员甲", day=DAY, now=NOW
        )
    out = tmp_path / "city"
    result = runner.invoke(
        app, ["export", str(tmp_path / "city.xlsx"), "--as-of", "2022-01-20", "--with-files", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert "报送材料 6" in result.stdout and "复制文件 4" in result.stdout
    sheet = load_workbook(tmp_path / "city.xlsx")["报送材料"]
    assert [c.value for c in sheet[1]] == [
        "事项",
        "单位",
        "材料",
        "文件名",
        "大小（字节）",
        "SHA-256",
        "提交日期",
        "审核日期",
        "审核结果",
    ]
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[1], r[2], r[3], r[8]) for r in lines] == [
        ("社区一", "盖章扫描PDF版", "方案.pdf", "已确认"),
        ("社区一", "电子版", "方案.pdf", "已确认"),
        ("社区一", "电子版", "方案.docx", "已确认"),
        ("社区二", "盖章扫描PDF版", "方案.pdf", "已退回：盖章页缺失"),
        ("社区二", "电子版", "方案.pdf", "已退回：盖章页缺失"),
        ("社区二", "附件", "现场.png", "信息报送（无需审核）"),
    ]
    assert lines[0][5] == hashlib.sha256(first).hexdigest() and lines[0][4] == len(first)
    assert lines[0][6] == datetime(2022, 1, 10) and lines[0][7] == datetime(2022, 1, 10)
    copied = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert copied == [
        "社区一/制定方案_细则：CON/方案(2).pdf",
        "社区一/制定方案_细则：CON/方案.docx",
        "社区一/制定方案_细则：CON/方案.pdf",
        "社区二/亮点信息/现场.png",
    ]
    folder = out / "社区一" / "制定方案_细则：CON"
    assert (folder / "方案.pdf").read_bytes() == first and (folder / "方案(2).pdf").read_bytes() == second
    again = runner.invoke(app, ["export", str(tmp_path / "city.xlsx"), "--with-files", str(out)])
    assert again.exit_code == 0 and len([p for p in out.rglob("*") if p.is_file()]) == 4  # no 方案(3).pdf


def test_export_with_files_refuses_a_changed_stored_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = plan_data()
    data["phases"][0]["items"][0]["materials"] = [{"label": "方案文本", "kinds": ["pdf"]}]
    plan_file = write_plan(tmp_path, data)
    plan = parse_plan(plan_file.read_text(encoding="utf-8"))
    url = f"sqlite:///{tmp_path / 'g.db'}"
    for name, value in {"DATABASE_URL": url, "PLAN": str(plan_file), "VAR_DIR": str(tmp_path / "var")}.items():
        monkeypatch.setenv(f"GREENCOMM_{name}", value)
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        assign(session, plan, "pilot", DAY)
        a = session.exec(select(tables.Assignment).where(tables.Assignment.assignee == "community:c1")).first()
        assert a is not None
        upload = [Upload("方案文本", "方案.pdf", mf.write(tmp_path, "f", mf.pdf()))]
        filed = submit_claim(
            session,
            plan,
            a,
            "c1@t.example",
            note="x",
            uploads=upload,
            day=DAY,
            now=NOW,
            files_dir=tmp_path / "var" / "files",
        )
        decide(session, "claim", filed.id, approve=True, comment="", decided_by="联络员甲", day=DAY, now=NOW)
    [stored] = [p for p in (tmp_path / "var" / "files").rglob("*") if p.is_file()]
    stored.chmod(0o644)
    stored.write_bytes(b"%PDF-1.4 changed")
    result = runner.invoke(app, ["export", str(tmp_path / "city.xlsx"), "--with-files", str(tmp_path / "out")])
    assert result.exit_code == 1 and "changed" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "city.xlsx").exists() and not any(p.is_file() for p in (tmp_path / "out").rglob("*"))
