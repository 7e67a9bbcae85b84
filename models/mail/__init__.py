"""What e-mails say and how they are built (SPEC §4): digests per reader, 公文 wording, MIME."""

from models.mail.digest import build_digests
from models.mail.mime import one_line
from models.mail.render import TEMPLATES, Digest, letter
from models.mail.wording import cn_date, percent, salutation, sender, target_title

__all__ = [
    "TEMPLATES",
    "Digest",
    "build_digests",
    "cn_date",
    "letter",
    "one_line",
    "percent",
    "salutation",
    "sender",
    "target_title",
]
