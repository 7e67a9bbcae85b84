"""One small SMTP client over aiosmtplib: a few reused connections, retries with backoff, no secrets."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
from aiosmtplib import SMTPException, SMTPRecipientsRefused, SMTPResponseException

from models.settings import Settings

log = logging.getLogger("greencomm.smtp")

Security = Literal["none", "starttls", "tls"]
# sent; final: refused for good (5xx, or a mailbox the server cannot take); retry: failed for now;
# unsent: never tried this run (server down, budget used up) or cut off mid-send (may have arrived).
Outcome = Literal["sent", "final", "retry", "unsent"]


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to deliver; the password never shows in repr."""

    host: str
    port: int
    security: Security
    username: str | None
    password: str | None = field(repr=False)
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """The configured server, or None when no SMTP host is set."""
        if not settings.smtp_host:
            return None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_username,
            password,
            settings.smtp_timeout,
        )


@dataclass(frozen=True)
class SendResult:
    """What happened to one message."""

    message_id: str
    ok: bool
    error: str | None
    outcome: Outcome = "sent"


class _ConnectFailed(Exception):
    """Opening or logging in failed: a problem with the server, not with the message."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass
class _Batch:
    """What the workers of one send_messages call share."""

    config: SmtpConfig
    attempts: int
    backoff: Sequence[float]
    down: str | None = None  # set once the server proved unreachable: the rest fail fast

    def delay(self, attempt: int) -> float:
        if not self.backoff:
            return 0.0
        return self.backoff[min(attempt, len(self.backoff) - 1)]


class _Connection:
    """A worker's one SMTP connection, opened lazily and reopened after a connection error."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage) -> None:
        client = await self._connected()
        try:
            await client.send_message(message)
        except (SMTPResponseException, SMTPRecipientsRefused):
            raise  # the server answered; aiosmtplib has reset the envelope, the connection is reusable
        except Exception:
            await self.close()
            raise

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        await self.close()
        try:
            self._client = await _open(self._config)
        except Exception as error:
            raise _ConnectFailed(error) from error
        return self._client

    def abort(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except Exception:  # a polite QUIT that fails changes nothing
            client.close()


async def _open(config: SmtpConfig) -> aiosmtplib.SMTP:
    client = aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        timeout=config.timeout,
        use_tls=config.security == "tls",
        start_tls=config.security == "starttls",  # False, not None: no opportunistic upgrade for "none"
    )
    await client.connect()
    if config.username:
        try:
            await client.login(config.username, config.password or "")
        except Exception:
            client.close()
            raise
    return client


async def send_messages(
    messages: Sequence[EmailMessage],
    config: SmtpConfig,
    *,
    concurrency: int = 4,
    attempts: int = 3,
    backoff: Sequence[float] = (0.5, 2.0, 5.0),
    budget: float | None = None,
) -> list[SendResult]:
    """Send each message, retrying; never raises for a failed message. Results follow `messages`.

    `budget` bounds the whole call in seconds: what is not done by then comes back as "unsent".
    """
    batch = _Batch(config, max(1, attempts), tuple(backoff))
    results: dict[int, SendResult] = {}
    queue = iter(enumerate(messages))
    try:
        async with asyncio.timeout(budget), asyncio.TaskGroup() as group:
            for _ in range(min(max(1, concurrency), len(messages))):
                group.create_task(_worker(queue, batch, results))
    except TimeoutError:
        log.warning(
            "delivery budget of %s s used up: %d e-mail(s) left for the next run", budget, len(messages) - len(results)
        )
    left = f"not sent: the delivery budget of {budget:g} s was used up; next run" if budget else "not sent"
    return [
        results.get(index) or SendResult(str(message.get("Message-ID", "")), False, left, "unsent")
        for index, message in enumerate(messages)
    ]


async def _worker(queue: Iterator[tuple[int, EmailMessage]], batch: _Batch, results: dict[int, SendResult]) -> None:
    # The workers share one iterator: each takes the next message when its connection is free.
    connection = _Connection(batch.config)
    try:
        for index, message in queue:
            results[index] = await _send_one(connection, message, batch)
    except asyncio.CancelledError:
        connection.abort()  # out of budget: no polite QUIT to a server that is already too slow
        raise
    finally:
        await connection.close()


async def _send_one(connection: _Connection, message: EmailMessage, batch: _Batch) -> SendResult:
    message_id = str(message.get("Message-ID", ""))
    error, tries, server_down = "", 0, False
    outcome: Outcome = "unsent"
    while batch.down is None and tries < batch.attempts:
        if tries:
            await asyncio.sleep(batch.delay(tries - 1))
        tries += 1
        try:
            await connection.send(message)
            return SendResult(message_id, True, None)
        except Exception as failure:
            cause = failure.cause if isinstance(failure, _ConnectFailed) else failure
            error, server_down = _describe(cause, batch.config), isinstance(failure, _ConnectFailed)
            if isinstance(cause, TimeoutError) and not server_down:
                # The server may have taken the message and not said so: no second copy in this run.
                error = f"{error} (may have been delivered; resent next run with the same Message-ID)"
                outcome = "unsent"
                break
            outcome = "retry" if _transient(cause) else "final"
            if outcome == "final":
                break
    if server_down:
        batch.down, outcome = error, "unsent"
    if not error:
        error, outcome = f"not sent: SMTP server unavailable ({batch.down})", "unsent"
    log.warning("send failed: message_id=%s to=%s tries=%d error=%s", message_id, message["To"], tries, error)
    return SendResult(message_id, False, error, outcome)


def _transient(error: Exception) -> bool:
    """Worth another try: lost connections, timeouts and 4xx answers; 5xx answers are final."""
    if isinstance(error, SMTPResponseException):
        return 400 <= error.code < 500
    if isinstance(error, SMTPRecipientsRefused):
        return all(400 <= refused.code < 500 for refused in error.recipients)
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return False  # e.g. a non-ASCII mailbox and a server without SMTPUTF8: no retry will help
    return isinstance(error, OSError | TimeoutError | aiosmtplib.SMTPServerDisconnected)


def _describe(error: Exception, config: SmtpConfig) -> str:
    """One line for logs and the outbox, with the password (plain or base64) blanked out."""
    if isinstance(error, SMTPResponseException):
        text = f"{type(error).__name__}: {error.code} {error.message}"
    elif isinstance(error, SMTPRecipientsRefused):
        text = "SMTPRecipientsRefused: " + "; ".join(f"{r.recipient} {r.code} {r.message}" for r in error.recipients)
    elif isinstance(error, SMTPException):
        text = f"{type(error).__name__}: {error.message}"
    else:
        text = f"{type(error).__name__}: {error}".rstrip(": ")
    return _redact(" ".join(text.split()), config)


def _redact(text: str, config: SmtpConfig) -> str:
    if not config.password:
        return text
    user = config.username or ""
    secrets = [config.password, *(_b64(s) for s in (config.password, f"\0{user}\0{config.password}"))]
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
