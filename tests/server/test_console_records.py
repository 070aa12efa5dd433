"""Page 1, synced records: every filter, both sorts, keyset pages and their edges, masking in the list."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl

import httpx
import pytest

from server.app import CONTENT_SECURITY_POLICY
from server.console.services.records_list import _Cursor, _encode
from server.db import Store
from server.models import Role
from server.settings import Settings
from tests.server.console_records_support import (
    PHONE,
    fill,
    household_edit,
    make_scene,
    push,
    visit,
)
from tests.server.console_support import console_get, marked_ids, person
from tests.server.factories import Phone


async def listed(client: httpx.AsyncClient, phone: Phone, **params: object) -> list[str]:
    response = await console_get(client, phone, "/console/records", **params)
    assert response.status_code == 200, response.text[-2000:]
    return marked_ids(response.text, "record-row")


async def test_the_list_holds_every_type_in_scope_newest_day_first_and_undated_records_last(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    rows = await listed(client, scene.dora)

    # Community 1 holds grids A and B; grid D (community 2) is not in Dora's scope. The request and the
    # mediation are dated the day they were made (today); same day: the greater id first.
    today = sorted([r["request_a"], r["mediation_a"]], reverse=True)
    dated = [r["curtain_a_1120"], r["visit_a_1115_not_home"], r["visit_b_1110"], r["visit_a_1101"]]
    assert rows == [*today, *dated, r["household_a"]]  # no day (a household edit): after every dated one


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "visit"}, {"visit_a_1101", "visit_a_1115_not_home", "visit_b_1110"}),
        ({"type": "household"}, {"household_a"}),
        ({"type": "visit", "stage": "not_home"}, {"visit_a_1115_not_home"}),
        ({"stage": "escalating"}, {"curtain_a_1120"}),
        ({"from": "2026-11-05", "to": "2026-11-15"}, {"visit_a_1115_not_home", "visit_b_1110"}),
        ({"from": "2026-11-16"}, {"curtain_a_1120", "request_a", "mediation_a"}),
        ({"to": "2026-11-01"}, {"visit_a_1101"}),
        ({"status": "open", "type": "curtain_check"}, {"curtain_a_1120"}),
        ({"status": "closed", "type": "visit"}, {"visit_a_1101", "visit_a_1115_not_home", "visit_b_1110"}),
        ({"status": "open", "type": "visit"}, set()),
        ({"status": "deleted"}, set()),
    ],
    ids=["type", "type-household", "stage-not-home", "stage-escalating", "date-range", "date-from",
         "date-to", "open", "closed", "open-visits-none", "deleted-none"],
)  # fmt: skip
async def test_each_filter_keeps_exactly_its_records(
    client: httpx.AsyncClient, store: Store, settings: Settings, params: dict[str, str], expected: set[str]
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    rows = await listed(client, scene.dora, **params)

    assert set(rows) == {r[name] for name in expected}
    assert len(rows) == len(set(rows))


async def test_the_area_filter_follows_the_tree_and_never_widens_the_scope(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)
    town = scene.town
    in_a = {r[k] for k in r if "_a" in k}

    assert set(await listed(client, scene.dora, area=town.grid_a)) == in_a
    assert set(await listed(client, scene.dora, area=town.grid_b)) == {r["visit_b_1110"]}
    assert set(await listed(client, scene.dora, area=town.community_1)) == in_a | {r["visit_b_1110"]}
    assert set(await listed(client, scene.sam, area=town.community_2)) == {r["visit_d_1105"]}
    assert set(await listed(client, scene.sam, area=town.street)) == set(r.values())
    # Asking for an area outside one's scope shows nothing of it.
    assert await listed(client, scene.dora, area=town.grid_d) == []
    assert await listed(client, scene.dora, area=town.community_2) == []
    assert await listed(client, scene.dora, area=999_999) == []


async def test_the_member_filter_means_created_by_or_with_touched_any_write(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)
    # Yang (grid B) never wrote to grid A; a colleague of Xu in grid A edits Xu's visit.
    lin = await person(store, settings, scene.town, "林静", Role.MEMBER, [scene.town.grid_a])
    household = scene.town.households[scene.town.grid_a][0]
    await push(
        client, lin, lin.op(household=household, record=r["visit_a_1101"], fields={"notes": "复访补记"})
    )

    created = set(await listed(client, scene.dora, member=lin.member_id))
    touched = set(await listed(client, scene.dora, member=lin.member_id, touched="1"))
    xu_created = set(await listed(client, scene.dora, member=scene.xu.member_id))

    assert created == set()
    assert touched == {r["visit_a_1101"]}
    assert r["visit_a_1101"] in xu_created and r["visit_b_1110"] not in xu_created


async def test_sorting_by_last_change_puts_the_record_edited_last_first(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)
    household = scene.town.households[scene.town.grid_a][0]
    await push(
        client, scene.xu, scene.xu.op(household=household, record=r["visit_a_1101"], fields={"notes": "补"})
    )

    rows = await listed(client, scene.dora, sort="changed")

    assert rows[0] == r["visit_a_1101"]
    assert rows[1] == r["curtain_a_1120"]  # its escalation was the last op of fill()
    assert len(rows) == 7


NEXT = re.compile(r'href="([^"]+)" rel="next"')
PREV = re.compile(r'href="([^"]+)" rel="prev"')


async def follow(client: httpx.AsyncClient, phone: Phone, href: str) -> httpx.Response:
    """GET a link found in a page (httpx would drop a query string passed in the path with params)."""
    path, _, query = html.unescape(href).partition("?")
    return await console_get(client, phone, path, **dict(parse_qsl(query)))


async def page_walk(client: httpx.AsyncClient, phone: Phone, **params: object) -> list[str]:
    """Every page's HTML, following the list's own "next" links from the first page."""
    pages: list[str] = []
    response = await console_get(client, phone, "/console/records", **params)
    while True:
        assert response.status_code == 200
        pages.append(response.text)
        found = NEXT.search(response.text)
        if not found:
            return pages
        response = await follow(client, phone, found.group(1))
        assert len(pages) < 20


async def test_keyset_pages_cover_every_record_once_across_the_undated_tail_and_walk_back(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    town, xu, yang = scene.town, scene.xu, scene.yang
    a1, a2 = town.households[town.grid_a]
    days = [f"2026-{month:02d}-{day:02d}" for month in (9, 10) for day in range(1, 26)][:49]
    visits = [visit(xu, a1 if i % 2 else a2, day) for i, day in enumerate(days)]
    visits += [visit(xu, a1, days[0]), visit(xu, a2, days[0])]  # ties on the day: the id decides
    await push(client, xu, *visits)
    undated = [household_edit(xu, a1, head="王秀英"), household_edit(xu, a2, head="李桂兰")]
    await push(client, xu, *undated)
    undated.append(household_edit(yang, town.households[town.grid_b][0], head="赵强"))
    await push(client, yang, undated[-1])

    pages = await page_walk(client, scene.dora)
    ids = [marked_ids(page, "record-row") for page in pages]

    # 51 dated visits, then the 3 undated household records: the tail crosses the page boundary.
    assert [len(page) for page in ids] == [50, 4]
    everything = [record for page in ids for record in page]
    dated = sorted(((op["fields"]["date"], op["record"]) for op in visits), reverse=True)
    assert everything == [record for _, record in dated] + sorted(
        (op["record"] for op in undated), reverse=True
    )
    assert 'data-count="54"' in pages[0]

    # The last page's "previous" link gives the first page again.
    prev = PREV.search(pages[1])
    assert prev is not None and PREV.search(pages[0]) is None
    back = await follow(client, scene.dora, prev.group(1))
    assert marked_ids(back.text, "record-row") == ids[0]
    assert NEXT.search(back.text) is not None

    # Nothing before a cursor above every row: the first page, not an empty one.
    above = _encode(_Cursor(0, ("9999-12-31", "ffffffff-ffff-7fff-bfff-ffffffffffff")))
    top = await console_get(client, scene.dora, "/console/records", before=above)
    assert marked_ids(top.text, "record-row") == ids[0]

    # A made-up cursor is not an error: it is the first page.
    for junk in ("x", "W10", "WzAsMV0", "WzksIngiXQ", "A" * 300):
        made_up = await console_get(client, scene.dora, "/console/records", after=junk)
        assert made_up.status_code == 200
        assert marked_ids(made_up.text, "record-row") == ids[0]


async def test_pages_of_a_filtered_list_by_last_change_walk_in_update_order(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    a1 = scene.town.households[scene.town.grid_a][0]
    visits = [visit(scene.xu, a1, "2026-10-01") for _ in range(53)]
    for op in visits:  # one push each: every record gets its own, increasing updated_seq
        await push(client, scene.xu, op)

    pages = await page_walk(client, scene.dora, sort="changed", type="visit", area=scene.town.grid_a)
    ids = [marked_ids(page, "record-row") for page in pages]

    assert [len(page) for page in ids] == [50, 3]
    assert [record for page in ids for record in page] == [op["record"] for op in reversed(visits)]


async def test_phone_numbers_are_masked_in_the_list_for_offices_and_shown_to_grid_leaders(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    await fill(client, scene)

    office = (await console_get(client, scene.dora, "/console/records", type="request")).text
    grid = (await console_get(client, scene.gail, "/console/records", type="request")).text

    assert PHONE not in office and "138****5678" in office
    assert PHONE in grid
    # A mediation is listed by its category only: never its parties or summary, for anyone.
    for page in (office, grid):
        assert "张某" not in page and "漏水纠纷" not in page


@pytest.mark.parametrize("role", [Role.MEMBER, Role.LIAISON], ids=["member", "liaison"])
async def test_members_and_liaisons_are_told_the_list_is_not_for_their_role(
    client: httpx.AsyncClient, store: Store, settings: Settings, role: Role
) -> None:
    scene = await make_scene(store, settings)
    caller = await person(store, settings, scene.town, "某人", role)

    response = await console_get(client, caller, "/console/records")

    assert response.status_code == 403


async def test_the_count_says_how_many_match(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    await fill(client, scene)

    response = await console_get(client, scene.dora, "/console/records", type="visit")

    assert 'data-count="3"' in response.text


async def test_exactly_one_full_page_has_no_next_link_and_an_empty_list_says_so(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    a1 = scene.town.households[scene.town.grid_a][0]
    empty = await console_get(client, scene.dora, "/console/records")
    await push(client, scene.xu, *(visit(scene.xu, a1, "2026-10-01") for _ in range(50)))

    pages = await page_walk(client, scene.dora)

    assert 'data-testid="record-none"' in empty.text and 'data-count="0"' in empty.text
    assert len(pages) == 1 and len(marked_ids(pages[0], "record-row")) == 50
    assert PREV.search(pages[0]) is None and NEXT.search(pages[0]) is None


async def test_pages_1_2_and_7_carry_the_csp_and_no_inline_script_style_or_handlers(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    for path in ("/console/records", f"/console/records/{r['visit_a_1101']}", "/console/ledgers"):
        page = await console_get(client, scene.dora, path)
        assert page.status_code == 200, (path, page.text[-1500:])
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.headers["cache-control"] == "no-store"
        text = page.text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == [], path
        assert "<style" not in text and not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        # Nothing from another site: every stylesheet and script is the console's (or the app's) own.
        assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", text), path
