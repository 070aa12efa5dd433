"""Page 3, the requests board 诉求看板: the loop's columns, 转办 and 答复 from a card, 办结率 per area."""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from server.console.context import Console, Form, action, page
from server.console.services.console_ops import limits_of
from server.console.services.labels import Labels
from server.console.services.masking import Masking, masking_for
from server.console.services.request_steps import assign_entry, record_step, reply_entry
from server.console.services.requests_board import (
    COLUMNS,
    Board,
    BoardFilter,
    board,
    closure_rates,
    parse_day,
    request_categories,
)
from server.console.services.tree import area_options
from server.console.services.work_areas import area_tree
from server.routes.common import settings_of, store_of

__all__ = ["request_assign", "request_reply", "requests_page"]

DONE = ("assigned", "replied")
FILTER_KEYS = ("area", "category", "since", "until")


def _filter(values: QueryParams | Form) -> BoardFilter:
    get = values.get
    area = str(get("area", "") or "").strip()
    category = str(get("category", "") or "").strip()
    return BoardFilter(
        area=int(area) if area.isascii() and area.isdigit() and len(area) < 12 else None,
        category=category if category in request_categories() else "",
        since=parse_day(str(get("since", "") or "").strip()),
        until=parse_day(str(get("until", "") or "").strip()),
    )


def _query(wanted: BoardFilter) -> list[tuple[str, str]]:
    pairs = [("area", str(wanted.area or "")), ("category", wanted.category), ("since", wanted.since),
             ("until", wanted.until)]  # fmt: skip
    return [(key, value) for key, value in pairs if value]


def _masked(shown: Board, masking: Masking) -> Board:
    """The board as a list shows it: phone numbers written into a request's description masked for the
    roles that do not see them in full (services/masking.py), as the records list masks them."""
    columns = {
        name: [replace(card, summary=masking.text(card.summary)) for card in cards]
        for name, cards in shown.columns.items()
    }
    return replace(shown, columns=columns)


@page
async def requests_page(console: Console) -> Response:
    wanted = _filter(console.request.query_params)
    async with store_of(console.request).read() as session:
        tree = await area_tree(session, console.scope, console.principal)
        shown = _masked(
            await board(session, console.principal, tree.grids_under(wanted.area), wanted),
            masking_for(console.principal.role),
        )
        rates = await closure_rates(session, console.principal, tree, wanted)
        options = await area_options(session, console.scope)
    done = console.request.query_params.get("done")
    return await console.render(
        "requests.html", nav="requests", board=shown, columns=COLUMNS, rates=rates, wanted=wanted,
        options=options, categories=request_categories(), labels=Labels(console.lang),
        filters=_query(wanted), done=done if done in DONE else None, now_ms=int(time.time() * 1000),
        selected_area=wanted.area,
    )  # fmt: skip


async def _step(console: Console, entry_kind: str) -> Response:
    record_id = str(console.request.path_params["record_id"])
    form = console.form
    if entry_kind == "assigned":
        entry = assign_entry(to=form.get("to"), to_member=form.get_int("to_member"), notes=form.get("notes"))
    else:
        entry = reply_entry(notes=form.get("notes"))
    settings = settings_of(console.request)
    async with store_of(console.request).write_ops() as session:  # the transaction a push runs in
        written = await record_step(
            session, console.principal, record_id, entry, limits=limits_of(settings),
            now_ms=time.time_ns() // 1_000_000, client=console.client,
        )  # fmt: skip
    written.check()  # after the commit: a refusal is audited by push, as a phone's is
    back = urlencode([*_query(_filter(form)), ("done", entry_kind)])
    return RedirectResponse(f"/console/requests?{back}#request-{record_id}", status_code=303)


@action
async def request_assign(console: Console) -> Response:
    """转办: to a department (text) or a member."""
    return await _step(console, "assigned")


@action
async def request_reply(console: Console) -> Response:
    """答复: the reply's text."""
    return await _step(console, "replied")
