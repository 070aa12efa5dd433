"""The frame: the overview at ``/console/``, login, logout, and the pages for what is not there."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.auth.sessions import COOKIE_NAME
from server.console.context import Console, authenticated_post, page, render_plain
from server.console.services.devices import lockouts_waiting
from server.console.services.overview import recent_records, record_counts
from server.console.services.permissions import console_scope
from server.domain.record_types import RECORD_TYPES
from server.errors import Unauthenticated
from server.routes.common import current_principal, store_of
from server.services import login
from server.services.roster import list_members

__all__ = ["home", "login_page", "logout", "not_found", "to_home"]


@page
async def home(console: Console) -> Response:
    scope = console.scope
    async with store_of(console.request).read() as session:
        within = None if scope.sees_everyone else scope.areas
        members = await list_members(session, within=within, limit=0)
        lockouts = await lockouts_waiting(session, within=within)
        counts = await record_counts(session, console.principal)
        recent = await recent_records(session, console.principal)
    return await console.render(
        "home.html",
        nav="home",
        member_total=members.total,
        lockouts=lockouts,
        counts=counts,
        recent=recent,
        record_types=list(RECORD_TYPES),
    )


def _safe_next(value: str | None) -> str:
    """Only a console path of this site: never an open redirect."""
    if not value:
        return "/console/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or "\\" in value:
        return "/console/"
    return value


async def login_page(request: Request) -> Response:
    """Log in with a member enrolled in this browser (the app's own modules do the ceremony: login.js).
    Someone already logged in as a coordinator goes straight on, unless they asked to switch."""
    target = _safe_next(request.query_params.get("next"))
    if request.query_params.get("switch") is None:
        try:
            principal = await current_principal(request)
            async with store_of(request).read() as session:
                if (await console_scope(session, principal)).may_use_console:
                    return RedirectResponse(target, status_code=303)
        except Unauthenticated:
            pass
    return render_plain(request, "login.html", next=target)


async def logout(request: Request) -> Response:
    """End this browser's session, whatever the member's role (the app on this browser logs in again too)."""
    posted = await authenticated_post(request)
    if isinstance(posted, Response):
        return posted
    principal = posted[0]
    async with store_of(request).write() as session:
        await login.logout(
            session, session_id=principal.session_id, member_id=principal.member_id,
            device_id=principal.device_id, now=datetime.now(UTC),
        )  # fmt: skip
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


async def to_home(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


async def not_found(request: Request) -> Response:
    return render_plain(request, "denied.html", status_code=404, code="not_found")
