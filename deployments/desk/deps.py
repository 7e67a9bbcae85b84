"""What a handler of the desk may ask for (FastAPI dependencies): the desk's configuration, a database session,
and a POSTed form that passed the guards. A request the desk turns away raises Refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from deployments.desk.guards import NotText, TooLarge, read_form, same_origin
from deployments.desk.multipart import BodyRefused, Posted, read_multipart
from models.desk.tokens import form_mac_ok, verify
from models.materials import CLAIM_FACTOR
from models.settings import Settings
from tasks.approvals import Filed
from tasks.db import session_scope
from tasks.materials import LocalStore

StartApproval = Callable[[Filed], None]  # the claim or extension request filed → its approval flow run
LINK_REFUSED = "链接无效或已过期，未作任何处理。"
NOT_TEXT = "提交的内容不是有效的文字（请在本系统的页面上填写后提交），未作任何处理。"
LINK_CUT = "链接不完整（可能在邮件中被截断或换行），请复制邮件中的完整链接后重新打开，未作任何处理。"
FORM_ROOM = 1024 * 1024  # a multipart body's bytes beyond its files: the note, the token, the part headers
MAX_PARTS = 40  # fields and files of one form


@dataclass(frozen=True)
class DeskConfig:
    """What create_app was given, held on the app (app.state.desk) for every request."""

    settings: Settings
    secret: bytes  # signs the links and the forms' MACs; never logged
    clock: Callable[[], datetime]  # aware; the campaign's day comes from it
    start_approval: StartApproval | None


class Refused(Exception):
    """A request turned away with the refusal page (403 unless said otherwise); it changed nothing."""

    def __init__(self, message: str = LINK_REFUSED, *, status: int = 403) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def desk_config(request: Request) -> DeskConfig:
    config = request.app.state.desk
    if not isinstance(config, DeskConfig):
        raise TypeError("the desk's app was not made by create_app")
    return config


Desk = Annotated[DeskConfig, Depends(desk_config)]


def db_session(desk: Desk) -> Iterator[Session]:
    """One session a request: committed when the handler returns, before the response and any background task
    (an approval run reads what the request filed); rolled back when it raises."""
    with session_scope(desk.settings.database_url) as session:
        yield session


Db = Annotated[Session, Depends(db_session, scope="function")]


async def posted_form(token: str, request: Request, desk: Desk) -> AsyncIterator[Posted]:
    """The form of a POST to /a/{token} or /me/{token}/…, once its guards pass: from the desk's own page, carrying
    this token and its MAC; a small urlencoded body, or a multipart one whose files stream to temporary files
    (removed once the response is sent), within GREENCOMM_UPLOAD_TIMEOUT_SECONDS. Checked before the token is
    looked up."""
    if not same_origin(request, desk.settings.desk_base):
        raise Refused("请从本系统的页面提交。")
    posted = await _read(request, desk, token)
    try:
        if posted.get("token") != token or not form_mac_ok(desk.secret, token, posted.get("mac")):
            raise Refused()
        yield posted
    finally:
        posted.discard()


async def _read(request: Request, desk: DeskConfig, token: str) -> Posted:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            return Posted(await read_form(request))
        except TooLarge:
            raise Refused("提交的内容过长，未作任何处理。", status=413) from None
        except NotText:
            raise Refused(NOT_TEXT, status=400) from None
    if verify(desk.secret, token, today=date.min) is None:
        raise Refused()  # a forged link uploads nothing
    settings = desk.settings
    store = LocalStore(settings.files_dir)
    max_body = CLAIM_FACTOR * settings.upload_max_mb * 1024 * 1024 + FORM_ROOM
    try:
        async with asyncio.timeout(settings.upload_timeout_seconds):
            return await read_multipart(request, store.incoming, max_body=max_body, max_parts=MAX_PARTS)
    except BodyRefused as refused:
        raise Refused(refused.message, status=refused.status) from None
    except TimeoutError:
        raise Refused("上传超时，未作任何处理；请在网络较好时重新提交，或压缩文件后再试。", status=408) from None


PostedForm = Annotated[Posted, Depends(posted_form)]
