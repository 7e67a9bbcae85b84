"""Links to the desk in the e-mails, when the desk is configured (GREENCOMM_DESK_URL, which `up` sets)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from models.desk import with_links
from models.mail.render import Digest
from models.plan import Plan
from models.settings import Settings
from tasks.signing import desk_secret


def linked(plan: Plan, digests: Iterable[Digest]) -> Iterator[Digest]:
    """The digests with their desk links, or as they are when no desk is configured; one at a time."""
    settings = Settings()
    if not settings.desk_url:
        return iter(digests)
    secret = desk_secret(settings)
    return (with_links(digest, plan, settings.desk_base, secret) for digest in digests)
