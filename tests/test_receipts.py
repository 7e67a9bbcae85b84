"""The desk's e-mails read as 公文: a receipt per outcome, a notice when nobody decided; working-day windows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from deployments.plan_file import load_plan
from models.approvals.receipts import Request, receipt, waiting_notice
from models.desk.pages import decision_deadline
from tests.conftest import SMALL_PLAN

PLAN = load_plan(SMALL_PLAN)
AT = datetime(2022, 1, 12, 3, 0, tzinfo=UTC)
CLAIM = Request("small-test", "claim", 7, "制定方案", "社区一", date(2022, 1, 10), date(2022, 1, 14), None, "已印发")
EXTENSION = Request(
    "small-test", "extension", 8, "制定方案", "社区一", date(2022, 1, 10), date(2022, 1, 14), date(2022, 2, 11), "春节"
)
TO = ("c1@t.example", "联系人一")


def _text(message: object) -> str:
    from email.message import EmailMessage

    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    return str(message["Subject"]) + "\n" + str(body.get_content())


@pytest.mark.parametrize(
    ("request_", "approved", "says"),
    [
        (CLAIM, True, "予以确认，该事项已办结"),
        (CLAIM, False, "未予确认，请继续办理"),
        (EXTENSION, True, "同意延期至2022年2月11日"),
        (EXTENSION, False, "原完成时限2022年1月14日不变"),
    ],
)
def test_a_receipt_says_the_outcome_in_words(request_: Request, approved: bool, says: str) -> None:
    message = receipt(
        PLAN,
        request_,
        TO,
        approved=approved,
        comment="材料齐全",
        decided_by="联络员甲",
        at=AT,
        mail_from="gc@t.example",
    )
    text = _text(message)
    assert says in text and "联系人一同志" in text and "审核意见：材料齐全" in text and "审核人：联络员甲" in text
    assert "2022年1月12日" in text and message["To"].addresses[0].addr_spec == "c1@t.example"
    assert not re.search(r"\d{4}-\d{2}-\d{2}|[A-Za-z]{3,}", text), text


def test_a_request_nobody_decided_goes_to_the_leading_group_office() -> None:
    message = waiting_notice(PLAN, EXTENSION, waited_days=3, at=AT, mail_from="gc@t.example")
    text = _text(message)
    assert message["To"].addresses[0].addr_spec == "director@t.example"
    assert "已逾3个工作日未审核" in text and "申请延期至2022年2月11日" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|[A-Za-z]{3,}", text), text


def test_the_decision_window_counts_working_days() -> None:
    assert decision_deadline(PLAN, date(2022, 1, 10), 3) == date(2022, 1, 13)  # Mon → Thu
    assert decision_deadline(PLAN, date(2022, 1, 28), 3) == date(2022, 2, 7)  # 调休 Sat 29, Sun 30, then 春节 off


def test_a_role_name_standing_in_for_a_person_is_addressed_as_it_is() -> None:
    message = receipt(
        PLAN,
        CLAIM,
        ("c1@t.example", "社区一联系人"),
        approved=True,
        comment="",
        decided_by="",
        at=AT,
        mail_from="g@t.e",
    )
    assert "社区一联系人：" in _text(message) and "社区一联系人同志" not in _text(message)
