"""Page 4, alarms 预警: the list (works without script) and its live stream (server-sent events)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from server.auth.principal import authenticate
from server.auth.sessions import COOKIE_NAME
from server.console.context import Console, page, request_lang, templates
from server.console.i18n import translator
from server.console.services.alarms import Alarms, compute_alarms
from server.console.services.labels import Labels
from server.console.services.live import LogWatcher, StreamLimits, event_stream
from server.console.services.permissions import console_scope
from server.console.services.tree import area_options
from server.console.services.work_areas import area_tree
from server.errors import Unauthenticated
from server.routes.common import current_principal, settings_of, store_of

__all__ = ["alarms_page", "alarms_stream"]

FRAGMENT = "_alarms.html"


def _area(request: Request) -> int | None:
    value = request.query_params.get("area", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def _fragment_context(alarms: Alarms, lang: str) -> dict[str, Any]:
    return {"alarms": alarms, "t": translator(lang), "lang": lang, "labels": Labels(lang)}


@page
async def alarms_page(console: Console) -> Response:
    area = _area(console.request)
    async with store_of(console.request).read() as session:
        tree = await area_tree(session, console.scope, console.principal)
        alarms = await compute_alarms(
            session, console.principal, grids=tree.grids_under(area),
            settings=settings_of(console.request), now=console.now,
        )  # fmt: skip
        options = await area_options(session, console.scope)
    stream = "/console/alarms/stream" + (f"?area={area}" if area is not None else "")
    return await console.render(
        "alarms.html", nav="alarms", options=options, area=area, stream_url=stream, selected_area=area,
        tree_href="/console/alarms", alarms=alarms, labels=Labels(console.lang),
    )  # fmt: skip


def stream_limits(app: Starlette) -> StreamLimits:
    limits: StreamLimits = getattr(app.state, "console_stream_limits", None) or StreamLimits()
    return limits


def log_watcher(app: Starlette) -> LogWatcher:
    """The process's one watcher of the op log (made on first use, in the running event loop)."""
    watcher: LogWatcher | None = getattr(app.state, "console_log_watcher", None)
    if watcher is None:
        watcher = LogWatcher(app.state.store, poll_seconds=stream_limits(app).poll_seconds)
        app.state.console_log_watcher = watcher
    return watcher


async def alarms_stream(request: Request) -> Response:
    """``text/event-stream`` of the alarms fragment for the caller (``event: alarms``), as it changes."""
    try:
        principal = await current_principal(request)
    except Unauthenticated:
        return PlainTextResponse("log in first", status_code=401)
    store, settings = store_of(request), settings_of(request)
    async with store.read() as session:
        if not (await console_scope(session, principal)).may_use_console:
            return PlainTextResponse("not for your role", status_code=403)
    area, lang, cookie = _area(request), request_lang(request), request.cookies.get(COOKIE_NAME)

    async def render() -> str | None:
        now = datetime.now(UTC)
        async with store.read() as session:
            try:  # the session again each time (not touched: an open page does not keep it alive)
                caller = await authenticate(
                    session, method="GET", cookie=cookie, authorization=None, csrf_header=None, now=now,
                    scopes=store.scopes,
                )  # fmt: skip
            except Unauthenticated:
                return None
            scope = await console_scope(session, caller)
            if not scope.may_use_console:
                return None
            tree = await area_tree(session, scope, caller)
            alarms = await compute_alarms(
                session, caller, grids=tree.grids_under(area), settings=settings, now=now
            )
        return templates.get_template(FRAGMENT).render(_fragment_context(alarms, lang))

    events = event_stream(
        render, watcher=log_watcher(request.app), limits=stream_limits(request.app), event="alarms"
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
