"""The desk (SPEC §7), pure: signed tokens, who reads a page and their relation to an item, page lines."""

from models.desk.answers import answers, with_answers
from models.desk.mail_links import with_links
from models.desk.pages import decision_deadline, decision_links, file_link
from models.desk.readers import Reader

__all__ = [
    "Reader",
    "answers",
    "decision_deadline",
    "decision_links",
    "file_link",
    "with_answers",
    "with_links",
]
