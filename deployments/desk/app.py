"""The desk (SPEC §7): answers from the e-mail, as a FastAPI app of the desk's routers.

Every path carries a signed token (models/desk/tokens.py); a bad, foreign or expired one gets 403 and changes
nothing. Forms carry the token and a MAC of it, and must come from the desk's own origin; no cookies.
The handlers live in routers (deployments/desk/routes.py); what they share reaches them as dependencies
(deployments/desk/deps.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from deployments.desk import decisions, file_routes, routes
from deployments.desk.deps import DeskConfig, Refused, StartApproval
from deployments.desk.guards import HEADERS
from deployments.desk.render import refused
from models.settings import Settings
from tasks.signing import desk_secret

__all__ = ["StartApproval", "create_app"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    start_approval: StartApproval | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """The desk's app: `start_approval` starts the approval run of a request filed (None: none is started);
    `clock` is when it is (aware), from which each campaign's day follows."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = DeskConfig(settings, desk_secret(settings), clock, start_approval)
    app.middleware("http")(strict_headers)
    app.add_exception_handler(Refused, refusal_page)
    app.add_exception_handler(StarletteHTTPException, http_error_page)
    app.include_router(routes.router)
    app.include_router(decisions.router)
    app.include_router(file_routes.router)
    return app


async def strict_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers.update(HEADERS)
    return response


HTTP_ERRORS = {
    404: "没有这个页面，请使用通知邮件中的链接访问。",
    405: "该页面不支持这种访问方式，请使用页面上的按钮提交。",
    413: "提交的内容过长，未作任何处理。",
}


async def http_error_page(request: Request, error: Exception) -> Response:
    """404, 405, 413 …: a Chinese page in the desk's style, never a program's JSON."""
    assert isinstance(error, StarletteHTTPException)
    return refused(HTTP_ERRORS.get(error.status_code, "请求无法处理，未作任何处理。"), status=error.status_code)


async def refusal_page(request: Request, error: Exception) -> Response:
    assert isinstance(error, Refused)
    return refused(error.message, status=error.status)
