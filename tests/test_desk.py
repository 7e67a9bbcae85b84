"""The desk over HTTP (SPEC §7): GET never acts, the POST acts once, bad tokens and bad forms change nothing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import select

from deployments.desk.app import create_app
from deployments.plan_file import load_plan
from models import tables
from models.desk.pages import decision_links, desk_links
from models.desk.tokens import Grant, form_mac, sign
from models.plan.schema import Plan
from models.settings import Settings
from tasks.approvals import Filed
from tasks.db import session_scope, upgrade
from tasks.engine.work import assign
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN

SECRET = "desk-test-secret"
DAY = date(2022, 1, 10)
BASE = "http://testserver"
END = date(2022, 3, 31)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Desk:
    client: TestClient
    settings: Settings
    plan: Plan
    started: list[Filed]

    def assignment(self, item: str, assignee: str) -> tables.Assignment:
        with session_scope(self.settings.database_url) as session:
            query = select(tables.Assignment).where(tables.Assignment.item_id == item)
            return session.exec(query.where(tables.Assignment.assignee == assignee)).one()

    def links(self, a: tables.Assignment, recipient: str, end: date | None = None) -> dict[str, str]:
        assert a.id is not None
        links = desk_links(BASE, SECRET.encode(), self.plan.campaign.id, a.id, recipient, end or self.plan.campaign.end)
        return {action: url.removeprefix(BASE) for action, url in links.items()}

    def acks(self) -> list[tables.Acknowledgement]:
        with session_scope(self.settings.database_url) as session:
            return list(session.exec(select(tables.Acknowledgement)).all())

    def desk_audit(self) -> list[str]:
        with session_scope(self.settings.database_url) as session:
            return [row.action for row in session.exec(select(tables.Audit)) if row.action.startswith("desk.")]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'desk.db'}", var_dir=tmp_path, secret_key=SecretStr(SECRET), desk_url=BASE
    )
    plan = load_plan(SMALL_PLAN)
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        assign(session, plan, "pilot", DAY)
    started: list[Filed] = []
    clock = lambda: datetime(2022, 1, 10, 2, 0, tzinfo=UTC)  # noqa: E731
    app = create_app(settings, start_approval=started.append, clock=clock)
    with TestClient(app, base_url=BASE) as client:
        yield Desk(client, settings, plan, started)


def form_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(token|mac)" value="([^"]+)"', html))


def post(desk: Desk, path: str, **fields: str) -> httpx2.Response:  # the TestClient runs on httpx2
    page = desk.client.get(path)
    response: httpx2.Response = desk.client.post(path, data=form_of(page.text) | fields, headers={"Origin": BASE})
    return response


def test_opening_a_link_shows_the_item_and_changes_nothing(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    for action in ["ack", "claim", "extend"]:
        page = desk.client.get(desk.links(a, "c1@t.example")[action])
        assert page.status_code == 200
        assert "制定方案" in page.text and "社区一" in page.text and "2022年1月14日" in page.text
        assert 'method="post"' in page.text
        text = re.sub(r"<[^>]+>|<style>.*?</style>", " ", page.text, flags=re.S)
        assert not ISO_DATE.search(re.sub(r'(min|max|value)="[^"]*"', "", text))
        assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<style>.*?</style>|<[^>]+>", " ", page.text, flags=re.S))
    assert desk.acks() == []
    assert desk.desk_audit() == []


def test_acknowledging_twice_records_once_and_shows_the_same_page(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    path = desk.links(a, "c1@t.example")["ack"]
    first, second = post(desk, path), post(desk, path)
    assert first.status_code == second.status_code == 200
    assert "已签收" in first.text and first.text == second.text
    acks = desk.acks()
    assert len(acks) == 1 and acks[0].recipient == "c1@t.example"
    assert desk.desk_audit() == ["desk.ack"]


def test_a_claim_and_an_extension_request_start_their_approvals(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    links = desk.links(a, "c1@t.example")
    assert "办结申报已提交" in post(desk, links["claim"], note="方案已印发").text
    assert "延期申请已提交" in post(desk, links["extend"], new_due="2022-01-21", reason="春节").text
    again = post(desk, links["claim"], note="方案已印发")
    assert "已提交，待审核" in again.text and "待督办科室审核" in again.text  # the same request, shown as waiting
    assert "已提交，待审核" in post(desk, links["extend"], new_due="2022-01-28", reason="再次").text
    assert [(f.kind, f.by) for f in desk.started] == [("claim", "c1@t.example"), ("extension", "c1@t.example")]
    with session_scope(desk.settings.database_url) as session:
        assert len(session.exec(select(tables.Claim)).all()) == 1
        [extension] = session.exec(select(tables.Extension)).all()
        assert (extension.status, extension.new_due, extension.reason) == ("requested", date(2022, 1, 21), "春节")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"new_due": "2022-01-14", "reason": "x"}, "须晚于原完成时限2022年1月14日"),
        ({"new_due": "2022-04-01", "reason": "x"}, "不晚于2022年3月31日"),
        ({"new_due": "not a day", "reason": "x"}, "请选择"),
        ({"new_due": "2022-01-21", "reason": "  "}, "请填写说明"),
    ],
)
def test_a_bad_extension_request_is_refused_in_words(desk: Desk, fields: dict[str, str], message: str) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    page = post(desk, desk.links(a, "c1@t.example")["extend"], **fields)
    assert page.status_code == 200 and message in page.text
    assert desk.started == []


def test_forged_foreign_and_expired_links_get_403_and_change_nothing(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    good = desk.links(a, "c1@t.example")["ack"]
    assert a.id is not None
    grant = Grant(desk.plan.campaign.id, a.id, "c1@t.example", "ack", date(2022, 3, 31))
    forged = "/a/" + sign(b"another secret", grant)
    cases = [
        good[:-3] + "AAA",  # tampered signature
        forged,
        desk.links(a, "c2@t.example")["ack"],  # another community's contact: foreign to this assignment
        desk.links(a, "works.liaison@t.example")["ack"],  # a supervisor may look (我的事项) but not sign for it
        desk.links(a, "c1@t.example", end=date(2022, 1, 9))["ack"],  # expired the day before
        desk.links(a, "c1@t.example")["mine"].replace("/me/", "/a/"),  # a page link is no action link
    ]
    for path in cases:
        assert desk.client.get(path).status_code == 403, path
        token = path.rsplit("/", 1)[1]
        response = desk.client.post(path, data={"token": token, "mac": form_mac(SECRET.encode(), token)})
        assert response.status_code == 403, path
    assert desk.acks() == []


def test_a_post_without_the_form_mac_or_from_another_origin_is_refused(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    path = desk.links(a, "c1@t.example")["ack"]
    form = form_of(desk.client.get(path).text)
    assert desk.client.post(path, data={"token": form["token"]}).status_code == 403
    assert desk.client.post(path, data=form | {"mac": "x"}).status_code == 403
    assert desk.client.post(path, data=form, headers={"Origin": "https://evil.example"}).status_code == 403
    assert desk.client.post(path, data=form, headers={"Origin": "null"}).status_code == 403
    assert desk.client.post(path, data=form, headers={"Referer": "https://evil.example/x"}).status_code == 403
    assert desk.acks() == []


def test_a_body_over_the_limit_is_refused_with_413(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    path = desk.links(a, "c1@t.example")["claim"]
    form = form_of(desk.client.get(path).text)
    response = desk.client.post(path, data=form | {"note": "很" * 20_000}, headers={"Origin": BASE})
    assert response.status_code == 413
    assert desk.started == []


def test_my_items_lists_what_a_reader_owns_and_supervises(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    post(desk, desk.links(a, "c1@t.example")["ack"])
    own = desk.client.get(desk.links(a, "c1@t.example")["mine"])
    assert own.status_code == 200 and "承办事项" in own.text and "制定方案" in own.text and "已签收" in own.text
    assert "社区二" not in own.text
    lead = desk.client.get(desk.links(a, "lead.liaison@t.example")["mine"])
    assert "督促事项" in lead.text and "社区二" in lead.text and "报送名单" in lead.text
    assert "达标" not in lead.text  # pilot.meet is supervised by works, and no community is on the list yet
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", lead.text, re.S) if "社区" in row]
    assert len(rows) >= 2 and all(len(re.findall("社区[一二三]", row)) == 1 for row in rows)  # one unit per row
    assert desk.client.get(desk.links(a, "c1@t.example")["mine"].replace("/me/", "/me/x")).status_code == 403


def test_pages_send_strict_headers_and_no_cookie(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    response = desk.client.get(desk.links(a, "c1@t.example")["ack"])
    assert response.headers["x-frame-options"] == "DENY"
    assert "form-action 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers


def test_up_serves_the_desk_in_a_thread_and_stops_it(desk: Desk) -> None:
    from contextlib import ExitStack

    from deployments.desk.server import desk_exposure_problem, start_desk
    from tests.ports import free_port

    settings = desk.settings.model_copy(update={"desk_port": free_port("127.0.0.1"), "desk_url": None})
    with ExitStack() as stack:
        start_desk(settings, stack, None)
        assert httpx.get(f"{settings.desk_base}/health", timeout=5).text == "ok"
        assert os.environ.pop("GREENCOMM_DESK_URL") == settings.desk_base
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{settings.desk_base}/health", timeout=2)
    assert desk_exposure_problem(settings.model_copy(update={"desk_host": "0.0.0.0"}))
    exposed = settings.model_copy(update={"desk_host": "0.0.0.0", "desk_url": "https://desk.example"})
    assert desk_exposure_problem(exposed) is None


def test_acknowledgements_show_in_status_and_its_overdue_lines(desk: Desk) -> None:
    from tasks.reports.status import status

    a = desk.assignment("pilot.plan", "community:c1")
    post(desk, desk.links(a, "c1@t.example")["ack"])
    post(desk, desk.links(a, "c1.head@t.example")["ack"])
    with session_scope(desk.settings.database_url) as session:
        late = status(session, desk.plan, date(2022, 1, 18))
    assert [(x.title, x.name, x.text) for x in late.answers] == [("制定方案", "社区一", "已签收2人")]
    assert {x.name: x.answer for x in late.overdue if x.item == "pilot.plan"} == {
        "社区一": "已签收2人",
        "社区二": "",
        "社区三": "",
    }
    assert late.to_json()["answers"][0]["acknowledged"] == 2


def test_each_line_the_reader_may_act_on_carries_working_links(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from email import message_from_bytes, policy

    from tasks.day_run import run_day

    monkeypatch.setenv("GREENCOMM_DESK_URL", BASE)
    monkeypatch.setenv("GREENCOMM_SECRET_KEY", SECRET)
    with session_scope(desk.settings.database_url) as session:
        run_day(session, desk.plan, "pilot", DAY, mail_from="gc@t.example")
        rows = session.exec(select(tables.Outbox)).all()
        mail = {row.recipient: message_from_bytes(row.body, policy=policy.default) for row in rows}
    html = mail["c1@t.example"].get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = mail["c1@t.example"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links: dict[str, str] = {}
    for url, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html[html.index("】制定方案") :]):
        links.setdefault(label, url)  # the first of each: the links of this item's line
    assert {"签收", "申报办结", "申请延期", "我的事项"} <= set(links)
    assert links["签收"] in text and links["我的事项"] in text
    page = desk.client.get(links["签收"].removeprefix(BASE))
    assert page.status_code == 200 and "制定方案" in page.text and "社区一" in page.text
    office = mail["lead.liaison@t.example"]  # the list owner's 交办: 签收 and 申请延期, no 申报办结 for a list item
    office_html = office.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "申报办结</a>" not in office_html and "签收</a>" in office_html and "申请延期</a>" in office_html


def test_the_weekly_report_shows_acknowledgements_and_waiting_requests(desk: Desk) -> None:
    from tasks.reports.weekly import report_message

    a = desk.assignment("pilot.plan", "community:c1")
    post(desk, desk.links(a, "c1@t.example")["ack"])
    post(desk, desk.links(a, "c1@t.example")["extend"], new_due="2022-01-21", reason="春节")
    with session_scope(desk.settings.database_url) as session:
        message = report_message(session, desk.plan, date(2022, 1, 18), mail_from="gc@t.example")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "签收及待审核的办结申报、延期申请" in body
        assert "已签收；申请延期至2022年1月21日，待审核" in body


def decision_path(desk: Desk, kind: str, request_id: int, recipient: str, verdict: str = "agree") -> str:
    agree, back = decision_links(BASE, SECRET.encode(), desk.plan.campaign.id, kind, request_id, recipient, END)
    return (agree if verdict == "agree" else back).removeprefix(BASE)


def filed_claim(desk: Desk) -> int:
    a = desk.assignment("pilot.plan", "community:c1")
    post(desk, desk.links(a, "c1@t.example")["claim"], note="方案已印发")
    with session_scope(desk.settings.database_url) as session:
        claim = session.exec(select(tables.Claim)).one()
    assert claim.id is not None
    return claim.id


def claim_status(desk: Desk, claim_id: int) -> tables.Claim:
    with session_scope(desk.settings.database_url) as session:
        claim = session.get(tables.Claim, claim_id)
    assert claim is not None
    return claim


def test_a_decider_opens_the_link_sees_the_request_and_nothing_changes(desk: Desk) -> None:
    claim_id = filed_claim(desk)
    page = desk.client.get(decision_path(desk, "claim", claim_id, "lead.liaison@t.example", "return"))
    assert page.status_code == 200
    assert "制定方案" in page.text and "社区一" in page.text and "方案已印发" in page.text
    assert 'value="退回" checked' in page.text and "联络员甲同志（牵头办）" in page.text
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<style>.*?</style>|<[^>]+>", " ", page.text, flags=re.S))
    assert claim_status(desk, claim_id).status == "pending"


def test_only_the_people_entitled_to_decide_may(desk: Desk) -> None:
    claim_id = filed_claim(desk)
    for stranger in ["c1@t.example", "works.head@t.example"]:  # the requester; another office
        page = desk.client.get(decision_path(desk, "claim", claim_id, stranger))
        assert page.status_code == 403 and "审核人之列" in page.text
    assert desk.client.get(decision_path(desk, "extension", claim_id, "lead.liaison@t.example")).status_code == 403


def test_a_decision_from_the_link_is_applied_once_as_the_token_recipient(desk: Desk) -> None:
    claim_id = filed_claim(desk)
    path = decision_path(desk, "claim", claim_id, "lead.liaison@t.example", "return")
    hasty = post(desk, path, decision="退回", comment=" ")
    assert "退回须填写审核意见" in hasty.text and claim_status(desk, claim_id).status == "pending"
    assert "请选择审核结论" in post(desk, path, comment="材料不全").text
    assert "材料不全" in post(desk, path, comment="材料不全").text  # a refused form keeps what was typed
    done = post(desk, path, decision="退回", comment="材料不全")
    assert "审核意见已提交" in done.text
    claim = claim_status(desk, claim_id)
    assert (claim.status, claim.decided_by, claim.comment) == ("rejected", "联络员甲同志（牵头办）", "材料不全")
    later = desk.client.get(decision_path(desk, "claim", claim_id, "lead.head@t.example"))
    assert "该申请已由联络员甲同志（牵头办）于2022年1月10日审核退回" in later.text and "<form" not in later.text
    token = unquote(path.removeprefix("/d/").split("?")[0])
    fields = {"token": token, "mac": form_mac(SECRET.encode(), token), "decision": "同意", "comment": ""}
    again = desk.client.post(path, data=fields, headers={"Origin": BASE})
    assert claim_status(desk, claim_id).status == "rejected" and "审核退回" in again.text  # the first one wins


def test_an_extension_waits_for_the_claim_filed_beside_it(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    post(desk, desk.links(a, "c1@t.example")["extend"], new_due="2022-01-21", reason="春节")
    filed_claim(desk)
    with session_scope(desk.settings.database_url) as session:
        extension = session.exec(select(tables.Extension)).one()
    assert extension.id is not None
    path = decision_path(desk, "extension", extension.id, "director@t.example")
    refused = post(desk, path, decision="同意", comment="")
    assert "请先审核办结申报" in refused.text


def test_two_thousand_chinese_characters_fit_and_a_refused_form_keeps_what_was_typed(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    links = desk.links(a, "c1@t.example")
    too_long = post(desk, links["extend"], new_due="2022-01-21", reason="因" * 2001)
    assert "不超过2000字" in too_long.text and "因" * 2001 in too_long.text and 'value="2022-01-21"' in too_long.text
    assert "办结申报已提交" in post(desk, links["claim"], note="办" * 2000).text


def test_error_pages_are_chinese_pages_of_the_desk(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    path = desk.links(a, "c1@t.example")["claim"]
    missing = desk.client.get("/no-such-page")
    assert missing.status_code == 404 and "没有这个页面" in missing.text and "<!doctype html>" in missing.text
    wrong = desk.client.put(path)
    assert wrong.status_code == 405 and "不支持这种访问方式" in wrong.text
    huge = desk.client.post(path, content=b"note=" + b"x" * 70_000, headers={"Origin": BASE})
    assert huge.status_code == 413 and "提交的内容过长" in huge.text
    for page in (missing, wrong, huge):
        assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<style>.*?</style>|<[^>]+>", " ", page.text, flags=re.S))


def test_a_link_cut_short_says_so(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    path = desk.links(a, "c1@t.example")["claim"]
    cut = desk.client.get(path[:-10])
    assert cut.status_code == 403 and "链接不完整" in cut.text and "已过期" not in cut.text
    forged = desk.client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert forged.status_code == 403 and "链接无效或已过期" in forged.text


def test_form_bytes_that_are_not_utf8_are_refused_in_words(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    path = desk.links(a, "c1@t.example")["claim"]
    fields = form_of(desk.client.get(path).text)
    body = "&".join(f"{k}={quote(v)}" for k, v in fields.items()).encode() + b"&note=%C4%E3%BA%C3"  # GBK 你好
    answer = desk.client.post(
        path, content=body, headers={"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 400 and "不是有效的文字" in answer.text
    with session_scope(desk.settings.database_url) as session:
        assert not session.exec(select(tables.Claim)).all()


def test_my_items_offer_each_items_buttons(desk: Desk) -> None:
    a = desk.assignment("pilot.plan", "community:c1")
    page = desk.client.get(desk.links(a, "c1@t.example")["mine"])
    assert page.status_code == 200
    buttons = re.findall(r'<a class="act" href="(/a/[^"]+)">([^<]+)</a>', page.text)
    assert {text for _, text in buttons} == {"签收", "申报办结", "申请延期"}
    claim = next(path for path, text in buttons if text == "申报办结")
    assert "办结情况说明" in desk.client.get(claim.replace("&amp;", "&")).text
