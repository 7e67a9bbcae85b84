"""`up` refuses to start on a port another process holds, naming the holder when /proc says which process it is.

An old server still listening (say, one left by an `up` killed before it owned its children) would otherwise be
talked to by the new runner: two servers on one database. Using a running server is what --external-server is for.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

from models.settings import Settings

LISTEN = "0A"  # the TCP state column of /proc/net/tcp{,6}
COMMAND_CHARS = 80


def port_problems(settings: Settings, external_server: bool) -> list[str]:
    """One line per port of `up` that another process holds (none: all free)."""
    server_hint = "; to use a Prefect server already running, start `up --external-server`"
    wanted = [(settings.desk_host, settings.desk_port, "the desk", "GREENCOMM_DESK_PORT", "")]
    if not external_server:
        prefect = (settings.prefect_host, settings.prefect_port, "the Prefect server", "GREENCOMM_PREFECT_PORT")
        wanted.insert(0, (*prefect, server_hint))
    if not settings.smtp_host:
        wanted.append(("127.0.0.1", settings.sink_port, "the SMTP sink", "GREENCOMM_SINK_PORT", ""))
    return [
        f"up: port {port} ({what}, {variable}) is held by {holder(port)}: stop it or choose another port{hint}"
        for host, port, what, variable, hint in wanted
        if in_use(host, port)
    ]


def in_use(host: str, port: int) -> bool:
    """Whether binding as our servers do (SO_REUSEADDR, so a closing connection is no obstacle) fails."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False  # not a host of this machine: the server's own start says so
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return True
    return False


def holder(port: int) -> str:
    """'pid 123 (python -m prefect server start …)', or what can be said when the process is not ours to see."""
    inodes = _listening_inodes(port)
    for pid, inode in _socket_owners():
        if inode in inodes:
            return f"pid {pid} ({_command(pid)})"
    return "another process (of another user, or /proc does not say which)"


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()  # sl local_address rem_address st … uid timeout inode
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == LISTEN:
                inodes.add(fields[9])
    return inodes


def _socket_owners() -> list[tuple[int, str]]:
    """(pid, socket inode) for every socket of every process whose file descriptors we may read."""
    owners = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            descriptors = list((entry / "fd").iterdir())
        except OSError:
            continue  # another user's process, or gone meanwhile
        for descriptor in descriptors:
            try:
                link = str(descriptor.readlink())
            except OSError:
                continue
            if link.startswith("socket:["):
                owners.append((int(entry.name), link[8:-1]))
    return owners


def _command(pid: int) -> str:
    try:
        args = (Path("/proc") / str(pid) / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return "gone meanwhile"
    command = " ".join(" ".join(arg.decode(errors="replace").split()) for arg in args)  # one line, whatever the args
    return command if len(command) <= COMMAND_CHARS else command[: COMMAND_CHARS - 1] + "…"
