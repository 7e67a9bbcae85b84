"""Progress for long work: a bar on a terminal, plain lines when output is not one."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def progress(label: str, total: int, *, every: int = 30) -> Iterator[Callable[[str], None]]:
    """Yields advance(text); on a non-terminal prints one plain line every `every` steps."""
    if sys.stderr.isatty():
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield lambda text: bar.update(task, advance=1, description=f"{label} {text}")
        return
    done = 0

    def advance(text: str) -> None:
        nonlocal done
        done += 1
        if done % every == 0 or done == total:
            print(f"{label}: {done}/{total} {text}", file=sys.stderr, flush=True)

    yield advance
