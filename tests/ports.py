"""Free ports for tests, a disjoint set per pytest-xdist worker.

A test often picks a port, then a child binds it seconds later (`greencomm up`'s Prefect server, sink and desk).
The OS's own choice (`bind(("", 0))`) is then unsafe twice over: the other worker may be handed the same free port
in the meantime, and any outgoing connection may take it as its ephemeral port. So ports come from below the
ephemeral range (Linux: 32768 and up), at random, and worker k of n only takes ports p with p % n == k. A port is
never handed out twice in one process, and each one is checked free (nothing bound, nothing lingering) when chosen.
"""

from __future__ import annotations

import os
import random
import socket

LOWEST, HIGHEST = 10_000, 32_767  # clear of well-known ports (5432, 4200/4201, 2525) and of the ephemeral range
_handed_out: set[int] = set()


def _worker() -> tuple[int, int]:
    """(this worker's number, number of workers); (0, 1) outside xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return (int(name.removeprefix("gw")) if name.startswith("gw") else 0), max(count, 1)


def _free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))  # no SO_REUSEADDR: a port with connections in TIME_WAIT counts as taken
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now, this worker's alone."""
    index, count = _worker()
    for _ in range(1000):
        port = random.randrange(LOWEST, HIGHEST + 1)
        port += (index - port) % count  # the next port of this worker's residue
        if port <= HIGHEST and port not in _handed_out and _free(host, port):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port for worker {index} of {count} between {LOWEST} and {HIGHEST}")


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    return [free_port(host) for _ in range(count)]
