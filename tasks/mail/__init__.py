"""The outbox: compose digests, send them over SMTP, retry, dead letters; a local sink."""

from tasks.mail.delivery import Delivery, claim, dead_letters, resend, send_claimed, settle
from tasks.mail.mailsink import MailSink, is_loopback
from tasks.mail.outbox import compose, notice_facts, outbox_row
from tasks.mail.smtp import SmtpConfig

__all__ = [
    "Delivery",
    "MailSink",
    "SmtpConfig",
    "claim",
    "compose",
    "dead_letters",
    "is_loopback",
    "notice_facts",
    "outbox_row",
    "resend",
    "send_claimed",
    "settle",
]
