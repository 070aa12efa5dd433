"""Page 6, members: the list, adding, dated assignments, moving, deactivating — each action and who may do
it for whom (role and scope, checked server-side)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.console.dates import OFFICE_TZ
from server.db import Store
from server.models import Assignment, Member, Role
from server.settings import Settings
from tests.server import console_support
from tests.server.console_support import (
    Town,
    console_get,
    console_post,
    current_areas,
    done,
    events,
    has_marked,
    marked_ids,
    member,
    person,
    refused,
)
from tests.server.factories import Phone

town, dora = console_support.town, console_support.dora  # the shared fixtures


# ---- the list --------------------------------------------------------------------------------------------


async def test_a_coordinator_lists_the_members_of_their_areas_only(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    in_a = await member(store, "李华", Role.MEMBER, [town.grid_a])
    in_b = await member(store, "陈静", Role.GRID_LEADER, [town.grid_b])
    in_d = await member(store, "周红", Role.MEMBER, [town.grid_d])
    street = await person(store, settings, town, "街道王", Role.STREET)
    leader = await person(store, settings, town, "网格长", Role.GRID_LEADER)

    def ids(response: httpx.Response) -> set[int]:
        assert response.status_code == 200, response.text[-2000:]
        return {int(i) for i in marked_ids(response.text, "member-row")}

    community = ids(await console_get(client, dora, "/console/members"))
    whole_street = ids(await console_get(client, street, "/console/members"))
    grid_a = ids(await console_get(client, leader, "/console/members"))

    assert (
        {in_a, in_b, dora.member_id} <= community
        and in_d not in community
        and street.member_id not in community
    )
    assert {in_a, in_b, in_d, dora.member_id, street.member_id} <= whole_street
    assert in_a in grid_a and in_b not in grid_a and dora.member_id not in grid_a


async def test_the_member_list_filters_by_area_role_status_and_name(
    client: httpx.AsyncClient, store: Store, town: Town, dora: Phone
) -> None:
    li = await member(store, "李华", Role.MEMBER, [town.grid_a])
    chen = await member(store, "陈静", Role.GRID_LEADER, [town.grid_b])
    gone = await member(store, "李四", Role.MEMBER, [town.grid_a])
    await console_post(client, dora, f"/console/members/{gone}/deactivate", {"confirm": "yes"})

    async def listed(**params: Any) -> list[int]:
        response = await console_get(client, dora, "/console/members", **params)
        return sorted(int(i) for i in marked_ids(response.text, "member-row"))

    assert await listed(area=town.grid_b) == [chen]
    assert await listed(role="grid_leader") == [chen]
    assert await listed(q="李") == [li]
    assert await listed(status="inactive") == [gone]
    assert await listed(status="all", q="李") == sorted([li, gone])
    assert await listed(area=town.grid_d) == [], "an area outside the coordinator's scope lists nobody"


# ---- adding ----------------------------------------------------------------------------------------------


async def test_a_community_coordinator_adds_a_member_to_a_grid_of_their_community(
    client: httpx.AsyncClient, store: Store, town: Town, dora: Phone
) -> None:
    three_days_ago = (datetime.now(OFFICE_TZ) - timedelta(days=3)).date()

    response = await console_post(client, dora, "/console/members", {
        "name": " 孟新 ", "phone": "13900000001", "role": "member", "area": town.grid_b,
        "started": three_days_ago.isoformat(),
    })  # fmt: skip

    new_id = int(re.findall(r"/console/members/(\d+)\?", response.headers["location"])[0])
    done(response, new_id, "added")
    async with store.read() as session:
        added = await session.get(Member, new_id)
        assignment = await session.scalar(select(Assignment).where(Assignment.member_id == new_id))
    assert added is not None and (added.name, added.role, added.phone) == ("孟新", Role.MEMBER, "13900000001")
    assert assignment is not None and assignment.area_id == town.grid_b and assignment.ended_at is None
    assert assignment.started_at.astimezone(OFFICE_TZ).isoformat() == f"{three_days_ago}T00:00:00+08:00"
    (event,) = [e for e in await events(store, "member_added") if e.member_id == new_id]
    assert event.detail == {"role": "member", "areas": [town.grid_b], "by": dora.member_id}


@pytest.mark.parametrize(
    ("caller_role", "role", "area", "allowed"),
    [
        (Role.COMMUNITY, "liaison", "grid_a", True),
        (Role.COMMUNITY, "member", "grid_d", False),  # another community's grid
        (Role.COMMUNITY, "community", "community_1", False),  # a peer's role
        (Role.GRID_LEADER, "member", "grid_a", False),  # grid leaders change nothing
        (Role.STREET, "community", "community_2", True),
        (Role.STREET, "street", "street", False),
        (Role.ADMIN, "street", "street", True),
        (Role.ADMIN, "admin", None, True),
    ],
    ids=["community-adds-liaison", "community-other-community", "community-peer", "grid-leader",
         "street-adds-community", "street-peer", "admin-adds-street", "admin-adds-admin"],
)  # fmt: skip
async def test_who_may_add_whom(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town,
    caller_role: Role, role: str, area: str | None, allowed: bool,
) -> None:  # fmt: skip
    caller = await person(store, settings, town, "协调员", caller_role)
    form = {"name": "新成员", "role": role, "area": "" if area is None else getattr(town, area)}

    response = await console_post(client, caller, "/console/members", form)

    async with store.read() as session:
        created = (await session.scalars(select(Member).where(Member.name == "新成员"))).all()
    if allowed:
        assert response.status_code == 303 and len(created) == 1 and created[0].role == Role(role)
    else:
        assert response.status_code == 403 and created == []


async def test_a_form_with_a_mistake_comes_back_with_the_reason_and_what_was_typed(
    client: httpx.AsyncClient, store: Store, town: Town, dora: Phone
) -> None:
    await member(store, "已有", Role.MEMBER, [town.grid_a], phone="13900000009")

    empty = await console_post(
        client, dora, "/console/members", {"name": "", "role": "member", "area": town.grid_a}
    )
    phone = await console_post(client, dora, "/console/members", {
        "name": "孟新", "phone": "13900000009", "role": "member", "area": town.grid_a,
    })  # fmt: skip
    level = await console_post(
        client, dora, "/console/members", {"name": "孟新", "role": "member", "area": town.community_1}
    )
    future = await console_post(client, dora, "/console/members", {
        "name": "孟新", "role": "member", "area": town.grid_a, "started": "2999-01-01",
    })  # fmt: skip

    for response, message in ((empty, "请填写姓名"), (phone, "该手机号已被其他成员使用"),
                              (level, "所选区域不存在或级别不符"), (future, "日期不能晚于今天")):  # fmt: skip
        assert response.status_code == 400 and has_marked(response.text, "form-error")
        assert message in response.text
    assert 'value="孟新"' in phone.text
    async with store.read() as session:
        assert (await session.scalars(select(Member).where(Member.name == "孟新"))).all() == []


# ---- assignments, moving, deactivating -------------------------------------------------------------------


async def test_assignments_are_dated_and_ending_one_ends_the_members_sessions(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    last_week = (datetime.now(OFFICE_TZ) - timedelta(days=7)).date().isoformat()

    added = await console_post(client, dora, f"/console/members/{alice.member_id}/assignments",
                               {"area": town.grid_b, "started": last_week})  # fmt: skip
    async with store.read() as session:
        first = await session.scalar(
            select(Assignment.id).where(
                Assignment.member_id == alice.member_id, Assignment.area_id == town.grid_a
            )
        )
    ended = await console_post(
        client, dora, f"/console/members/{alice.member_id}/assignments/{first}/end", {}
    )

    done(added, alice.member_id, "assigned")
    done(ended, alice.member_id, "ended")
    assert await current_areas(store, alice.member_id) == [town.grid_b]
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 401
    page = await console_get(client, dora, f"/console/members/{alice.member_id}")
    assert marked_ids(page.text, "assignment-row", "data-current") == ["yes", "no"]
    assert [e.detail["by"] for e in await events(store, "assignment_ended")] == [dora.member_id]


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [({"area": "grid_d"}, 403, "not_allowed"),
     ({"area": "grid_b", "started": "2999-01-01"}, 400, "future_date"),
     ({"area": "grid_a"}, 400, "already_assigned")],
    ids=["other-community", "future", "twice"],
)  # fmt: skip
async def test_an_assignment_that_breaks_a_rule_is_refused(
    client: httpx.AsyncClient,
    store: Store,
    town: Town,
    dora: Phone,
    form: dict[str, str],
    status: int,
    code: str,
) -> None:
    alice = await member(store, "李华", Role.MEMBER, [town.grid_a])

    response = await console_post(client, dora, f"/console/members/{alice}/assignments",
                                  {**form, "area": getattr(town, form["area"])})  # fmt: skip

    refused(response, status, code)
    assert await current_areas(store, alice) == [town.grid_a]


async def test_moving_a_member_replaces_their_areas_and_ends_their_sessions(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    alice = await person(store, settings, town, "李华", Role.MEMBER)

    response = await console_post(
        client, dora, f"/console/members/{alice.member_id}/move", {"area": town.grid_b}
    )
    outside = await console_post(
        client, dora, f"/console/members/{alice.member_id}/move", {"area": town.grid_d}
    )

    done(response, alice.member_id, "moved")
    refused(outside, 403, "not_allowed")
    assert await current_areas(store, alice.member_id) == [town.grid_b]
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 401
    (event,) = await events(store, "member_moved")
    assert event.detail == {"areas": [town.grid_b], "by": dora.member_id}


async def test_deactivating_a_member_needs_the_confirmation_and_ends_everything(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    path = f"/console/members/{alice.member_id}/deactivate"

    unconfirmed = await console_post(client, dora, path, {})
    confirmed = await console_post(client, dora, path, {"confirm": "yes"})

    refused(unconfirmed, 400, "confirm_needed")
    done(confirmed, alice.member_id, "deactivated")
    async with store.read() as session:
        assert (await session.get(Member, alice.member_id)).active is False  # type: ignore[union-attr]
    assert await current_areas(store, alice.member_id) == []
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 401
    assert [e.detail for e in await events(store, "member_deactivated")] == [{"by": dora.member_id}]
    page = await console_get(client, dora, f"/console/members/{alice.member_id}")
    assert has_marked(page.text, "member-inactive") and not has_marked(page.text, "issue-code")


@pytest.mark.parametrize(
    "action",
    ["assignments", "move", "deactivate", "codes", "liaison"],
)
async def test_members_outside_the_coordinators_scope_are_not_found_and_peers_are_not_changed(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone, action: str
) -> None:
    outsider = await person(store, settings, town, "周红", Role.MEMBER, [town.grid_d])
    peer = await person(store, settings, town, "副书记", Role.COMMUNITY)
    form = {"area": town.grid_a, "confirm": "yes", "purpose": "enroll", "member": outsider.member_id}

    hidden_page = await console_get(client, dora, f"/console/members/{outsider.member_id}")
    hidden = await console_post(client, dora, f"/console/members/{outsider.member_id}/{action}", form)
    peer_page = await console_get(client, dora, f"/console/members/{peer.member_id}")
    changed_peer = await console_post(client, dora, f"/console/members/{peer.member_id}/{action}", form)

    refused(hidden_page, 404, "not_found")
    refused(hidden, 404, "not_found")
    assert peer_page.status_code == 200 and has_marked(peer_page.text, "read-only")
    refused(changed_peer, 403, "not_allowed")
    for phone in (outsider, peer):
        assert (await client.get("/api/me", headers=phone.headers)).status_code == 200


async def test_a_grid_leader_sees_their_members_but_changes_nothing(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town
) -> None:
    leader = await person(store, settings, town, "网格长", Role.GRID_LEADER)
    alice = await person(store, settings, town, "李华", Role.MEMBER)

    page = await console_get(client, leader, f"/console/members/{alice.member_id}")
    code = await console_post(
        client, leader, f"/console/members/{alice.member_id}/codes", {"purpose": "enroll"}
    )
    revoke = await console_post(client, leader, f"/console/devices/{alice.device_id}/revoke")

    assert (
        page.status_code == 200 and has_marked(page.text, "read-only") and has_marked(page.text, "device-row")
    )
    assert not has_marked(page.text, "issue-code") and not has_marked(page.text, "revoke-device")
    refused(code, 403, "not_allowed")
    refused(revoke, 403, "not_allowed")


async def test_overview_counts_the_coordinators_members(
    client: httpx.AsyncClient, store: Store, town: Town, dora: Phone
) -> None:
    for n in range(3):
        await member(store, f"党员{n}", Role.MEMBER, [town.grid_a])
    await member(store, "别处", Role.MEMBER, [town.grid_d])

    home = await console_get(client, dora, "/console/")

    number = re.search(r'data-testid="tile-members">\s*<span class="tile-number">(\d+)<', home.text)
    assert number is not None and int(number.group(1)) == 4  # three members and the coordinator herself
