"""The desk's guards at the HTTP edge: a small body, urlencoded forms, a same-origin POST, strict headers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request

MAX_BODY = 64 * 1024  # two 2,000-character fields of Chinese, percent-encoded (9 bytes a character), and more
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # the token is in the URL: never hand it to another site
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class TooLarge(Exception):
    """A request body over MAX_BODY."""


class NotText(Exception):
    """A form body that is not UTF-8 text (a browser set to another encoding, or a program)."""


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body of at most MAX_BODY bytes; first value of each field."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise TooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, errors="strict")
    except UnicodeDecodeError:
        raise NotText from None
    except ValueError:
        return {}
    return {key: values[0] for key, values in fields.items()}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request, desk_base: str) -> bool:
    """A POST from the desk's own pages: Origin (or, without it, Referer) names the desk when present."""
    allowed = {_origin(desk_base), _origin(str(request.base_url))}
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("referer")
    return referer is None or _origin(referer) in allowed
