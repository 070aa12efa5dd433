"""(d) The server, not the app, decides scope: a member of grid A, logged in in the browser, calls the API
from the page with the session cookie and the CSRF token, as a tampered app would. A push for a grid-B
household is rejected ``out_of_scope`` and nothing of it is stored; pull returns nothing of grid B,
although a grid-B colleague has recorded a visit there."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import date
from typing import Any

from conftest import NewPhone, Server
from phone import api_call, enroll


def uuid7() -> str:
    rand = secrets.token_bytes(10)
    ms = int(time.time() * 1000).to_bytes(6, "big")
    return str(
        uuid.UUID(bytes=ms + bytes([0x70 | rand[0] & 0x0F, rand[1], 0x80 | rand[2] & 0x3F]) + rand[3:])
    )


def visit_op(household: str, replica: str, notes: str) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "record": uuid7(),
        "type": "visit",
        "household": household,
        "clock": f"{int(time.time() * 1000):015d}-00000",
        "replica": replica,
        "kind": "set",
        "fields": {"date": date.today().isoformat(), "items": [], "notes": notes, "request": None},
    }


def test_a_grid_a_member_cannot_push_or_pull_grid_b(server: Server, new_phone: NewPhone) -> None:
    grids = server.cli_json("grid", "list")
    grid_a, grid_b = grids[0]["id"], grids[1]["id"]
    (hh_a,) = server.query("SELECT id FROM households WHERE grid_id = ? LIMIT 1", (grid_a,))
    (hh_b,) = server.query("SELECT id FROM households WHERE grid_id = ? LIMIT 1", (grid_b,))

    # A colleague of grid B records a visit there (a script's device, bearer token).
    colleague = server.enroll_token(server.add_member("吴磊", grid_b)["id"])
    status, me_b = server.api("GET", "/api/me", token=colleague)
    seeded = visit_op(hh_b["id"], me_b["device"]["id"], "B网格的走访记录")
    status, pushed = server.api("POST", "/api/sync/push", token=colleague, body={"ops": [seeded]})
    assert (status, pushed["results"][0]["status"]) == (200, "accepted")

    member = server.add_member("周杰", grid_a)
    page = new_phone("zhou-jie")
    enroll(page, server.url, server.code_for(member["id"]))
    me = api_call(page, "GET", "/api/me")["body"]
    assert isinstance(me, dict)
    replica = me["device"]["id"]

    # Push: the grid-B op is rejected per op, the grid-A one in the same batch is accepted.
    outside, inside = visit_op(hh_b["id"], replica, "越权写入"), visit_op(hh_a["id"], replica, "本网格")
    answer = api_call(page, "POST", "/api/sync/push", {"ops": [outside, inside]})
    assert answer["status"] == 200, answer
    results = answer["body"]["results"]  # type: ignore[index]
    assert [(r["status"], r.get("code")) for r in results] == [
        ("rejected", "out_of_scope"),
        ("accepted", None),
    ]
    assert server.query("SELECT 1 FROM ops WHERE op_id = ?", (outside["id"],)) == []
    assert server.query("SELECT 1 FROM records WHERE id = ?", (outside["record"],)) == []

    # Without the CSRF token the cookie alone changes nothing.
    forged = page.evaluate(
        """(op) => fetch('/api/sync/push', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                             body: JSON.stringify({ops: [op]})}).then((r) => r.status)""",
        visit_op(hh_a["id"], replica, "没有 CSRF"),
    )
    assert forged == 403

    # Pull: everything from the start, nothing of grid B.
    pulled = api_call(page, "GET", "/api/sync/pull?limit=1000")
    assert pulled["status"] == 200, pulled
    body = pulled["body"]
    assert isinstance(body, dict)
    assert body["scope"]["grids"] == [grid_a]
    households = {op["household"] for op in body["ops"]}
    assert hh_b["id"] not in households and seeded["record"] not in {op["record"] for op in body["ops"]}
    assert inside["record"] in {op["record"] for op in body["ops"]}
    listed = api_call(page, "GET", "/api/households")["body"]
    assert isinstance(listed, dict)
    assert {h["grid"]["id"] for h in listed["households"]} == {grid_a}
    history = api_call(page, "GET", f"/api/records/{seeded['record']}")
    assert history["status"] == 404
