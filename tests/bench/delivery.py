"""(b) Delivery: tasks.mail.smtp.send_messages beside a bare aiosmtplib loop over as many reused connections, both to
the same local aiosmtpd sink (tasks.mail.mailsink.MailSink) running in a process of its own."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from email.message import EmailMessage

import aiosmtplib

from tasks.mail.mailsink import free_port
from tasks.mail.smtp import SmtpConfig, send_messages

CONNECTIONS = 4
ROUNDS = 5  # best of five each, alternating: a shared machine makes single rounds vary by ±30%


def messages(count: int) -> list[EmailMessage]:
    """Digest-sized e-mails (plain text and HTML, a few kilobytes, Chinese text)."""
    made = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = "greencomm@bench.example"
        message["To"] = f"b{n}.contact@bench.example"
        message["Subject"] = f"【督办】压力测试 第{n}封"
        message["Message-ID"] = f"<bench-{n}@bench.example>"
        lines = [f"{i}. 事项{i}：请于2024年6月{i % 28 + 1}日前完成并报领导小组办公室。" for i in range(40)]
        message.set_content("\n".join(lines))
        message.add_alternative("<ol>" + "".join(f"<li>{line}</li>" for line in lines) + "</ol>", subtype="html")
        made.append(message)
    return made


async def bare_loop(batch: list[EmailMessage], port: int) -> None:
    """CONNECTIONS connections, each sending its share of the messages one after another."""

    async def one(share: list[EmailMessage]) -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await smtp.connect()
        for message in share:
            await smtp.send_message(message)
        await smtp.quit()

    await asyncio.gather(*(one(batch[i::CONNECTIONS]) for i in range(CONNECTIONS)))


def measure_delivery(count: int, folder: str) -> dict[str, float]:
    """Best of ROUNDS for each, alternating, messages per second and their ratio."""
    port = free_port("127.0.0.1")
    code = (
        "import sys, pathlib; from tasks.mail.mailsink import MailSink\n"
        f"with MailSink(pathlib.Path({folder!r}), port={port}):\n"
        "    print('ready', flush=True); sys.stdin.read()\n"
    )
    sink = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        batch = messages(count)
        config = SmtpConfig("127.0.0.1", port, "none", None, None)
        run, bare = float("inf"), float("inf")
        for _ in range(ROUNDS):
            start = time.perf_counter()
            asyncio.run(bare_loop(batch, port))
            bare = min(bare, time.perf_counter() - start)
            start = time.perf_counter()
            results = asyncio.run(send_messages(batch, config, concurrency=CONNECTIONS))
            run = min(run, time.perf_counter() - start)
            assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    finally:
        sink.communicate("", timeout=60)
    return {
        "messages": count,
        "connections": CONNECTIONS,
        "send_messages_per_s": count / run,
        "bare_loop_per_s": count / bare,
        "ratio": bare / run,  # throughput of send_messages as a share of the bare loop's
    }
