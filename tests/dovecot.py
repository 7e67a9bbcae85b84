"""A real IMAP server for the tests: Debian's Dovecot on loopback ports, with a throwaway configuration.

Nothing of the system's Dovecot is used: the configuration, the self-signed certificate (made by `openssl req`),
the passwd-file, the maildirs, the base and state directories all live in one temporary folder, and the server
runs in the foreground (`dovecot -c CONF -F`) as a child of the test process. Messages go in with IMAP APPEND.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

from tests.ports import free_port

USER, PASSWORD = "intake", "app-code-0001"


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int  # implicit TLS (imaps)
    starttls_port: int  # plain IMAP offering STARTTLS
    cert: Path  # the self-signed certificate, to trust
    user: str
    password: str

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        """A logged-in client over TLS, for the tests to put messages in and look at the mailbox."""
        with IMAPClient(self.host, self.port, ssl=True, ssl_context=self.context(), timeout=30) as imap:
            imap.login(self.user, self.password)
            yield imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as imap:
            imap.append(folder, raw)

    def reset(self, *folders: str) -> None:
        """An empty INBOX (and no other folders but those named, created empty): a test starts from nothing."""
        with self.client() as imap:
            for name in [f.name for f in _folders(imap)]:
                if name != "INBOX":
                    imap.delete_folder(name)
            imap.select_folder("INBOX")
            if uids := imap.search("ALL"):
                imap.delete_messages(uids)
                imap.expunge()
            for name in folders:
                imap.create_folder(name)


@dataclass(frozen=True)
class _Folder:
    name: str


def _folders(imap: IMAPClient) -> list[_Folder]:
    return [_Folder(name if isinstance(name, str) else name.decode()) for _, _, name in imap.list_folders()]


def _account() -> tuple[str, int, int]:
    """Who runs the mail processes: the current user, or for root an existing unprivileged one (Dovecot refuses
    mail access as uid 0)."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_uid, me.pw_gid
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_name, nobody.pw_uid, nobody.pw_gid


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


CONFIG = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {user}
default_login_user = {user}
first_valid_uid = 1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    port = {starttls_port}
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Dovecot started in a folder of its own, stopped and removed afterwards."""
    if shutil.which("dovecot") is None:
        raise RuntimeError("dovecot is not installed: apt-get install dovecot-imapd (make test does)")
    root = Path(tempfile.mkdtemp(prefix="greencomm-dovecot-"))
    root.chmod(0o755)  # the unprivileged mail processes walk into it
    user, uid, gid = _account()
    cert, key = _certificate(root)
    for sub in ("mail", "run", "state"):
        (root / sub).mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/mail/{USER}\n")
    host, port, starttls_port = "127.0.0.1", free_port(), free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(host=host, root=root, user=user, cert=cert, key=key, port=port, starttls_port=starttls_port)
    )
    process = subprocess.Popen(["dovecot", "-c", str(config), "-F"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(host, port, process, root)
        yield Dovecot(host, port, starttls_port, cert, USER, PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(host: str, port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited ({process.returncode}): {output}{log}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not listen on {host}:{port} within 30 s")
