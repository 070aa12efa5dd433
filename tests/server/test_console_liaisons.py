"""Page 6, liaison households (联络户) and the members they lead (1+N)."""

from __future__ import annotations

import re

import httpx

from server.db import Store
from server.models import Role
from tests.server import console_support
from tests.server.console_support import (
    Town,
    console_get,
    console_post,
    done,
    events,
    has_marked,
    marked_ids,
    member,
    refused,
)
from tests.server.factories import Phone

town, dora = console_support.town, console_support.dora  # the shared fixtures


# ---- liaison households (1+N) ----------------------------------------------------------------------------


async def test_a_liaison_leads_up_to_five_members_of_their_grid_one_liaison_each(
    client: httpx.AsyncClient, store: Store, town: Town, dora: Phone
) -> None:
    liaison = await member(store, "联络户王", Role.LIAISON, [town.grid_a])
    other = await member(store, "联络户赵", Role.LIAISON, [town.grid_a])
    team = [await member(store, f"党员{n}", Role.MEMBER, [town.grid_a]) for n in range(6)]
    elsewhere = await member(store, "陈静", Role.MEMBER, [town.grid_b])
    leader = await member(store, "网格长", Role.GRID_LEADER, [town.grid_a])

    async def link(liaison_id: int, member_id: int) -> httpx.Response:
        return await console_post(
            client, dora, f"/console/members/{liaison_id}/liaison", {"member": member_id}
        )

    for member_id in team[:5]:
        done(await link(liaison, member_id), liaison, "linked")
    refused(await link(liaison, team[5]), 400, "liaison_full")
    refused(await link(other, team[0]), 400, "already_led")
    refused(await link(other, elsewhere), 400, "not_same_grid")
    refused(await link(other, leader), 400, "not_a_member")
    refused(await link(team[5], team[4]), 400, "not_a_liaison")

    page = await console_get(client, dora, f"/console/members/{liaison}")
    listing = await console_get(client, dora, "/console/members", q="党员0")
    led_page = await console_get(client, dora, f"/console/members/{team[0]}")
    assert sorted(int(i) for i in marked_ids(page.text, "led-member")) == sorted(team[:5])
    assert "联络户：联络户王" in listing.text
    assert has_marked(led_page.text, "led-by") and "联络户王" in led_page.text
    assert {e.detail["liaison"] for e in await events(store, "liaison_linked")} == {liaison}


async def test_removing_or_moving_a_member_ends_their_liaison_link(
    client: httpx.AsyncClient, store: Store, town: Town, dora: Phone
) -> None:
    liaison = await member(store, "联络户王", Role.LIAISON, [town.grid_a])
    first = await member(store, "党员甲", Role.MEMBER, [town.grid_a])
    second = await member(store, "党员乙", Role.MEMBER, [town.grid_a])
    for member_id in (first, second):
        await console_post(client, dora, f"/console/members/{liaison}/liaison", {"member": member_id})

    removed = await console_post(client, dora, f"/console/members/{liaison}/liaison/{first}/end")
    await console_post(client, dora, f"/console/members/{second}/move", {"area": town.grid_b})

    done(removed, liaison, "unlinked")
    page = await console_get(client, dora, f"/console/members/{liaison}")
    assert marked_ids(page.text, "led-member") == []
    assert len(await events(store, "liaison_unlinked")) == 2
    (options,) = re.findall(r'<select id="led" name="member">(.*?)</select>', page.text, re.S)
    assert [int(i) for i in re.findall(r'value="(\d+)"', options)] == [first]
