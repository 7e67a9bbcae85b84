"""`mailbox-intake` through Prefect (test harness) against Dovecot and a real SMTP sink: claims filed, receipts
delivered at once, 待分拣 published as an artifact, a highlight filed by its mark; three task runs whatever the
mailbox holds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, DeploymentFilter, DeploymentFilterId

from flows.approvals import confirm_claim
from flows.intake import mailbox_intake
from models.plan import Plan, parse_plan
from models.vocabulary import IntakeStatus
from tasks.mail import MailSink
from tests.dovecot import Dovecot
from tests.intake_mail import Mailbox, intake_plan_data, mailbox_for, message

FLOW: Any = mailbox_intake  # Prefect types a flow call as sync-or-async; these tests await it
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(scope="module")
def plan() -> Plan:
    data = intake_plan_data()
    highlight = {"id": "pilot.highlight", "title": "亮点信息", "owner": "communities", "kind": "submission"}
    data["phases"][0]["items"].append(highlight | {"keyword": "亮点"})
    return parse_plan(yaml.safe_dump(data, allow_unicode=True))


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def mailbox(
    prefect_server: None,
    dovecot: Dovecot,
    sqlite_url: str,
    tmp_path: Path,
    plan: Plan,
    sink: MailSink,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Mailbox]:
    for mailbox in mailbox_for(dovecot, sqlite_url, tmp_path, plan):
        env = {
            "GREENCOMM_DATABASE_URL": sqlite_url,
            "GREENCOMM_VAR_DIR": str(tmp_path),
            "GREENCOMM_INTAKE_IMAP_HOST": dovecot.host,
            "GREENCOMM_INTAKE_IMAP_PORT": str(dovecot.port),
            "GREENCOMM_INTAKE_IMAP_USERNAME": dovecot.user,
            "GREENCOMM_INTAKE_IMAP_PASSWORD": dovecot.password,
            "GREENCOMM_SMTP_HOST": "127.0.0.1",
            "GREENCOMM_SMTP_PORT": str(sink.port),
            "SSL_CERT_FILE": str(dovecot.cert),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield mailbox


def triage_artifact() -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["intake-test-mailbox-triage"]))
            )
        import json

        return list(json.loads(str(found[0].data))) if found else []

    return asyncio.run(read())


def approval_runs() -> list[dict[str, Any]]:
    """The parameters of every confirm-claim run of the campaign's deployment (registered here: nothing serves it,
    so a run started stays scheduled)."""

    async def read() -> list[dict[str, Any]]:
        deployment: Any = await confirm_claim.ato_deployment(
            name="intake-test", parameters={"campaign_id": "intake-test"}
        )
        deployment_id = await deployment.aapply()
        async with get_client() as client:
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )
        return [dict(run.parameters) for run in runs]

    return asyncio.run(read())


def test_a_run_files_claims_mails_receipts_and_publishes_what_waits(mailbox: Mailbox, sink: MailSink) -> None:
    mailbox.put(message(), message(sender="stranger@elsewhere.example", subject="方案"))
    before = approval_runs()
    line = asyncio.run(FLOW(campaign_id="intake-test"))
    assert line.startswith("1 claim(s) filed, 0 highlight(s), 1 waiting for triage")
    [receipt] = sink.messages
    assert receipt["To"].addresses[0].addr_spec == "c1@t.example"
    assert str(receipt["Subject"]) == "【回执】已收到社区一报送的“制定方案”材料"
    [claim] = mailbox.claims()
    started = [run for run in approval_runs() if run not in before]
    assert started == [{"campaign_id": "intake-test", "claim_id": claim.id}]
    [waiting] = triage_artifact()
    assert (waiting["发件人"], waiting["主题"]) == ("stranger@elsewhere.example", "方案")
    assert asyncio.run(FLOW(campaign_id="intake-test")).startswith("0 claim(s) filed")  # nothing twice


def test_a_highlight_is_filed_by_its_mark(mailbox: Mailbox) -> None:
    mailbox.put(message(subject="【信息】社区一开展垃圾分类宣传", files=[("活动照片.png", PNG)]))
    line = asyncio.run(FLOW(campaign_id="intake-test"))
    assert line.startswith("0 claim(s) filed, 1 highlight(s), 0 waiting")
    [row] = mailbox.rows()
    assert (row.status, row.item_id, row.assignee) == (IntakeStatus.HIGHLIGHT, "pilot.highlight", "community:c1")
    assert mailbox.claims() == []
