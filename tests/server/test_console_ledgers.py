"""Page 7, ledgers 台账: XLSX (opened with openpyxl: sheets, headers, cell types) and CSV (BOM, rows), the
filtered list's export, masking per role, the 1-2-3 columns, streaming, and the audit rows."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from server.console.dates import OFFICE_TZ
from server.console.services.ledger_files import csv_chunks
from server.console.services.ledgers import LEDGERS, Cell, Column
from server.console.services.masking import HIDDEN, mask_phone, masking_for
from server.console.services.permissions import CONSOLE_ROLES
from server.db import Store
from server.models import Role
from server.settings import Settings
from tests.server.console_records_support import PHONE, fill, make_scene, mediation, push, request, step
from tests.server.console_support import console_get, events, make_town, person
from tests.server.test_access import KINDS, VISIBLE, records_of_every_kind

DAY_MS = 86_400_000
SHEETS = ["走访台账", "窗帘行动台账", "群众诉求台账", "矛盾调解台账"]


def sheets_of(response: httpx.Response) -> dict[str, list[list[Any]]]:
    assert response.status_code == 200, response.text[-2000:]
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def by_header(rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text[-2000:]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese right
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_standard_ledgers_are_one_sheet_each_with_chinese_headers_and_real_dates(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    book = sheets_of(await console_get(client, scene.dora, "/console/ledgers/export", format="xlsx"))

    assert list(book) == SHEETS
    for key, title in zip(LEDGERS, SHEETS, strict=True):
        assert book[title][0] == [column.header for column in LEDGERS[key].columns]
    visits = by_header(book["走访台账"])
    assert [row["记录编号"] for row in visits] == [
        r["visit_a_1115_not_home"],
        r["visit_b_1110"],
        r["visit_a_1101"],
    ]
    first = visits[-1]
    assert first["走访日期"] == datetime(2026, 11, 1)  # a real date cell (openpyxl reads dates as datetimes)
    assert (first["惠民政策宣讲"], first["安全知识"], first["重点人群关怀"]) == ("是", "是", None)
    assert first["走访人"] == "徐明" and first["户主"] == "王秀英" and first["网格"] == "第1网格"
    assert isinstance(first["最后修改"], datetime)
    assert visits[0]["未遇"] == "是"
    curtain = by_header(book["窗帘行动台账"])[0]
    assert curtain["日期"] == datetime(2026, 11, 20) and curtain["处置步数"] == 1
    assert curtain["处置经过"] == "09:40 电话联系—无人应答" and curtain["结果"] == "处置中"
    assert curtain["联系电话"] == "138****5678"  # a community office sees phones masked
    request_row = by_header(book["群众诉求台账"])[0]
    assert isinstance(request_row["收集时间"], datetime) and request_row["类别"] == "维修"
    assert request_row["诉求内容"] == "厕所漏水，请回电 138****5678"
    mediation_row = by_header(book["矛盾调解台账"])[0]
    assert mediation_row["当事人"] == "3楼张某与4楼李某 139****5678"  # community: parties, phones masked
    assert mediation_row["调解人员"] == "徐明" and mediation_row["调解次数"] == 0
    # Grid D (community 2) is outside Dora's scope: its visit is in no sheet.
    assert r["visit_d_1105"] not in {row[-1] for rows in book.values() for row in rows}


async def test_date_cells_carry_a_date_number_format(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    await fill(client, scene)

    response = await console_get(client, scene.dora, "/console/ledgers/export", format="xlsx", ledger="visit")

    sheet = load_workbook(io.BytesIO(response.content))["走访台账"]
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd"
    last = sheet.cell(row=2, column=[c.header for c in LEDGERS["visit"].columns].index("最后修改") + 1)
    assert last.is_date and last.number_format == "yyyy-mm-dd hh:mm"


async def test_a_ledger_as_csv_has_a_bom_a_header_and_one_row_per_record(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    response = await console_get(client, scene.dora, "/console/ledgers/export", format="csv", ledger="visit")

    rows = csv_rows(response)
    assert rows[0] == [column.header for column in LEDGERS["visit"].columns]
    assert [row[-1] for row in rows[1:]] == [r["visit_a_1115_not_home"], r["visit_b_1110"], r["visit_a_1101"]]
    assert rows[-1][0] == "2026-11-01"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


async def test_the_ledgers_follow_the_area_and_the_date_range(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    response = await console_get(
        client, scene.sam, "/console/ledgers/export", format="csv", ledger="visit",
        area=scene.town.grid_b, **{"from": "2026-11-02", "to": "2026-11-30"},
    )  # fmt: skip

    assert [row[-1] for row in csv_rows(response)[1:]] == [r["visit_b_1110"]]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_the_filtered_list_exports_the_rows_the_list_shows(
    client: httpx.AsyncClient, store: Store, settings: Settings, fmt: str
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    response = await console_get(client, scene.dora, "/console/records/export", format=fmt, type="visit")

    rows = csv_rows(response) if fmt == "csv" else sheets_of(response)["记录清单"]
    assert [row[-1] for row in rows[1:]] == [r["visit_a_1115_not_home"], r["visit_b_1110"], r["visit_a_1101"]]
    assert rows[0][:3] == ["类型", "日期", "网格"]
    assert rows[1][0] == "走访" and rows[1][6] == "未遇"


async def test_a_grid_leader_exports_phones_in_full_but_never_mediation_details(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    await fill(client, scene)
    household = scene.town.households[scene.town.grid_a][1]
    await push(client, scene.xu, mediation(scene.xu, household, [scene.gail.member_id]))

    book = sheets_of(await console_get(client, scene.gail, "/console/ledgers/export", format="xlsx"))

    assert by_header(book["窗帘行动台账"])[0]["联系电话"] == PHONE
    assert PHONE in by_header(book["群众诉求台账"])[0]["诉求内容"]
    rows = by_header(book["矛盾调解台账"])
    assert len(rows) == 1  # only the mediation naming Gao Li: the other is not hers to read
    assert rows[0]["当事人"] == HIDDEN and rows[0]["矛盾概况"] == HIDDEN


def test_one_place_decides_masking_for_every_role() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0531-88886666") == "053*****6666"
    assert (
        masking_for(Role.COMMUNITY).text("电话 138 1234 5678，座机 88886666")
        == "电话 138****5678，座机 888*6666"
    )
    assert masking_for(Role.GRID_LEADER).phone(PHONE) == PHONE
    roles = (Role.GRID_LEADER, Role.COMMUNITY, Role.STREET, Role.ADMIN)
    assert [masking_for(role).mediation_in_exports for role in roles] == [False, True, True, True]
    assert masking_for(Role.STREET).phone(PHONE) == "138****5678"


async def test_the_123_columns_say_on_time_late_or_overdue(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    household = scene.town.households[scene.town.grid_a][0]
    collected = 1_700_000_000_000  # long ago: every limit has passed
    created = request(scene.xu, household, "路灯不亮")
    created["clock"] = f"{collected:015d}-00000"
    assign = step(scene.dora, created, {"step": "assign", "to": "物业公司"})
    assign["clock"] = f"{collected + DAY_MS // 2:015d}-00000"  # within 1 day: 按时
    reply = step(scene.dora, created, {"step": "reply", "notes": "已修复"})
    reply["clock"] = f"{collected + DAY_MS // 2 + 3 * DAY_MS:015d}-00000"  # 3 days after: 超时
    await push(client, scene.xu, created)
    await push(client, scene.dora, assign, reply)
    late = request(scene.xu, household, "楼道堆物")
    late["clock"] = f"{collected:015d}-00001"
    await push(client, scene.xu, late)

    rows = by_header(
        sheets_of(
            await console_get(client, scene.dora, "/console/ledgers/export", format="xlsx", ledger="request")
        )["群众诉求台账"]
    )

    done = next(row for row in rows if row["记录编号"] == created["record"])
    waiting = next(row for row in rows if row["记录编号"] == late["record"])
    assert (done["受理（1日）"], done["办理（2日）"], done["反馈（3日）"]) == ("按时", "超时", "超时未办")
    assert done["转办给"] == "物业公司" and done["当前环节"] == "答复"
    assigned_local = datetime.fromtimestamp((collected + DAY_MS // 2) / 1000, OFFICE_TZ).replace(tzinfo=None)
    assert done["转办时间"] == assigned_local
    assert (waiting["受理（1日）"], waiting["办理（2日）"], waiting["反馈（3日）"]) == (
        "超时未办",
        None,
        None,
    )


async def test_every_export_is_audited_before_its_first_byte_with_the_filter_and_the_row_count(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    await fill(client, scene)

    await console_get(
        client, scene.dora, "/console/records/export", format="csv", type="visit", area=scene.town.grid_a
    )
    await console_get(
        client, scene.sam, "/console/ledgers/export", format="xlsx", ledger=["visit", "request"]
    )

    exports = await events(store, "export")
    assert [(e.member_id, e.detail) for e in exports] == [
        (scene.dora.member_id, {"what": "records", "ledgers": ["records"], "format": "csv", "rows": 2,
                                "filter": {"area": str(scene.town.grid_a), "type": "visit"}}),
        (scene.sam.member_id, {"what": "ledgers", "ledgers": ["visit", "request"], "format": "xlsx",
                               "rows": 5, "filter": {}}),
    ]  # fmt: skip


async def test_a_csv_of_several_ledgers_or_an_unknown_format_is_refused(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)

    several = await console_get(client, scene.dora, "/console/ledgers/export", format="csv")
    odd = await console_get(client, scene.dora, "/console/records/export", format="pdf")
    unknown = await console_get(client, scene.dora, "/console/ledgers/export", ledger="points")

    for response in (several, odd, unknown):
        assert response.status_code == 400 and 'data-code="invalid_export"' in response.text
    assert await events(store, "export") == []


async def test_csv_rows_are_sent_as_they_are_read_not_after_the_whole_file() -> None:
    read: list[int] = []

    async def batches() -> AsyncIterator[list[list[Cell]]]:
        for n in range(3):
            read.append(n)
            yield [[f"第{n}批", date(2026, 11, n + 1), datetime(2026, 11, n + 1, 9, 30), n]]

    columns = [Column("名称"), Column("日期", "date"), Column("时间", "datetime"), Column("数", "int")]
    chunks = csv_chunks(columns, batches())
    first = await anext(chunks)
    assert read == [] and first == "\ufeff名称,日期,时间,数\r\n".encode()
    second = await anext(chunks)
    assert read == [0] and second == "第0批,2026-11-01,2026-11-01 09:30,0\r\n".encode()
    assert [chunk async for chunk in chunks] == [
        "第1批,2026-11-02,2026-11-02 09:30,1\r\n".encode(),
        "第2批,2026-11-03,2026-11-03 09:30,2\r\n".encode(),
    ]


@pytest.mark.parametrize("role", sorted(CONSOLE_ROLES, key=list(Role).index), ids=lambda role: role.value)
async def test_the_standard_ledgers_hold_exactly_what_the_access_rule_lets_the_caller_read(
    client: httpx.AsyncClient, store: Store, settings: Settings, role: Role
) -> None:
    # The table of tests/server/test_access.py (role × record), run against the four standard ledgers as
    # one workbook, as it is run there against pull, record reads, the list, a record's page and its export.
    town = await make_town(store)
    caller = await person(store, settings, town, "来访者", role)
    records = await records_of_every_kind(client, store, settings, town, caller)

    book = sheets_of(await console_get(client, caller, "/console/ledgers/export", format="xlsx"))

    exported = {row["记录编号"] for rows in book.values() for row in by_header(rows)}
    expected = dict(zip(KINDS, VISIBLE[role], strict=True))
    assert {kind: records[kind] in exported for kind in KINDS} == expected
    assert exported <= set(records.values())
