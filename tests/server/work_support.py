"""What the requests board, alarms and indicators tests share: ops shaped as the phones make them for each
record type (with a chosen date or clock), pushing them through the real API, and the caller as a
``Principal`` for calling the console's services directly with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import update

from server.auth.principal import Principal, authenticate
from server.db import Store
from server.domain.ids import derived_record_id
from server.domain.indexing import LOCAL_TZ
from server.models import Household
from sync import encode_clock, uuid7
from tests.server.factories import Phone

DAY_MS = 24 * 3600 * 1000


def local_ms(day: str, clock: str = "08:00") -> int:
    """ms since the epoch of ``day`` at ``clock`` in Asia/Shanghai."""
    return int(datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LOCAL_TZ).timestamp() * 1000)


def at(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LOCAL_TZ).astimezone(UTC)


async def principal_of(store: Store, phone: Phone) -> Principal:
    async with store.read() as session:
        return await authenticate(
            session,
            method="GET",
            cookie=None,
            authorization=f"Bearer {phone.token}",
            csrf_header=None,
            now=datetime.now(UTC),
        )


async def push_ok(client: httpx.AsyncClient, phone: Phone, *ops: dict[str, Any]) -> None:
    response = await client.post("/api/sync/push", json={"ops": list(ops)}, headers=phone.headers)
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["results"]} == {"accepted"}, response.json()


def _op(
    phone: Phone, *, record: str, type_: str, household: str, ms: int | None, **rest: Any
) -> dict[str, Any]:
    clock = (
        encode_clock(ms, 0) if ms is not None else phone.clock.now(int(datetime.now(UTC).timestamp() * 1000))
    )
    return {
        "id": uuid7(),
        "record": record,
        "type": type_,
        "household": household,
        "clock": clock,
        "replica": phone.device_id,
        **rest,
    }


def visit(phone: Phone, household: str, day: str, *, not_home: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {"date": day, "items": ["care"], "notes": "见到本人"}
    if not_home:
        fields["not_home"] = True
    return _op(
        phone,
        record=uuid7(),
        type_="visit",
        household=household,
        ms=local_ms(day, "10:00"),
        kind="set",
        fields=fields,
    )


def check_id(household: str, day: str) -> str:
    return derived_record_id("curtain_check", [household, day])


def curtain(phone: Phone, household: str, day: str, **fields: Any) -> dict[str, Any]:
    """A curtain check's set op (its record id derived from household and day)."""
    return _op(
        phone,
        record=check_id(household, day),
        type_="curtain_check",
        household=household,
        ms=local_ms(day, "08:00") + len(fields),
        kind="set",
        fields={"date": day, **fields},
    )


def escalation(phone: Phone, household: str, day: str, step: str = "phone") -> dict[str, Any]:
    return _op(
        phone,
        record=check_id(household, day),
        type_="curtain_check",
        household=household,
        ms=local_ms(day, "09:40"),
        kind="append",
        field="escalation",
        value={"step": step, "time": "09:40", "result": "no_answer"},
    )


def request(
    phone: Phone,
    household: str,
    ms: int,
    *,
    category: str = "repair",
    record: str | None = None,
    urgency: str = "normal",
) -> dict[str, Any]:
    return _op(
        phone,
        record=record or uuid7(),
        type_="request",
        household=household,
        ms=ms,
        kind="set",
        fields={"category": category, "description": "楼道灯坏了", "urgency": urgency},
    )


def step(phone: Phone, record: str, household: str, ms: int, **entry: Any) -> dict[str, Any]:
    return _op(
        phone,
        record=record,
        type_="request",
        household=household,
        ms=ms,
        kind="append",
        field="steps",
        value=entry,
    )


def mediation(phone: Phone, household: str, ms: int, mediators: list[int], **fields: Any) -> dict[str, Any]:
    return _op(
        phone,
        record=uuid7(),
        type_="mediation",
        household=household,
        ms=ms,
        kind="set",
        fields={"category": "family", "mediators": mediators, "parties": "张三与李四", **fields},
    )


def session_entry(phone: Phone, record: str, household: str, ms: int, day: str) -> dict[str, Any]:
    return _op(
        phone,
        record=record,
        type_="mediation",
        household=household,
        ms=ms,
        kind="append",
        field="sessions",
        value={"date": day, "notes": "双方当面沟通"},
    )


def household_fields(leader: Phone, household: str, **fields: Any) -> dict[str, Any]:
    return _op(
        leader,
        record=derived_record_id("household", [household]),
        type_="household",
        household=household,
        ms=None,
        kind="set",
        fields=fields,
    )


async def set_households(store: Store, households: list[str], **values: Any) -> None:
    """Register facts of households (care level, tags) as an import would have set them."""
    async with store.write() as session:
        await session.execute(update(Household).where(Household.id.in_(households)).values(**values))
