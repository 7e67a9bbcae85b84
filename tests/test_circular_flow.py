"""The campaign-circular flow through Prefect: once a month, to everyone, as 公文, with a chart and an artifact."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from flows.circular import campaign_circular
from tasks.mail.mailsink import MailSink
from tests.test_flows import CAMPAIGN, D, campaign, recipients, run, sink

__all__ = ["campaign", "sink"]  # fixtures
CIRCULAR: Any = campaign_circular
LATIN_OR_ISO_DATE = re.compile(r"[A-Za-z]|\d{4}-\d{1,2}-\d{1,2}")


def circular(day: str, **parameters: Any) -> int:
    return int(asyncio.run(CIRCULAR(campaign_id=CAMPAIGN, as_of=D(day), **parameters)))


def test_the_circular_goes_once_a_month_to_the_leading_group_and_every_office(campaign: str, sink: MailSink) -> None:
    run("2022-01-04")
    run("2022-01-20")
    before = len(sink.messages)  # the phase runs' own digests
    assert circular("2022-02-08") == 0 and len(sink.messages) == before  # not the month's first working day
    assert circular("2022-02-07") == 6  # 春节 ends: the first working day of February
    sent = sink.messages[before:]
    assert recipients(sent) == [
        "director@t.example",
        "lead.head@t.example",
        "lead.liaison@t.example",
        "leader@t.example",
        "works.head@t.example",
        "works.liaison@t.example",
    ]
    assert circular("2022-02-07") == 0 and circular("2022-02-10", force=True) == 0  # once a month
    assert len(sink.messages) == before + 6
    message = sent[0]
    assert "领导小组办公室" in str(message["From"]) and str(message["Subject"]).startswith("【通报】")
    plain = message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert LATIN_OR_ISO_DATE.search(text) is None, LATIN_OR_ISO_DATE.search(text)
    assert "截至2022年2月7日" in text and "工程办" in text and "无应办事项：工程办" in text
    assert "第1名" in text and "制定方案" in text
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    html = message.get_body(("html",))
    assert html is not None and "cid:chart" in html.get_content()


def test_the_circular_is_published_as_a_markdown_artifact(campaign: str) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    run("2022-01-04")
    circular("2022-02-07")

    async def latest() -> Any:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["small-test-circular"]))
            )
        return found

    artifacts = asyncio.run(latest())
    assert artifacts and "2022年2月工作进展情况的通报" in str(artifacts[0].data)
    assert LATIN_OR_ISO_DATE.search(str(artifacts[0].data)) is None
