"""STARTTLS and implicit TLS with login, against a real aiosmtpd server holding a self-signed certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tasks.mail.smtp import SmtpConfig, send_messages
from tests.ports import free_port

USER, PASSWORD = "greencomm", "s3cret-pass"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted by the client through SSL_CERT_FILE."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class Recorder:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((session.auth_data.login.decode() if session.auth_data else "", envelope.rcpt_tos))
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=good, handled=False, auth_data=data if good else None)


def server(certificate: tuple[Path, Path], implicit: bool) -> tuple[Controller, Recorder]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    recorder = Recorder()
    # aiosmtpd does not count implicit TLS for auth_require_tls, though that channel is encrypted from the start
    options: dict[str, Any] = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=free_port("127.0.0.1"),
        authenticator=authenticate,
        server_hostname="127.0.0.1",
        **options,
    )
    controller.start()
    return controller, recorder


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    yield


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = (
        "g@q.example",
        "a@q.example",
        "测试",
        "<1@q.example>",
    )
    mail.set_content("正文")
    return mail


@pytest.mark.parametrize("security", ["starttls", "tls"])
@pytest.mark.anyio
async def test_login_over_tls_delivers(certificate: tuple[Path, Path], trusted: None, security: str) -> None:
    controller, recorder = server(certificate, implicit=security == "tls")
    try:
        config = SmtpConfig(
            host="127.0.0.1",
            port=controller.port,
            security=security,  # type: ignore[arg-type]
            username=USER,
            password=PASSWORD,
            timeout=10,
        )
        (result,) = await send_messages([message()], config, backoff=(0.1,))
    finally:
        controller.stop()
    assert result.ok, result.error
    assert recorder.received == [(USER, ["a@q.example"])]


@pytest.mark.anyio
async def test_a_wrong_password_fails_without_showing_it(certificate: tuple[Path, Path], trusted: None) -> None:
    controller, recorder = server(certificate, implicit=False)
    try:
        config = SmtpConfig(
            host="127.0.0.1",
            port=controller.port,
            security="starttls",
            username=USER,
            password="wrong-" + PASSWORD,
            timeout=10,
        )
        (result,) = await send_messages([message()], config, attempts=1, backoff=(0.1,))
    finally:
        controller.stop()
    assert not result.ok and result.error and PASSWORD not in result.error
    assert recorder.received == []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
