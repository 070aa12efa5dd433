"""What the tests of pages 1, 2 and 7 (records, a record's history, ledgers) share: a town with a member
of every console role and records of every type pushed through the real sync API."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from server.db import Store
from server.domain.ids import derived_record_id
from server.models import Household, Role
from server.settings import Settings
from sync import uuid7
from tests.server.console_support import Town, make_town, person
from tests.server.factories import Phone

PHONE = "13812345678"


@dataclass
class Scene:
    town: Town
    dora: Phone  # community coordinator (社区) of community 1 (grids A, B)
    gail: Phone  # grid leader (网格长) of grid A
    sam: Phone  # street coordinator (街道)
    xu: Phone  # member, grid A
    yang: Phone  # member, grid B
    zhou: Phone  # member, grid D (community 2)
    records: dict[str, str] = field(default_factory=dict)


async def push(client: httpx.AsyncClient, phone: Phone, *ops: dict[str, Any]) -> None:
    response = await client.post("/api/sync/push", json={"ops": list(ops)}, headers=phone.headers)
    assert response.status_code == 200, response.text
    statuses = [result["status"] for result in response.json()["results"]]
    assert statuses == ["accepted"] * len(ops), response.text


def at(phone: Phone, ms: int) -> str:
    """A clock stamp on ``phone`` at wall time ``ms`` (the clock only moves forward)."""
    return phone.clock.now(ms)


def visit(phone: Phone, household: str, day: str, **fields: Any) -> dict[str, Any]:
    return phone.op(household=household, fields={"date": day, "items": ["policy", "safety"],
                                                 "notes": "老人身体尚好", **fields})  # fmt: skip


def curtain(phone: Phone, household: str, day: str, **fields: Any) -> dict[str, Any]:
    record = derived_record_id("curtain_check", [household, day])
    return phone.op(household=household, record=record, type="curtain_check", fields={"date": day, **fields})


def escalate(phone: Phone, record: dict[str, Any], step: str, hhmm: str, result: str) -> dict[str, Any]:
    return clean(phone.op(household=record["household"], record=record["record"], type="curtain_check",
                          kind="append", field="escalation", fields=None,
                          value={"step": step, "time": hhmm, "result": result}))  # fmt: skip


def request(phone: Phone, household: str, description: str, **fields: Any) -> dict[str, Any]:
    return phone.op(household=household, type="request",
                    fields={"category": "repair", "description": description, "urgency": "normal",
                            "source": "visit", **fields})  # fmt: skip


def step(phone: Phone, record: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    return clean(phone.op(household=record["household"], record=record["record"], type="request",
                          kind="append", field="steps", value=value, fields=None))  # fmt: skip


def mediation(phone: Phone, household: str, mediators: list[int], **fields: Any) -> dict[str, Any]:
    return phone.op(household=household, type="mediation",
                    fields={"category": "neighbour", "parties": "3楼张某与4楼李某 13912345678",
                            "summary": "楼上漏水纠纷", "mediators": mediators, **fields})  # fmt: skip


def household_edit(author: Phone, household: str, **fields: Any) -> dict[str, Any]:
    record = derived_record_id("household", [household])
    return author.op(household=household, record=record, type="household", fields=fields)


def clean(op: dict[str, Any]) -> dict[str, Any]:
    """An op without the keys its kind must not carry (the factory fills ``fields`` for every kind)."""
    return {key: value for key, value in op.items() if value is not None}


async def make_scene(store: Store, settings: Settings) -> Scene:
    town = await make_town(store)
    async with store.write() as session:
        household = await session.get(Household, town.households[town.grid_a][0])
        assert household is not None
        household.phone = PHONE
    return Scene(
        town,
        dora=await person(store, settings, town, "刘芳", Role.COMMUNITY),
        gail=await person(store, settings, town, "高丽", Role.GRID_LEADER),
        sam=await person(store, settings, town, "孙明", Role.STREET),
        xu=await person(store, settings, town, "徐明", Role.MEMBER, [town.grid_a]),
        yang=await person(store, settings, town, "杨光", Role.MEMBER, [town.grid_b]),
        zhou=await person(store, settings, town, "周红", Role.MEMBER, [town.grid_d]),
    )


async def fill(client: httpx.AsyncClient, scene: Scene) -> dict[str, str]:
    """One record of each kind the tests look for, ids by name."""
    town, xu, yang, zhou = scene.town, scene.xu, scene.yang, scene.zhou
    a1, a2 = town.households[town.grid_a]
    b1 = town.households[town.grid_b][0]
    d1 = town.households[town.grid_d][0]
    ops = {
        "visit_a_1101": visit(xu, a1, "2026-11-01"),
        "visit_a_1115_not_home": visit(xu, a2, "2026-11-15", not_home=True, notes="家中无人"),
        "curtain_a_1120": curtain(xu, a1, "2026-11-20"),
        "request_a": request(xu, a1, f"厕所漏水，请回电 {PHONE}", contact=f"王秀英 {PHONE}"),
        "mediation_a": mediation(xu, a2, [xu.member_id]),
        "household_a": household_edit(xu, a1, head="王秀英", phone=PHONE),
        "visit_b_1110": visit(yang, b1, "2026-11-10"),
        "visit_d_1105": visit(zhou, d1, "2026-11-05"),
    }
    for name, op in ops.items():
        author = {"visit_b_1110": yang, "visit_d_1105": zhou}.get(name, xu)
        await push(client, author, clean(op))
        scene.records[name] = str(op["record"])
    curtain_op = ops["curtain_a_1120"]
    await push(client, xu, clean(escalate(xu, curtain_op, "phone", "09:40", "no_answer")))
    return scene.records


def now_ms() -> int:
    return time.time_ns() // 1_000_000


__all__ = ["PHONE", "Scene", "at", "clean", "curtain", "escalate", "fill", "household_edit", "make_scene",
           "mediation", "now_ms", "push", "request", "step", "uuid7", "visit"]  # fmt: skip
