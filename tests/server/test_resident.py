"""A resident's request (issue 9, PIPL arts. 45, 47): everything about one household exported (JSON and
XLSX), and erased — its records by erase ops, its personal facts cleared — each audited."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import openpyxl
import pytest
from sqlalchemy import select

from server.db import Store
from server.models import Household
from server.services.resident import ErasureRefused, erase_household, export_household, write_export
from tests.server.conftest import run_cli
from tests.server.erasure_support import (
    accepted,
    audit_events,
    closed_request,
    household_record,
    is_erased,
    op_kinds,
    register,
    visit,
)
from tests.server.factories import World

HEALTH = "高血压，需每日服药"


async def household_with_records(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    household = world.households_a[0]
    facts = household_record(world.dora, household, phone="13812345678", health=HEALTH, income="low_income")
    return {
        "household": await accepted(client, world.dora, facts),
        "visit": await accepted(
            client, world.alice, visit(world.alice, household, "2026-11-21", "老人身体尚好")
        ),
        "request": await closed_request(client, world.alice, world.dora, household),
        "elsewhere": await accepted(
            client, world.alice, visit(world.alice, world.households_a[1], "2026-11-21")
        ),
    }


async def test_the_export_holds_the_facts_every_record_and_its_history(
    client: httpx.AsyncClient, world: World, store: Store, tmp_path: Path
) -> None:
    records = await household_with_records(client, world)
    household = world.households_a[0]

    async with store.write() as session:
        export = await export_household(
            session, household, by=world.dora.member_id, client=None, now=datetime.now(UTC)
        )

    assert export["household"]["id"] == household
    assert (export["household"]["phone"], export["household"]["health"]) == ("13812345678", HEALTH)
    by_id = {record["id"]: record for record in export["records"]}
    assert set(by_id) == {records["household"], records["visit"], records["request"]}
    assert by_id[records["visit"]]["values"]["notes"] == "老人身体尚好"
    request = by_id[records["request"]]
    assert [op["kind"] for op in request["history"]] == ["set"] + ["append"] * 4
    assert {op["author_name"] for op in request["history"]} == {"李华", "刘芳"}
    assert [entry["value"]["step"] for entry in request["state"]["logs"]["steps"]] == [
        "collect", "assign", "reply", "return_visit",
    ]  # fmt: skip
    (event,) = await audit_events(store, "resident_exported")
    assert event.member_id == world.dora.member_id
    assert event.detail == {"household": household, "records": 3, "via": "cli"}
    assert HEALTH not in json.dumps(event.detail, ensure_ascii=False)

    out = tmp_path / "export.xlsx"
    await asyncio.to_thread(write_export, export, out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["住户信息", "记录", "修改历史", "删除登记"]
    assert ["health", HEALTH] in [[c.value for c in row] for row in book["住户信息"].iter_rows()]
    assert book["记录"].max_row == 1 + 3 and book["修改历史"].max_row == 1 + 1 + 1 + 5


async def test_erasing_a_household_erases_its_records_and_clears_its_facts(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
    records = await household_with_records(client, world)
    household = world.households_a[0]

    done = await erase_household(store, household, requested_by=world.dora.member_id, now=datetime.now(UTC))

    assert (done.records, done.already) == (3, 0)
    for name in ("household", "visit", "request"):
        assert await is_erased(store, records[name]), name
        assert await op_kinds(store, records[name]) == ["erase"], name
    assert not await is_erased(store, records["elsewhere"])
    async with store.read() as session:
        row = await session.get(Household, household)
        assert row is not None
        facts = (row.head_name, row.phone, row.health, row.income, row.tags, row.residents, row.care_level)
        assert facts == ("", None, None, None, [], [], "green")
        assert row.address  # the dwelling stays: the household is still served
    listed = (await client.get("/api/households", headers=world.alice.headers)).json()["households"]
    (mine,) = [h for h in listed if h["id"] == household]
    assert (mine["phone"], mine["health"], mine["head"]) == (None, None, "")
    entries = await register(store)
    assert {(e.record_id, e.reason, e.requested_by) for e in entries} == {
        (records["household"], "resident", world.dora.member_id),
        (records["visit"], "resident", world.dora.member_id),
        (records["request"], "resident", world.dora.member_id),
        (None, "resident", world.dora.member_id),
    }
    (event,) = await audit_events(store, "resident_erased")
    assert (event.member_id, event.detail) == (
        world.dora.member_id, {"household": household, "records": 3, "already_erased": 0},
    )  # fmt: skip
    again = await erase_household(store, household, requested_by=world.dora.member_id, now=datetime.now(UTC))
    assert (again.records, again.already) == (0, 3)


@pytest.mark.parametrize(
    ("who", "message"),
    [("alice", "taken by a coordinator"), ("nobody", "no active member"), ("system", "no active member")],
    ids=["a-member", "unknown", "the-system-member"],
)
async def test_an_erasure_taken_by_someone_who_may_not_is_refused(
    world: World, store: Store, who: str, message: str
) -> None:
    member = {"alice": world.alice.member_id, "nobody": 9999, "system": 0}[who]
    with pytest.raises(ErasureRefused, match=message):
        await erase_household(store, world.households_a[0], requested_by=member, now=datetime.now(UTC))
    assert await register(store) == []


async def test_the_cli_exports_and_erases_on_request(
    client: httpx.AsyncClient, world: World, store: Store, database_url: str, tmp_path: Path
) -> None:
    records = await household_with_records(client, world)
    household = world.households_a[0]
    out = tmp_path / "resident.json"
    dora = str(world.dora.member_id)

    await asyncio.to_thread(
        run_cli, "resident", "export", "--household", household, "--out", str(out), "--by", dora,
        database_url=database_url,
    )  # fmt: skip
    erased = await asyncio.to_thread(
        run_cli,
        "resident",
        "erase",
        "--household",
        household,
        "--by",
        dora,
        "--json",
        database_url=database_url,
    )

    exported = json.loads(out.read_text(encoding="utf-8"))
    assert len(exported["records"]) == 3 and exported["household"]["health"] == HEALTH
    assert json.loads(erased.stdout) == {"household": household, "records": 3, "already_erased": 0}
    assert await is_erased(store, records["visit"])
    async with store.read() as session:
        health = await session.scalar(select(Household.health).where(Household.id == household))
    assert health is None
