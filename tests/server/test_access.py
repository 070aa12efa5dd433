"""The one access rule (server/services/access.py), held to one table by every reader: pull (its SQL twin over
ops), GET /api/records/{id} and its history (the Python rule), and the console (its SQL twin over records):
the overview, the records list, a record's page and the exports."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.console.services.permissions import CONSOLE_ROLES
from server.db import Store
from server.models import Role
from server.settings import Settings
from tests.server.console_support import Town, console_get, make_town, marked_ids, person
from tests.server.factories import Phone

KINDS = ("ordinary", "as_mediator", "as_creator", "neither", "other_grid", "other_community")
Y, N = True, False
# Who may read what. The caller works in grid A (member, liaison, grid leader), community 1 (community),
# the street (street) or everywhere (admin). "as_mediator", "as_creator" and "neither" are mediation notes
# in grid A naming the caller as mediator, created by the caller, or neither; the others are visits.
VISIBLE: dict[Role, tuple[bool, ...]] = {
    #                   ordinary  as_mediator  as_creator  neither  other_grid  other_community
    Role.MEMBER:       (Y,        Y,           Y,          N,       N,          N),
    Role.LIAISON:      (Y,        Y,           Y,          N,       N,          N),
    Role.GRID_LEADER:  (Y,        Y,           Y,          N,       N,          N),
    Role.COMMUNITY:    (Y,        Y,           Y,          Y,       Y,          N),
    Role.STREET:       (Y,        Y,           Y,          Y,       Y,          Y),
    Role.ADMIN:        (Y,        Y,           Y,          Y,       Y,          Y),
}  # fmt: skip


def mediation(phone: Phone, household: str, mediators: list[int]) -> dict[str, Any]:
    fields = {"category": "neighbour", "parties": "3楼与4楼", "summary": "漏水纠纷", "mediators": mediators}
    return phone.op(household=household, type="mediation", fields=fields)


async def push(client: httpx.AsyncClient, phone: Phone, op: dict[str, Any]) -> str:
    response = await client.post("/api/sync/push", json={"ops": [op]}, headers=phone.headers)
    assert response.json()["results"][0]["status"] == "accepted", response.text
    return str(op["record"])


async def records_of_every_kind(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, caller: Phone
) -> dict[str, str]:
    xu = await person(store, settings, town, "徐明", Role.MEMBER, [town.grid_a])
    yang = await person(store, settings, town, "杨光", Role.MEMBER, [town.grid_b])
    zhou = await person(store, settings, town, "周红", Role.MEMBER, [town.grid_d])
    a, b, d = (town.households[grid][0] for grid in (town.grid_a, town.grid_b, town.grid_d))
    return {
        "ordinary": await push(client, xu, xu.op(household=a)),
        "as_mediator": await push(client, xu, mediation(xu, a, [caller.member_id])),
        "as_creator": await push(client, caller, mediation(caller, a, [xu.member_id])),
        "neither": await push(client, xu, mediation(xu, a, [xu.member_id])),
        "other_grid": await push(client, yang, yang.op(household=b)),
        "other_community": await push(client, zhou, zhou.op(household=d)),
    }


async def pulled(client: httpx.AsyncClient, phone: Phone) -> set[str]:
    seen: set[str] = set()
    cursor = ""
    while True:
        page = (await client.get("/api/sync/pull", params={"after": cursor}, headers=phone.headers)).json()
        seen |= {op["record"] for op in page["ops"]}
        cursor = page["cursor"]
        if not page["more"]:
            return seen


@pytest.mark.parametrize("role", list(VISIBLE), ids=[role.value for role in VISIBLE])
async def test_every_reader_applies_the_same_access_rule(
    client: httpx.AsyncClient, store: Store, settings: Settings, role: Role
) -> None:
    town = await make_town(store)
    caller = await person(store, settings, town, "来访者", role)
    records = await records_of_every_kind(client, store, settings, town, caller)

    in_pull = await pulled(client, caller)
    console = await console_get(client, caller, "/console/")
    on_console = set(marked_ids(console.text, "recent-record", "data-record-id"))
    listed = await console_get(client, caller, "/console/records")
    on_list = set(marked_ids(listed.text, "record-row"))
    exported = await console_get(client, caller, "/console/records/export", format="csv")
    in_export = {line.rsplit(",", 1)[-1] for line in exported.text.splitlines()[1:]}
    console_readers = ("console", "console_list", "console_record", "console_export")
    seen: dict[str, dict[str, bool]] = {
        reader: {} for reader in ("pull", "record", "history", *console_readers)
    }
    for kind, record_id in records.items():
        seen["pull"][kind] = record_id in in_pull
        record = await client.get(f"/api/records/{record_id}", headers=caller.headers)
        history = await client.get(f"/api/records/{record_id}/history", headers=caller.headers)
        assert record.status_code in (200, 404) and history.status_code in (200, 404)
        seen["record"][kind] = record.status_code == 200
        seen["history"][kind] = history.status_code == 200
        seen["console"][kind] = record_id in on_console
        seen["console_list"][kind] = record_id in on_list
        seen["console_export"][kind] = record_id in in_export
        page = await console_get(client, caller, f"/console/records/{record_id}")
        assert page.status_code in ((200, 404) if role in CONSOLE_ROLES else (403,))
        seen["console_record"][kind] = page.status_code == 200

    expected = dict(zip(KINDS, VISIBLE[role], strict=True))
    assert seen["pull"] == expected
    assert seen["record"] == expected
    assert seen["history"] == expected
    # The console is for coordinators and grid leaders; members and liaisons see none of it.
    assert (
        console.status_code
        == listed.status_code
        == exported.status_code
        == (200 if role in CONSOLE_ROLES else 403)
    )
    for reader in console_readers:
        assert seen[reader] == {
            kind: visible and role in CONSOLE_ROLES for kind, visible in expected.items()
        }, reader
