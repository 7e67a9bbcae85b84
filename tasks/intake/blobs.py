"""Large attachments set aside before a message is parsed: Python's e-mail parser holds a part's whole text (and
a list of its lines, and the decoded bytes) in memory, several times the size of a 60 MB scan.

One pass over the raw message, a line at a time: a run of base64 lines longer than LARGE is decoded straight to a
file of its own and replaced by one base64 line of a marker; the parser then sees a small message, and a part
whose content is a marker is that file. Shorter runs, and everything else, are copied as they are.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from pathlib import Path
from typing import BinaryIO

BASE64_LINE = re.compile(rb"[A-Za-z0-9+/=]+\r?\n?")
LARGE = 1 << 20  # bytes of base64 text from which a run is set aside (no text part is a megabyte without a space)


class _Decoder:
    """base64 text in, bytes out to a file, whatever the line length (a partial quad waits for the next line)."""

    def __init__(self, path: Path) -> None:
        self.path, self.file, self.left = path, path.open("wb"), b""

    def feed(self, text: bytes) -> None:
        data = self.left + b"".join(text.split())
        whole = len(data) // 4 * 4
        self.file.write(binascii.a2b_base64(data[:whole]))
        self.left = data[whole:]

    def close(self) -> None:
        if self.left.strip(b"="):  # a truncated last quad: what it holds, as a lenient decoder reads it
            with contextlib.suppress(binascii.Error):
                self.file.write(binascii.a2b_base64(self.left + b"=" * (-len(self.left) % 4)))
        self.file.close()


def marker(number: int) -> bytes:
    """What a set-aside part decodes to in the parsed message."""
    return b"\0greencomm-set-aside-" + str(number).encode() + b"\0"


def set_aside(raw: Path, folder: Path) -> tuple[Path, dict[bytes, Path]]:
    """The message with its large base64 runs replaced by markers, and marker → the file holding the decoded run."""
    folder.mkdir(parents=True, exist_ok=True)
    reduced, files = folder / "reduced.eml", dict[bytes, Path]()
    with raw.open("rb") as source, reduced.open("wb") as target:
        run: list[bytes] = []
        size, decoder = 0, None
        for line in source:
            if not BASE64_LINE.fullmatch(line):
                _end_run(target, run, decoder, files)
                run, size, decoder = [], 0, None
                target.write(line)
            elif decoder is not None:
                decoder.feed(line)
            else:
                run.append(line)
                size += len(line)
                if size >= LARGE:
                    decoder = _Decoder(folder / f"set-aside-{len(files) + 1}")
                    decoder.feed(b"".join(run))
                    run = []
        _end_run(target, run, decoder, files)
    return reduced, files


def _end_run(target: BinaryIO, run: list[bytes], decoder: _Decoder | None, files: dict[bytes, Path]) -> None:
    """A short run copied as it was; a set-aside one closed and replaced by its marker's line."""
    if decoder is None:
        target.writelines(run)
        return
    decoder.close()
    number = len(files) + 1
    files[marker(number)] = decoder.path
    target.write(base64.b64encode(marker(number)) + b"\r\n")
