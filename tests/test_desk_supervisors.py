"""Who supervises a 达标 (standards) item is one rule for the e-mails and the desk (issue 21, bug b): the offices
of the areas of the standards the community has not met. An office told to 督促 by e-mail finds the item on its
我的事项 page; an office whose areas are met is told nothing and sees nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import select

from deployments.desk.app import create_app
from deployments.plan_file import load_plan
from models import tables
from models.desk.pages import desk_links
from models.plan.schema import Plan
from models.settings import Settings
from models.vocabulary import AssigneeKey, Role
from tasks.day_run import run_day
from tasks.db import session_scope, upgrade
from tasks.store import sync_plan
from tests.conftest import SEED_PLAN

SECRET = "desk-test-secret"
BASE = "http://testserver"
DAY = date(2022, 11, 1)  # the first working day after promotion.meet_standards was due (2022-10-31)
ASSIGNED = date(2022, 10, 20)  # assigned inside the promotion phase
ITEM = "promotion.meet_standards"
UNMET_AREA = 5  # 培育社区绿色文化: 社区治理办, 社会事务办, 教育办, 社区发展办
EDUCATION = "edu.liaison@qingyang.example"  # drives area 5 only: supervised neither by the item nor by default
POLICE = "qps.liaison@qingyang.example"  # drives area 4 only, met by c01


@dataclass
class Seeded:
    client: TestClient
    settings: Settings
    plan: Plan
    mail: dict[str, EmailMessage]


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    """The seed plan on 2022-11-01: c01 on the creation list, every standard met but those of area 5."""
    monkeypatch.setenv("GREENCOMM_DESK_URL", BASE)
    monkeypatch.setenv("GREENCOMM_SECRET_KEY", SECRET)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'desk.db'}", var_dir=tmp_path, secret_key=SecretStr(SECRET), desk_url=BASE
    )
    plan = load_plan(SEED_PLAN)
    campaign = plan.campaign.id
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        session.add(
            tables.ListMember(campaign_id=campaign, list_id="creation", community_id="c01", since=date(2022, 2, 10))
        )
        for standard in plan.standards:
            value = "unmet" if standard.area == UNMET_AREA else ("1" if standard.measure else "met")
            session.add(
                tables.Assessment(
                    campaign_id=campaign, community_id="c01", standard_id=standard.id, day=ASSIGNED, value=value
                )
            )
        session.flush()
        for day in (ASSIGNED, DAY):
            run_day(session, plan, "promotion", day, mail_from="gc@t.example")
        rows = session.exec(select(tables.Outbox).where(tables.Outbox.day == DAY)).all()
        mail = {row.recipient: message_from_bytes(row.body, policy=policy.default) for row in rows}
    clock = lambda: datetime(2022, 11, 1, 2, 0, tzinfo=UTC)  # noqa: E731
    with TestClient(create_app(settings, clock=clock), base_url=BASE) as client:
        yield Seeded(client, settings, plan, {k: v for k, v in mail.items() if isinstance(v, EmailMessage)})


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def title(plan: Plan) -> str:
    return next(item.label for _, item in plan.items() if item.id == ITEM)


def community_name(plan: Plan) -> str:
    return next(c.name for c in plan.communities if c.id == "c01")


def test_an_area_office_told_to_urge_by_email_finds_the_item_on_its_page(seeded: Seeded) -> None:
    html = html_of(seeded.mail[EDUCATION])
    assert title(seeded.plan) in html and community_name(seeded.plan) in html  # the 督促 line of its e-mail
    mine = next(url for url, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html) if label == "我的事项")
    page = seeded.client.get(mine.replace("&amp;", "&").removeprefix(BASE))
    assert page.status_code == 200
    supervised = page.text[page.text.index("督促事项") :]
    assert title(seeded.plan) in supervised and community_name(seeded.plan) in supervised


def test_an_office_whose_areas_are_met_is_told_nothing_and_sees_nothing(seeded: Seeded) -> None:
    assert POLICE not in seeded.mail  # its only overdue line would be this item's
    with session_scope(seeded.settings.database_url) as session:
        a = session.exec(select(tables.Assignment).where(tables.Assignment.item_id == ITEM)).one()
    assert a.id is not None
    links = desk_links(BASE, SECRET.encode(), seeded.plan.campaign.id, a.id, POLICE, seeded.plan.campaign.end)
    page = seeded.client.get(links["mine"].removeprefix(BASE))
    assert page.status_code == 200 and title(seeded.plan) not in page.text
    assert seeded.client.get(links["ack"].removeprefix(BASE)).status_code == 403  # only the owner acts


def test_every_office_told_to_urge_an_item_finds_it_among_its_supervised_items(seeded: Seeded) -> None:
    """The notices' supervisors and the desk's, person by person, over the whole day's run."""
    titles = {item.id: item.label for _, item in seeded.plan.items()}
    names: dict[str, str] = {AssigneeKey.community(c.id): c.name for c in seeded.plan.communities}
    with session_scope(seeded.settings.database_url) as session:
        told: dict[str, set[tuple[str, str]]] = {}
        for notice in session.exec(select(tables.Notice).where(tables.Notice.day == DAY)):
            for email, (role, _) in notice.roles.items():
                if role in (Role.SUPERVISORS, Role.SUPERVISOR_HEADS) and notice.assignee in names:
                    told.setdefault(email, set()).add((titles[notice.item_id], names[notice.assignee]))
    assert (title(seeded.plan), community_name(seeded.plan)) in told[EDUCATION]
    assert len(told) == 4  # the liaisons of area 5's four offices
    for email, pairs in told.items():
        assert pairs <= supervised(seeded, email), email


def supervised(seeded: Seeded, email: str) -> set[tuple[str, str]]:
    """(title, unit) of the lines under 督促事项 on the reader's 我的事项 page."""
    links = desk_links(BASE, SECRET.encode(), seeded.plan.campaign.id, 0, email, seeded.plan.campaign.end)
    page = seeded.client.get(links["mine"].removeprefix(BASE)).text
    if "督促事项" not in page:
        return set()
    section = page[page.index("督促事项") :].split("<h2", 1)[0]
    return set(re.findall(r"<tr><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>", section))
