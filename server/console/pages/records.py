"""Pages 1 and 2: the synced records list (filters, sorts, keyset pages) and one record with its history."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from server.console.context import Console, page
from server.console.services.masking import masking_for
from server.console.services.record_labels import STAGES, stage_label, type_label
from server.console.services.record_page import record_view
from server.console.services.records_list import (
    COUNT_CAP,
    STATUSES,
    count_records,
    filter_from_params,
    list_records,
)
from server.console.services.tree import area_options
from server.domain.record_types import RECORD_TYPES
from server.routes.common import store_of
from server.services.audit import audit
from server.services.roster import list_members

__all__ = ["record_detail", "records_list"]


@page
async def records_list(console: Console) -> Response:
    params = console.request.query_params
    wanted = filter_from_params(params)
    number = params.get("page", "1")
    page_number = int(number) if number.isascii() and number.isdigit() and len(number) < 9 else 1
    async with store_of(console.request).read() as session:
        found = await list_records(
            session, console.principal, wanted, masking_for(console.principal.role),
            after=params.get("after"), before=params.get("before"),
        )  # fmt: skip
        total = await count_records(session, console.principal, wanted)
        options = await area_options(session, console.scope)
        within = None if console.scope.sees_everyone else console.scope.areas
        members = await list_members(session, within=within, active=None, limit=None)
    base = wanted.params()
    query = console.request.url.query
    here = "/console/records" + (f"?{query}" if query else "")  # where a record's page leads back to

    def link(**extra: str) -> str:
        return "/console/records?" + urlencode([*base, *extra.items()])

    stages = [
        (record_type, stage, stage_label(record_type, stage, console.lang, console.t))
        for record_type in RECORD_TYPES
        for stage in STAGES[record_type]
        if wanted.type in (None, record_type)
    ]
    return await console.render(
        "records.html", nav="records", wanted=wanted, found=found, total=total, capped=total > COUNT_CAP,
        cap=COUNT_CAP, options=options, members=members.members, stages=stages, statuses=STATUSES,
        record_types=[(name, type_label(name, console.lang)) for name in RECORD_TYPES],
        page_number=page_number if found.prev_cursor else 1,
        next_link=link(after=found.next_cursor, page=str(page_number + 1)) if found.next_cursor else None,
        prev_link=(link(before=found.prev_cursor, page=str(max(page_number - 1, 1)))
                   if found.prev_cursor else None),
        first_link=link(), export_query=urlencode(base), selected_area=wanted.area,
        here=here,
        stage_of=lambda row: stage_label(row.type, row.stage, console.lang, console.t),
        type_of=lambda name: type_label(name, console.lang),
    )  # fmt: skip


@page
async def record_detail(console: Console) -> Response:
    record_id = str(console.request.path_params["record_id"])
    async with store_of(console.request).read() as session:
        view = await record_view(session, console.principal, record_id, lang=console.lang, t=console.t)
    # A console read of a record's personal details is audited: who, which record, from where.
    async with store_of(console.request).write() as session:
        await audit(
            session, "record_viewed", member_id=console.principal.member_id,
            device_id=console.principal.device_id, client=console.client, record=record_id, type=view.type,
        )  # fmt: skip
    back = console.request.query_params.get("back", "")
    if not (back.startswith("/console/records?") or back == "/console/records"):
        back = "/console/records"  # only our own list: never an open redirect
    return await console.render("record.html", nav="records", view=view, back=back)
