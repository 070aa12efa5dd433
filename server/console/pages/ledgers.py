"""Page 7, ledgers 台账: the standard ledgers' page and every export (a filtered list, the ledgers).

An export is audited before its first byte (``export``: who, what, the filter, the row count, the format)
and streamed (server/console/services/ledger_files.py). What it shows of phone numbers and mediation
details is decided by server/console/services/masking.py.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from urllib.parse import quote

from starlette.responses import Response, StreamingResponse

from server.auth.principal import Principal
from server.console.context import Console, page
from server.console.dates import today
from server.console.services.ledger_files import XlsxBook, csv_chunks, file_chunks
from server.console.services.ledgers import LEDGERS, LIST_LEDGER, Ledger, ledger_rows
from server.console.services.masking import Masking, masking_for
from server.console.services.records_list import RecordFilter, count_records, filter_from_params
from server.console.services.tree import area_options
from server.db import Store
from server.routes.common import store_of
from server.services.audit import audit
from server.services.members import MemberError

__all__ = ["ledger_export", "ledgers_page", "records_export"]

FORMATS = ("xlsx", "csv")
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class BadExport(MemberError):
    status_code = 400

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__("invalid_export", message, message_zh)


@page
async def ledgers_page(console: Console) -> Response:
    params = console.request.query_params
    wanted = filter_from_params(params)
    day = today(console.now)
    async with store_of(console.request).read() as session:
        options = await area_options(session, console.scope)
    return await console.render(
        "ledgers.html", nav="ledgers", wanted=wanted, options=options, ledgers=list(LEDGERS.values()),
        default_to=day.isoformat(), month_start=day.replace(day=1).isoformat(), selected_area=wanted.area,
    )  # fmt: skip


def _format(console: Console) -> str:
    wanted = console.request.query_params.get("format", "xlsx")
    if wanted not in FORMATS:
        raise BadExport(f"format must be one of {list(FORMATS)}, got {wanted!r}", "导出格式无效")
    return wanted


async def _export(
    console: Console, sheets: Sequence[Ledger], wanted: RecordFilter, *, what: str, name: str, fmt: str
) -> Response:
    principal, store = console.principal, store_of(console.request)
    masking = masking_for(principal.role)
    filters = [replace(wanted, type=sheet.record_type) if sheet.record_type else wanted for sheet in sheets]
    async with store.read() as session:
        counts = [await count_records(session, principal, f, cap=None) for f in filters]
    async with store.write() as session:
        await audit(
            session, "export", member_id=principal.member_id, device_id=principal.device_id,
            client=console.client, what=what, ledgers=[sheet.key for sheet in sheets],
            filter=dict(wanted.params()), rows=sum(counts), format=fmt,
        )  # fmt: skip
    now_ms = int(time.time() * 1000)
    if fmt == "csv":
        batches = ledger_rows(store, principal, sheets[0], filters[0], masking, now_ms=now_ms)
        body = csv_chunks(sheets[0].columns, batches)
    else:
        body = _xlsx(store, principal, masking, list(zip(sheets, filters, strict=True)), now_ms=now_ms)
    filename = f"{name}-{today(console.now).isoformat()}.{fmt}"
    ascii_name = f"lianhu-{sheets[0].key if len(sheets) == 1 else 'ledgers'}-{today(console.now)}.{fmt}"
    headers = {
        "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "cache-control": "no-store",
    }
    return StreamingResponse(body, media_type=MEDIA[fmt], headers=headers)


async def _xlsx(
    store: Store,
    principal: Principal,
    masking: Masking,
    sheets: list[tuple[Ledger, RecordFilter]],
    *,
    now_ms: int,
) -> AsyncIterator[bytes]:
    """Build the workbook into a temporary file (one sheet per ledger), then stream it and delete it."""
    book = XlsxBook()
    try:
        for ledger, wanted in sheets:
            book.sheet(ledger.title, ledger.columns)
            async for batch in ledger_rows(store, principal, ledger, wanted, masking, now_ms=now_ms):
                await book.append(batch)
        path = await book.save()
    except BaseException:
        book.discard()
        raise
    async for chunk in file_chunks(path):
        yield chunk


@page
async def records_export(console: Console) -> Response:
    """The records list as it is filtered, as one sheet (XLSX) or file (CSV)."""
    wanted = filter_from_params(console.request.query_params)
    return await _export(
        console, [LIST_LEDGER], wanted, what="records", name="记录清单", fmt=_format(console)
    )


@page
async def ledger_export(console: Console) -> Response:
    """The standard ledgers chosen (``ledger=visit&ledger=request`` …; none: all four) for an area and a
    date range: XLSX with one sheet per ledger, or CSV of exactly one."""
    params = console.request.query_params
    fmt = _format(console)
    keys = params.getlist("ledger") or list(LEDGERS)
    unknown = [key for key in keys if key not in LEDGERS]
    if unknown:
        raise BadExport(f"unknown ledgers {unknown}; expected some of {list(LEDGERS)}", "台账名称无效")
    if fmt == "csv" and len(keys) != 1:
        raise BadExport(
            f"a CSV file holds one ledger, {len(keys)} were asked for", "CSV 文件一次只能导出一个台账"
        )
    base = filter_from_params(params)
    wanted = RecordFilter(area=base.area, date_from=base.date_from, date_to=base.date_to)
    sheets = [LEDGERS[key] for key in dict.fromkeys(keys)]
    name = sheets[0].title if len(sheets) == 1 else "台账"
    return await _export(console, sheets, wanted, what="ledgers", name=name, fmt=fmt)
