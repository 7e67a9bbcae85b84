"""The campaign mailbox against a real IMAP server (SPEC §9): what is matched and filed, what waits as 待分拣, and
nothing registered twice however often, however concurrently, the mailbox is read."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from models.plan import Plan, parse_plan
from models.vocabulary import ClaimStatus, IntakeStatus
from tests.dovecot import Dovecot
from tests.intake_mail import PDF, Mailbox, intake_plan_data, mailbox_for, message, text_of

SPOOFED = "mx.t.example; spf=fail smtp.mailfrom=c1@t.example; dmarc=fail header.from=t.example"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(yaml.safe_dump(intake_plan_data(), allow_unicode=True))


@pytest.fixture
def mailbox(dovecot: Dovecot, database_url: str, tmp_path: Path, plan: Plan) -> Iterator[Mailbox]:
    yield from mailbox_for(dovecot, database_url, tmp_path, plan)


def test_a_submission_from_a_community_contact_files_a_claim_with_a_receipt(mailbox: Mailbox) -> None:
    mailbox.put(message())
    done = mailbox.read()
    assert (done.filed, done.triage, done.skipped) == (1, 0, 0)
    [claim] = mailbox.claims()
    assert mailbox.item_of(claim) == ("pilot.plan", "community:c1")
    assert claim.status == ClaimStatus.PENDING  # waits for a decider: never completes on arrival
    assert [f.id for f in done.started] == [claim.id]  # its approval run is started as the desk's are
    [row] = mailbox.rows()
    assert (row.status, row.item_id, row.request_id) == (IntakeStatus.FILED, "pilot.plan", claim.id)
    [receipt] = mailbox.outbox()
    assert receipt.recipient == "c1@t.example"
    body = text_of(receipt.body)
    assert "已收到你单位于2022年1月10日报送的“制定方案”材料，待审核。" in body
    assert "盖章扫描PDF版：方案.pdf；电子版：方案.docx" in body


def test_mail_before_the_days_phase_run_finds_the_days_work(
    dovecot: Dovecot, database_url: str, tmp_path: Path, plan: Plan
) -> None:
    for mailbox in mailbox_for(dovecot, database_url, tmp_path, plan, assigned=False):
        mailbox.put(message())
        assert mailbox.read().filed == 1  # 10:00, the phase run not yet run: its work assigned first, as it would


def test_the_title_words_in_the_subject_choose_the_item(mailbox: Mailbox) -> None:
    mailbox.put(message(subject="社区一申报材料", body="详见附件"))  # 申报 is pilot.apply's title
    mailbox.read()
    [claim] = mailbox.claims()
    assert mailbox.item_of(claim) == ("pilot.apply", "community:c1")


def test_without_title_words_the_earliest_due_item_is_chosen(mailbox: Mailbox) -> None:
    mailbox.put(message(subject="报送", body="请查收"))
    mailbox.read()
    [claim] = mailbox.claims()
    assert mailbox.item_of(claim) == ("pilot.apply", "community:c1")  # due 01-10, before pilot.plan's 01-14


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"sender": "stranger@elsewhere.example"}, "unknown-sender"),
        ({"files": []}, "no-attachment"),
        ({"files": [("说明.txt", b"just text")]}, "no-accepted-kind"),
        ({"files": [("方案.pdf", PDF)]}, "refused"),  # the 电子版 is missing
        ({"Authentication_Results": SPOOFED}, "failed-authentication"),
        ({"sender": "lead.liaison@t.example"}, "no-open-item"),  # an office with no item asking for materials
    ],
)
def test_what_cannot_be_matched_waits_with_its_reason(mailbox: Mailbox, kwargs: dict[str, object], reason: str) -> None:
    mailbox.put(message(**kwargs))  # type: ignore[arg-type]
    done = mailbox.read()
    assert (done.filed, done.triage) == (0, 1)
    [row] = mailbox.rows()
    assert (row.status, row.reason) == (IntakeStatus.TRIAGE, reason)
    assert mailbox.claims() == [] and mailbox.outbox() == []


def test_a_second_read_and_a_second_copy_register_nothing_again(mailbox: Mailbox) -> None:
    first = message()
    mailbox.put(first, message(sender="stranger@elsewhere.example"))
    mailbox.read()
    mailbox.put(first)  # the same message again (same Message-ID), as a client re-sending it
    again = mailbox.read()
    assert (again.filed, again.triage, again.skipped) == (0, 0, 1)
    assert mailbox.read().skipped == 0  # read up to its UID: not even looked at
    assert len(mailbox.rows()) == 2 and len(mailbox.claims()) == 1


def test_concurrent_runs_register_each_message_once(mailbox: Mailbox) -> None:
    mailbox.put(*(message(sender=f"c{n}@t.example") for n in (1, 2, 3)))
    results = []
    runs = [threading.Thread(target=lambda: results.append(mailbox.read())) for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert len(results) == 3
    assert sorted(mailbox.item_of(c)[1] for c in mailbox.claims()) == [f"community:c{n}" for n in (1, 2, 3)]
    assert len(mailbox.rows()) == 3 and len(mailbox.outbox()) == 3


def test_a_uidvalidity_change_rescans_and_dedupes(
    dovecot: Dovecot, database_url: str, tmp_path: Path, plan: Plan
) -> None:
    for mailbox in mailbox_for(dovecot, database_url, tmp_path, plan, intake_imap_folder="报送"):
        mailbox.server.reset("报送")
        first = [message(), message(sender="c2@t.example")]
        mailbox.put(*first, folder="报送")
        mailbox.read()
        with mailbox.server.client() as imap:  # the folder made anew: every UID renumbered
            before = imap.select_folder("报送")[b"UIDVALIDITY"]
            imap.close_folder()
            imap.delete_folder("报送")
            imap.create_folder("报送")
        mailbox.put(*first, message(sender="c3@t.example"), folder="报送")
        with mailbox.server.client() as imap:
            assert imap.select_folder("报送")[b"UIDVALIDITY"] != before
        done = mailbox.read()
        assert (done.filed, done.skipped) == (1, 2)
        assert len(mailbox.claims()) == 3


def test_the_mailbox_is_left_untouched_without_a_done_folder(mailbox: Mailbox) -> None:
    mailbox.put(message(), message(sender="stranger@elsewhere.example"))
    mailbox.read()
    with mailbox.server.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        flags = imap.get_flags(imap.search("ALL"))
    assert len(flags) == 2 and all(b"\\Seen" not in f for f in flags.values())


def test_with_a_done_folder_handled_messages_move_and_the_rest_stay(
    dovecot: Dovecot, database_url: str, tmp_path: Path, plan: Plan
) -> None:
    for mailbox in mailbox_for(dovecot, database_url, tmp_path, plan, intake_done_folder="已处理"):
        mailbox.put(message(), message(sender="stranger@elsewhere.example"))
        mailbox.read()
        with mailbox.server.client() as imap:
            left = imap.select_folder("INBOX")[b"EXISTS"]
            moved = imap.select_folder("已处理")[b"EXISTS"]
        assert (left, moved) == (1, 1)  # the 待分拣 one stays where a person looks


def test_starttls_reads_the_same_mailbox(dovecot: Dovecot, sqlite_url: str, tmp_path: Path, plan: Plan) -> None:
    starttls = {"intake_imap_security": "starttls", "intake_imap_port": dovecot.starttls_port}
    for mailbox in mailbox_for(dovecot, sqlite_url, tmp_path, plan, assigned=True, **starttls):
        mailbox.put(message())
        assert mailbox.read().filed == 1


def test_the_password_never_reaches_a_log(mailbox: Mailbox, caplog: pytest.LogCaptureFixture) -> None:
    mailbox.put(message())
    with caplog.at_level(logging.DEBUG):
        mailbox.read()
    assert "LOGIN" in caplog.text  # IMAPClient's debug log was on …
    assert mailbox.server.password not in caplog.text  # … and redacted it
