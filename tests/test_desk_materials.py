"""The desk takes files (SPEC §8): the claim form's upload fields, refusals in Chinese that keep what was typed and
store nothing, downloads byte-identical through signed links, rounds kept, 亮点信息 from 我的事项; both databases."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import select

from deployments.desk.app import create_app
from models import tables
from models.desk.pages import desk_links
from models.plan.checks import parse_plan
from models.plan.schema import Plan
from models.settings import Settings
from tasks.approvals import Filed, decide
from tasks.db import session_scope, upgrade
from tasks.engine import assign
from tasks.store import sync_plan
from tests import material_files as mf
from tests.conftest import plan_data, write_plan

SECRET = "desk-materials-secret"
BASE = "http://testserver"
DAY = date(2022, 1, 10)
NOW = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)
TWO = [{"label": "盖章扫描PDF版", "kinds": ["pdf"]}, {"label": "电子版", "kinds": ["word"]}]


@dataclass
class Desk:
    client: TestClient
    settings: Settings
    plan: Plan
    started: list[Filed]

    def links(self, recipient: str = "c1@t.example") -> dict[str, str]:
        with session_scope(self.settings.database_url) as session:
            query = select(tables.Assignment).where(tables.Assignment.item_id == "pilot.plan")
            a = session.exec(query.where(tables.Assignment.assignee == "community:c1")).one()
        assert a.id is not None
        links = desk_links(BASE, SECRET.encode(), self.plan.campaign.id, a.id, recipient, self.plan.campaign.end)
        return {action: url.removeprefix(BASE) for action, url in links.items()}

    def rows(self) -> tuple[list[tables.Claim], list[tables.MaterialFile], list[tables.Highlight]]:
        with session_scope(self.settings.database_url) as session:
            return (
                list(session.exec(select(tables.Claim))),
                list(session.exec(select(tables.MaterialFile))),
                list(session.exec(select(tables.Highlight))),
            )

    def stored(self) -> list[Path]:
        return [p for p in self.settings.files_dir.rglob("*") if p.is_file()]


def material_plan(folder: Path) -> Plan:
    data = plan_data()
    data["phases"][0]["items"][0]["materials"] = TWO
    data["phases"][0]["items"].append(
        {
            "id": "pilot.news",
            "title": "亮点信息",
            "owner": "communities",
            "kind": "submission",
            "requirement": "报送亮点",
        }
    )
    return parse_plan(write_plan(folder, data).read_text(encoding="utf-8"))


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path,
        secret_key=SecretStr(SECRET),
        desk_url=BASE,
        upload_max_mb=1,
    )
    plan = material_plan(tmp_path)
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        assign(session, plan, "pilot", DAY)
    started: list[Filed] = []
    app = create_app(settings, start_approval=started.append, clock=lambda: NOW)
    with TestClient(app, base_url=BASE) as client:
        yield Desk(client, settings, plan, started)


def form_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(token|mac)" value="([^"]+)"', html))


def claim(
    desk: Desk, files: list[tuple[str, str, bytes]], note: str = "年度评估已完成", path: str = ""
) -> httpx2.Response:
    path = path or desk.links()["claim"]
    page = desk.client.get(path)
    data = form_of(page.text) | {"note": note}
    upload = [(field, (name, content, "application/octet-stream")) for field, name, content in files]
    response: httpx2.Response = desk.client.post(path, data=data, files=upload, headers={"Origin": BASE})
    return response


PDF, DOCX = mf.pdf(), mf.docx()


def test_the_claim_form_has_one_upload_field_per_material_and_opening_it_changes_nothing(desk: Desk) -> None:
    page = desk.client.get(desk.links()["claim"])
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert re.findall(r'<input id="(m\d)" type="file" name="m\d" accept="([^"]+)"', page.text) == [
        ("m0", ".pdf"),
        ("m1", ".doc,.docx,.wps"),
    ]
    assert "盖章扫描PDF版（必须提交）" in page.text and "电子版（必须提交）" in page.text
    assert desk.rows() == ([], [], [])


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("m0", "评估.pdf", PDF)], "缺少“电子版”：请上传Word或WPS文字文档。"),
        ([("m0", "评估.pdf", mf.png()), ("m1", "评估.docx", DOCX)], "“盖章扫描PDF版”的文件“评估.pdf”不是PDF文件"),
        ([("m0", "评估.pdf", PDF), ("m1", "评估.docx", mf.exe())], "“电子版”的文件“评估.docx”不是Word或WPS文字文档"),
        ([("m0", "评估.pdf", b""), ("m1", "评估.docx", DOCX)], "“盖章扫描PDF版”的文件“评估.pdf”是空文件"),
        (
            [("m0", "大.pdf", PDF + b"\0" * (1024 * 1024)), ("m1", "评估.docx", DOCX)],
            "“盖章扫描PDF版”的文件“大.pdf”大小为1.0MB，超过单个文件1MB的上限。",
        ),
        (
            [("m0", f"{n}.pdf", PDF + b"\0" * 900_000) for n in range(6)] + [("m1", "评估.docx", DOCX)],
            "超过5MB的上限",
        ),
    ],
    ids=["missing", "renamed-png", "renamed-exe", "empty", "oversized", "over-five-times"],
)
def test_a_claim_with_bad_files_is_refused_in_chinese_keeping_the_note_and_storing_nothing(
    desk: Desk, files: list[tuple[str, str, bytes]], message: str
) -> None:
    page = claim(desk, files, note="已盖章报送<b>")
    assert page.status_code == 200 and message in page.text, page.text
    assert "未保存任何文件" in page.text
    assert "已盖章报送&lt;b&gt;</textarea>" in page.text  # what was typed, kept (and escaped)
    assert desk.rows() == ([], [], []) and desk.stored() == [] and desk.started == []


def test_a_claim_with_a_real_pdf_and_docx_is_stored_and_both_download_byte_identical(desk: Desk) -> None:
    page = claim(desk, [("m0", "年度评估（盖章）.pdf", PDF), ("m1", "年度评估 电子版.docx", DOCX)])
    assert "办结申报已提交" in page.text
    claims, files, _ = desk.rows()
    assert len(claims) == 1 and [f.material for f in files] == ["盖章扫描PDF版", "电子版"]
    assert [f.sha256 for f in files] == [hashlib.sha256(PDF).hexdigest(), hashlib.sha256(DOCX).hexdigest()]
    assert [f.claim_id for f in files] == [claims[0].id] * 2 and files[0].uploaded_by == "c1@t.example"
    assert len(desk.stored()) == 2 and [f.kind for f in desk.started] == ["claim"]
    submitter = re.findall(r'<li>([^<]+) <a href="([^"]+)">下载</a>', page.text)  # the item page's history
    for links in (submitter, _links_for(desk, "lead.liaison@t.example"), _links_for(desk, "director@t.example")):
        assert [text for text, _ in links] == list(TEXTS.values())
        names = ("年度评估（盖章）.pdf", "年度评估 电子版.docx")
        for (_, url), content, name, mime in zip(links, (PDF, DOCX), names, ("pdf", "wordprocessingml"), strict=True):
            got = desk.client.get(url.removeprefix(BASE))
            assert got.status_code == 200 and got.content == content
            assert mime in got.headers["content-type"] and got.headers["x-content-type-options"] == "nosniff"
            disposition = got.headers["content-disposition"]
            assert disposition.startswith("attachment;")
            assert unquote(disposition.split("filename*=UTF-8''")[1]) == name


TEXTS = {
    "盖章扫描PDF版": "盖章扫描PDF版：年度评估（盖章）.pdf（1KB，PDF文件）",
    "电子版": "电子版：年度评估 电子版.docx（1KB，Word或WPS文字文档）",
}


def _links_for(desk: Desk, reader: str) -> list[tuple[str, str]]:
    """The download links a decider gets: the file rows signed for them (what the 待审核 e-mail carries)."""
    from models.desk import file_link

    _, files, _ = desk.rows()
    texts = {
        "盖章扫描PDF版": "盖章扫描PDF版：年度评估（盖章）.pdf（1KB，PDF文件）",
        "电子版": "电子版：年度评估 电子版.docx（1KB，Word或WPS文字文档）",
    }
    end = desk.plan.campaign.end
    return [
        (texts[f.material], file_link(BASE, SECRET.encode(), desk.plan.campaign.id, f.id or 0, reader, end))
        for f in files
    ]


def test_a_download_link_is_for_its_reader_only_and_a_changed_file_is_refused(desk: Desk) -> None:
    from models.desk import file_link

    claim(desk, [("m0", "评估.pdf", PDF), ("m1", "评估.docx", DOCX)])
    _, files, _ = desk.rows()
    end, campaign = desk.plan.campaign.end, desk.plan.campaign.id
    foreign = file_link(BASE, SECRET.encode(), campaign, files[0].id or 0, "c2@t.example", end)
    assert desk.client.get(foreign.removeprefix(BASE)).status_code == 403  # another community's contact
    forged = file_link(BASE, b"other secret", campaign, files[0].id or 0, "c1@t.example", end)
    assert desk.client.get(forged.removeprefix(BASE)).status_code == 403
    mine = file_link(BASE, SECRET.encode(), campaign, files[0].id or 0, "c1@t.example", end).removeprefix(BASE)
    [stored] = [p for p in desk.stored() if p.name == files[0].sha256]
    stored.chmod(0o644)
    stored.write_bytes(PDF.replace(b"stamped", b"STAMPED"))
    refused = desk.client.get(mine)
    assert refused.status_code == 409 and "与报送时不一致" in refused.text and refused.content != PDF


def test_a_rejected_claim_keeps_its_files_and_the_resubmission_is_a_second_round(desk: Desk) -> None:
    claim(desk, [("m0", "评估.pdf", PDF), ("m1", "评估.docx", DOCX)])
    [first], _, _ = desk.rows()
    assert first.id is not None
    with session_scope(desk.settings.database_url) as session:
        decide(session, "claim", first.id, approve=False, comment="盖章页缺失", decided_by="联络员甲", day=DAY, now=NOW)
    second_pdf = mf.pdf("stamped page with seal")
    page = claim(desk, [("m0", "评估（补盖章）.pdf", second_pdf), ("m1", "评估.docx", DOCX)])
    assert "办结申报已提交" in page.text
    claims, files, _ = desk.rows()
    assert [c.status for c in claims] == ["rejected", "pending"]
    assert [(f.claim_id, f.name) for f in files] == [
        (claims[0].id, "评估.pdf"),
        (claims[0].id, "评估.docx"),
        (claims[1].id, "评估（补盖章）.pdf"),
        (claims[1].id, "评估.docx"),
    ]
    assert len(desk.stored()) == 3  # the same DOCX twice is kept once
    history = desk.client.get(desk.links()["claim"]).text
    assert "第1次申报（2022年1月10日）：已退回" in history and "审核意见：盖章页缺失" in history
    assert "第2次申报（2022年1月10日）：待审核" in history


def test_hostile_file_names_never_reach_a_path(desk: Desk) -> None:
    page = claim(desk, [("m0", "../../etc/CON.pdf", PDF), ("m1", "名" * 300 + ".docx", DOCX)])
    assert "办结申报已提交" in page.text
    _, files, _ = desk.rows()
    assert files[0].name == "CON.pdf" and files[1].name.endswith(".docx") and len(files[1].name) <= 200
    assert {p.name for p in desk.stored()} == {f.sha256 for f in files}
    disposition = desk.client.get(_links_for_row(desk, files[0])).headers["content-disposition"]
    assert 'filename="_CON.pdf"' in disposition and "filename*=UTF-8''_CON.pdf" in disposition


def _links_for_row(desk: Desk, row: tables.MaterialFile) -> str:
    from models.desk import file_link

    url = file_link(BASE, SECRET.encode(), desk.plan.campaign.id, row.id or 0, "c1@t.example", desk.plan.campaign.end)
    return url.removeprefix(BASE)


def test_a_body_over_the_claim_limit_is_cut_off_with_413_and_leaves_nothing(desk: Desk) -> None:
    files = [("m0", f"{n}.pdf", PDF + b"\0" * 1_000_000) for n in range(7)]
    page = claim(desk, files)
    assert page.status_code == 413 and "合计超过6MB的上限" in page.text
    assert desk.rows() == ([], [], []) and desk.stored() == []


def test_highlights_are_submitted_from_my_items_as_often_as_a_unit_likes(desk: Desk) -> None:
    mine = desk.links()["mine"]
    page = desk.client.get(mine)
    assert "信息报送：亮点信息" in page.text and "随时报送，不限次数" in page.text
    action = re.search(r'action="(/me/[^"]+/h/pilot\.news)"', page.text)
    assert action is not None
    fields = form_of(page.text)

    def send(title: str, files: list[tuple[str, tuple[str, bytes, str]]]) -> httpx2.Response:
        data = fields | {"title": title, "text": "小区实现垃圾分类全覆盖"}
        response: httpx2.Response = desk.client.post(action.group(1), data=data, files=files, headers={"Origin": BASE})
        return response

    refused = send("", [("m0", ("图.pdf", mf.exe(), "application/pdf"))])
    assert "请填写标题" in refused.text and "“附件”的文件“图.pdf”不是" in refused.text
    assert "小区实现垃圾分类全覆盖</textarea>" in refused.text and desk.rows()[2] == [] and desk.stored() == []
    assert "已报送" in send("垃圾分类进小区", [("m0", ("现场.png", mf.png(), "image/png"))]).text
    again = send("绿色出行宣传", [])
    assert "“绿色出行宣传”已报送" in again.text and "已报送2条" in again.text
    _, files, highlights = desk.rows()
    assert [(h.assignee, h.title, h.submitted_by) for h in highlights] == [
        ("community:c1", "垃圾分类进小区", "c1@t.example"),
        ("community:c1", "绿色出行宣传", "c1@t.example"),
    ]
    assert [(f.highlight_id, f.kind, f.assignment_id) for f in files] == [(highlights[0].id, "image", None)]
    office = desk.client.get(desk.links("works.liaison@t.example")["mine"]).text
    assert "信息报送" not in office  # an office is not an owner of a communities' item


def test_a_slow_upload_is_cut_off_at_its_deadline_by_the_real_desk_server(desk: Desk) -> None:
    """A client that sends its body slowly holds the desk for GREENCOMM_UPLOAD_TIMEOUT_SECONDS, no longer."""
    import os
    import socket
    import time
    from contextlib import ExitStack

    from deployments.desk.server import start_desk
    from tests.ports import free_port

    port = free_port("127.0.0.1")
    settings = desk.settings.model_copy(update={"desk_port": port, "desk_url": None, "upload_timeout_seconds": 1.0})
    path = desk.links()["claim"]
    with ExitStack() as stack:
        start_desk(settings, stack, None)
        os.environ.pop("GREENCOMM_DESK_URL", None)
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
            head = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
                "Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n"
                '--XX\r\nContent-Disposition: form-data; name="m0"; filename="a.pdf"\r\n\r\n%PDF-1.4\r\n'
            )
            client.sendall(head.encode())
            assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).text == "ok"  # the desk serves others
            answer = b""
            while b"</html>" not in answer:  # the rest of the body never comes
                chunk = client.recv(65536)
                if not chunk:
                    break
                answer += chunk
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408") and "上传超时".encode() in answer
    assert 1.0 <= waited < 10
    assert desk.rows() == ([], [], []) and desk.stored() == []


def test_a_claims_files_are_listed_for_its_deciders_with_links_that_open_them(desk: Desk) -> None:
    from tasks.approvals import claim_files

    claim(desk, [("m0", "评估.pdf", PDF), ("m1", "评估.docx", DOCX)])
    [filed], _, _ = desk.rows()
    assert filed.id is not None
    with session_scope(desk.settings.database_url) as session:
        linked = claim_files(session, desk.plan, filed.id, reader="director@t.example", settings=desk.settings)
        plain = claim_files(session, desk.plan, filed.id)
    assert [text for text, _ in linked] == [
        "盖章扫描PDF版：评估.pdf（1KB，PDF文件）",
        "电子版：评估.docx（1KB，Word或WPS文字文档）",
    ]
    assert [url for _, url in plain] == [None, None]
    assert [desk.client.get(str(url).removeprefix(BASE)).content for _, url in linked] == [PDF, DOCX]
