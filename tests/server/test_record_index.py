"""The index columns of records (server/domain/indexing.py): per type, as push writes them, and rebuilt."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import delete, select, update

from server.db import Store
from server.domain.indexing import LOCAL_TZ, record_index
from server.models import Household, RecordRow, RequestFacts
from server.services.record_index import index_missing, rebuild_from_log
from sync import Op, RecordState, apply_op, encode_clock, uuid7
from tests.server.conftest import run_cli
from tests.server.factories import World

T0 = int(datetime(2026, 11, 30, 8, 0, tzinfo=LOCAL_TZ).timestamp() * 1000)
DAY = 24 * 3600 * 1000


def fold(type_: str, *changes: tuple[int, dict[str, Any]]) -> RecordState:
    """A record of ``type_`` from (ms, change) pairs: {"fields": …} or {"append": (log, entry)}."""
    state: RecordState | None = None
    record = uuid7()
    for n, (ms, change) in enumerate(changes):
        common = dict(id=uuid7(), record=record, type=type_, household="hh-1", clock=encode_clock(ms, 0),
                      replica="r1", author=7 + n)  # fmt: skip
        if "fields" in change:
            op = Op(**common, kind="set", fields=change["fields"])
        else:
            log, entry = change["append"]
            op = Op(**common, kind="append", field=log, value=entry)
        state = apply_op(state, op)
    assert state is not None
    return state


def test_a_visit_is_indexed_by_its_date_with_its_notes_as_summary() -> None:
    index = record_index(
        fold("visit", (T0, {"fields": {"date": "2026-11-29", "notes": "老人身体尚好\n精神不错"}}))
    )
    assert (index.record_date, index.stage, index.closed, index.due_ms) == (
        "2026-11-29",
        "visited",
        True,
        None,
    )
    assert index.summary == "老人身体尚好 精神不错" and index.started_ms == T0 and index.updated_by == 7
    not_home = fold("visit", (T0, {"fields": {"date": "2026-11-29", "not_home": True}}))
    assert record_index(not_home).stage == "not_home"


def test_a_curtain_check_is_open_then_escalating_then_closed_by_its_outcome() -> None:
    opened = (T0, {"fields": {"date": "2026-11-30"}})
    step = (
        T0 + 60_000,
        {"append": ("escalation", {"step": "phone", "time": "09:40", "result": "no_answer"})},
    )
    closed = (T0 + 120_000, {"fields": {"outcome": "reached", "checked_at": "09:45"}})
    assert [record_index(fold("curtain_check", *c)).stage for c in ([opened], [opened, step])] == [
        "open",
        "escalating",
    ]
    done = record_index(fold("curtain_check", opened, step, closed))
    assert (done.stage, done.closed, done.updated_by) == ("reached", True, 9)


def test_a_request_carries_its_stage_and_next_123_due_time() -> None:
    created = (T0, {"fields": {"category": "repair", "description": "楼道灯坏了"}})
    assigned = (T0 + 3_600_000, {"append": ("steps", {"step": "assign", "to": "物业"})})
    fresh = record_index(fold("request", created))
    assert (fresh.record_date, fresh.stage, fresh.closed, fresh.due_ms) == (
        "2026-11-30",
        "collect",
        False,
        T0 + DAY,
    )
    moved = record_index(fold("request", created, assigned))
    assert (moved.stage, moved.due_ms) == ("assign", T0 + 3_600_000 + 2 * DAY)


def test_a_mediation_summary_never_carries_its_sensitive_text() -> None:
    fields = {"category": "family", "mediators": [7], "parties": "张三与李四", "summary": "婆媳矛盾",
              "next_followup": "2026-12-05"}  # fmt: skip
    state = fold("mediation", (T0, {"fields": fields}))
    index = record_index(state)
    assert index.summary == "family" and "婆媳" not in index.summary and "张三" not in index.summary
    assert index.due_ms == int(datetime(2026, 12, 5, tzinfo=LOCAL_TZ).timestamp() * 1000)
    assert (index.stage, index.closed) == ("ongoing", False)


async def test_push_writes_the_index_and_upgrade_fills_rows_that_have_none(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    op = world.alice.op(household=world.households_a[0], fields={"date": "2026-11-21", "notes": "楼道灯不亮"})
    assert (
        await client.post("/api/sync/push", json={"ops": [op]}, headers=world.alice.headers)
    ).status_code == 200
    async with store.read() as session:
        row = await session.get(RecordRow, op["record"])
    assert row is not None
    assert (row.record_date, row.stage, row.summary, row.community_id, row.updated_by) == (
        "2026-11-21", "visited", "楼道灯不亮", world.community, world.alice.member_id,
    )  # fmt: skip

    async with store.write() as session:
        await session.execute(update(RecordRow).values(started_ms=None, summary="", record_date=None))
    async with store.write() as session:
        assert await index_missing(session) == 1
    async with store.read() as session:
        again = await session.scalar(select(RecordRow).where(RecordRow.id == op["record"]))
    assert again is not None and (again.record_date, again.summary) == ("2026-11-21", "楼道灯不亮")


async def test_requests_keep_their_stage_times_and_households_their_last_visit(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    household, record = world.households_a[0], uuid7()
    visit = world.alice.op(household=household, fields={"date": "2026-11-20", "notes": "见到本人"})
    missed = world.alice.op(household=household, fields={"date": "2026-11-25", "not_home": True})
    await push_with_a_request(client, world, record, [visit, missed])

    async with store.read() as session:
        facts = await session.get(RequestFacts, record)
        home = await session.get(Household, household)
    assert facts is not None and home is not None
    assert (facts.category, facts.urgency, facts.assigned_to, facts.replied_ms) == (
        "repair",
        "urgent",
        "物业公司",
        None,
    )
    assert facts.assigned_ms is not None and facts.assigned_ms >= facts.collected_ms
    assert home.last_visit == "2026-11-20", "a visit that found nobody home does not count"


async def test_rebuild_from_the_op_log_gives_back_every_state_column_and_projection_push_wrote(
    client: httpx.AsyncClient, store: Store, world: World, database_url: str
) -> None:
    household, record = world.households_a[0], uuid7()
    visit = world.alice.op(household=household, fields={"date": "2026-11-20", "notes": "见到本人"})
    edit = world.alice.op(household=household, record=visit["record"], fields={"notes": "见到本人，血压正常"})
    await push_with_a_request(client, world, record, [visit, edit])

    columns = (RecordRow.id, RecordRow.state, RecordRow.updated_seq, RecordRow.deleted, RecordRow.record_date,
               RecordRow.stage, RecordRow.closed, RecordRow.due_ms, RecordRow.summary, RecordRow.updated_by,
               RecordRow.community_id)  # fmt: skip

    async def snapshot() -> tuple[Any, ...]:
        async with store.read() as session:
            rows = (await session.execute(select(*columns).order_by(RecordRow.id))).all()
            facts = await session.get(RequestFacts, record)
            home = await session.get(Household, household)
        assert facts is not None and home is not None
        return [tuple(row) for row in rows], (facts.category, facts.assigned_to), home.last_visit

    pushed = await snapshot()
    # Lose everything push derived: states emptied of history, index columns, request facts, last visit.
    async with store.write() as session:
        empty = '{"deleted":[],"fields":{},"household":"","id":"","logs":{},"ops":[],"type":"visit","v":1}'
        await session.execute(
            update(RecordRow).values(state=empty, updated_seq=0, record_date=None, stage=None, summary="")
        )
        await session.execute(delete(RequestFacts))
        await session.execute(update(Household).values(last_visit=None))
    async with store.write() as session:
        assert await rebuild_from_log(session) == 2

    assert await snapshot() == pushed
    # The same through the command line, and `db reindex` (from the states) changes nothing after it.
    rebuilt = run_cli("db", "rebuild-records", "--json", database_url=database_url)
    reindexed = run_cli("db", "reindex", "--json", database_url=database_url)
    assert (json.loads(rebuilt.stdout), json.loads(reindexed.stdout)) == ({"rebuilt": 2}, {"reindexed": 2})
    assert await snapshot() == pushed


async def push_with_a_request(client: httpx.AsyncClient, world: World, record: str, ops: list[Any]) -> None:
    """Alice pushes ``ops`` and raises request ``record`` at the first household of grid A; the community
    coordinator assigns it (转办)."""
    household = world.households_a[0]
    fields = {"category": "repair", "description": "水管漏水", "urgency": "urgent"}
    request = world.alice.op(household=household, record=record, type="request", fields=fields)
    assign = world.dora.op(household=household, record=record, type="request", kind="append", field="steps",
                           value={"step": "assign", "to": "物业公司"})  # fmt: skip
    del assign["fields"]
    for phone, batch in ((world.alice, [*ops, request]), (world.dora, [assign])):
        response = await client.post("/api/sync/push", json={"ops": batch}, headers=phone.headers)
        assert {r["status"] for r in response.json()["results"]} == {"accepted"}, response.text
