"""A multipart/form-data body streamed to disk (SPEC §8): files are written chunk by chunk to temporary files as
they arrive, counted as they go; a body over its limit is cut off there. Nothing is held whole in memory.

Starlette's own parser (request.form()) spools each file without a bound on the whole body, so the desk parses
with python-multipart's MultipartParser itself: the part headers, the small fields, and every file part into a
fresh temporary path the caller chose (on the file store's own filesystem).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import ParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELD = 16 * 1024  # bytes of one text field (the note and the title are far shorter)


class BodyRefused(Exception):
    """A body the desk will not read to its end; `message` is for the page, `status` its HTTP status."""

    def __init__(self, message: str, status: int = 413) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Received:
    """One file part: the form field it came in, the name the browser sent, and where its bytes are."""

    field: str
    filename: str
    path: Path


@dataclass
class Posted:
    """A posted form: its text fields (first value of each) and its files, in the order sent."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[Received] = field(default_factory=list)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)

    def discard(self) -> None:
        """Remove the temporary files (what was kept has been copied into the store)."""
        for received in self.files:
            received.path.unlink(missing_ok=True)


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    writer: BinaryIO | None = None
    path: Path | None = None


class _Collector:
    """The parser's callbacks: headers into a part, small fields into memory, file parts onto disk."""

    def __init__(self, posted: Posted, temporary: Callable[[], Path], max_parts: int) -> None:
        self.posted, self.temporary, self.max_parts = posted, temporary, max_parts
        self.part, self.parts = _Part(), 0
        self.header_name, self.header_value = b"", b""
        self.disposition = b""

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.max_parts:
            raise BodyRefused("一次提交的文件过多。")
        self.part, self.disposition = _Part(), b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self.part.filename = options[b"filename"].decode("utf-8", "replace")
            self.part.path = self.temporary()
            self.part.writer = self.part.path.open("xb")
            self.posted.files.append(Received(self.part.name, self.part.filename, self.part.path))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part.writer is not None:
            self.part.writer.write(data[start:end])
        else:
            self.part.data += data[start:end]
            if len(self.part.data) > MAX_FIELD:
                raise BodyRefused("提交的内容过长。")

    def on_part_end(self) -> None:
        if self.part.writer is not None:
            self.part.writer.close()
            self.part.writer = None
        elif self.part.filename is None and self.part.name not in self.posted.fields:
            self.posted.fields[self.part.name] = self.part.data.decode("utf-8", "replace")

    def close(self) -> None:
        if self.part.writer is not None:
            self.part.writer.close()


async def read_multipart(request: Request, temporary: Callable[[], Path], *, max_body: int, max_parts: int) -> Posted:
    """The form, its files on disk; BodyRefused (temporary files removed) past `max_body` bytes or `max_parts`
    parts, or for a body that is not multipart. The caller bounds the time it may take."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_body):
        raise BodyRefused(_too_large(max_body))
    _, options = parse_options_header(request.headers.get("content-type", ""))
    if b"boundary" not in options:
        raise BodyRefused("提交的内容无法识别，请从本系统的页面提交。", status=400)
    posted = Posted()
    collector = _Collector(posted, temporary, max_parts)
    parser = MultipartParser(options[b"boundary"], _callbacks(collector))
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_body:
                raise BodyRefused(_too_large(max_body))
            parser.write(chunk)
        parser.finalize()
    except BaseException as error:
        collector.close()
        posted.discard()
        if isinstance(error, ParseError):
            raise BodyRefused("提交的内容无法识别，请从本系统的页面提交。", status=400) from None
        raise
    return posted


def _callbacks(collector: _Collector) -> MultipartCallbacks:
    return {
        "on_part_begin": collector.on_part_begin,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
    }


def _too_large(max_body: int) -> str:
    return f"本次提交的文件合计超过{max_body // (1024 * 1024)}MB的上限，未作任何处理，请压缩或分次报送。"
