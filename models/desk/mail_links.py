"""Desk links on e-mail lines (SPEC §4, §7): pure; the caller brings the desk's address and secret."""

from __future__ import annotations

from dataclasses import replace

from models.desk.pages import ACTION_TEXT, desk_links, offered_actions
from models.desk.readers import Relation
from models.mail import Digest
from models.plan import Plan
from models.vocabulary import Role

OWNER_ROLES = {Role.ASSIGNEE, Role.ASSIGNEE_HEAD}


def with_links(digest: Digest, plan: Plan, base_url: str, secret: bytes) -> Digest:
    """Each line the reader may act on gets its signed links; every e-mail gets the reader's 我的事项 link."""
    items = {i.id: i for _, i in plan.items()}
    reader, end, campaign = digest.recipient.email, plan.campaign.end, plan.campaign.id
    lines = []
    for line in digest.notices:
        if line.assignment_id is None or line.role not in OWNER_ROLES:
            lines.append(line)
            continue
        urls = desk_links(base_url, secret, campaign, line.assignment_id, reader, end)
        actions = [a for a in offered_actions(Relation.OWNER, items.get(line.item_id)) if a != "mine"]
        lines.append(replace(line, links=tuple((ACTION_TEXT[a], urls[a]) for a in actions)))
    mine = desk_links(base_url, secret, campaign, 0, reader, end)["mine"]
    return replace(digest, notices=tuple(lines), mine_link=mine)
