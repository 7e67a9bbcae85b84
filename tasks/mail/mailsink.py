"""A local SMTP sink on aiosmtpd: accepts every e-mail, keeps it parsed and writes it as an .eml file."""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

log = logging.getLogger("greencomm.sink")

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only places a sink may listen."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str) -> int:
    """A port nobody listens on right now (the OS picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def eml_name(number: int, message_id: str) -> str:
    """'0001-abc@host.eml': arrival number, then the Message-ID made safe for a file name."""
    safe = _UNSAFE.sub("_", message_id.strip().strip("<>"))[:100].strip("._") or "no-message-id"
    return f"{number:04d}-{safe}.eml"


class MailSink:
    """A real SMTP server on loopback that keeps what it receives; use it as a context manager."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback(host):
            raise ValueError(f"the mail sink only listens on loopback, not {host!r}")
        self.directory = directory
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self._controller: Any = None

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far, in arrival order (a copy: safe to read while mail arrives)."""
        with self._lock:
            return list(self._messages)

    def start(self) -> None:
        """Listen in a thread of its own; with port 0 a free port is chosen and stored in `.port`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = free_port(self.host)
        self._controller = Controller(self, hostname=self.host, port=self.port, enable_SMTPUTF8=True)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; the received messages stay available."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd hook: keep the message, write it to disk, log one line."""
        content: bytes = envelope.original_content or envelope.content
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)  # policy.default always builds EmailMessage
        with self._lock:
            self._messages.append(message)
            path = self.directory / eml_name(len(self._messages), str(message.get("Message-ID", "")))
            path.write_bytes(content)
        log.info(
            "received from=%s to=%s subject=%s",
            envelope.mail_from,
            ",".join(envelope.rcpt_tos),
            " ".join(str(message.get("Subject", "")).split()),  # one line, whatever the sender put there
        )
        return "250 Message accepted for delivery"
