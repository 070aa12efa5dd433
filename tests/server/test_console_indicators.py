"""Page 5, indicators and points: each formula on a fixture with known answers (last month, so every day of
it is due), per area and per member, restricted records counted only for those who may read them, and the
page with its SVG charts and print stylesheet."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from server.console.services.indicators import Stats, area_rows, member_rows, points_of
from server.console.services.month_work import Month, month_work
from server.console.services.permissions import console_scope
from server.console.services.work_areas import area_tree
from server.db import Store
from server.domain.indexing import LOCAL_TZ
from server.models import Role
from server.settings import Settings
from tests.server.console_support import (
    Town,
    console_get,
    make_town,
    marked_ids,
    person,
    set_curtain_deadline,
)
from tests.server.factories import Phone
from tests.server.work_support import (
    curtain,
    escalation,
    local_ms,
    mediation,
    principal_of,
    push_ok,
    request,
    session_entry,
    set_households,
    step,
    visit,
)

NOW = datetime.now(LOCAL_TZ)
MONTH = Month(NOW.year, NOW.month).previous()
DAYS = MONTH.last.day
HOUR = 3_600_000


def day(n: int) -> str:
    return MONTH.first.replace(day=n).isoformat()


@dataclass
class Month_:
    town: Town
    alice: Phone
    leader: Phone
    dora: Phone


@pytest.fixture
async def scene(client: httpx.AsyncClient, store: Store, settings: Settings) -> Month_:
    town = await make_town(store)
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    leader = await person(store, settings, town, "网格长王强", Role.GRID_LEADER)
    dora = await person(store, settings, town, "刘芳", Role.COMMUNITY)
    (a1, a2), (b1, b2) = town.households[town.grid_a], town.households[town.grid_b]
    # Key households: A1 (orange), A2 (a tag), B2 (yellow); B1 is green without tags. A1 and B1 are on the
    # curtain round; Alice is linked to A1 and A2. Community 1's deadline is 09:00.
    await set_households(store, [a1], care_level="orange", curtain_round=True, covered_by=[alice.member_id])
    await set_households(store, [a2], tags=["frail"], covered_by=[alice.member_id])
    await set_households(store, [b1], curtain_round=True)
    await set_households(store, [b2], care_level="yellow")
    await set_curtain_deadline(store, town.community_1, "09:00")

    # Visits: A1 seen twice on day 3 (one counts) and on day 10; A2 only 未遇; B1 (not key) seen by Dora.
    await push_ok(
        client,
        alice,
        visit(alice, a1, day(3)),
        visit(alice, a1, day(3)),
        visit(alice, a1, day(10)),
        visit(alice, a2, day(4), not_home=True),
    )
    await push_ok(client, dora, visit(dora, b1, day(5)))
    # Curtain checks: A1 day 1 on time, day 2 late, day 3 escalating; B1 day 1 at the deadline exactly;
    # A2 (not on the round) day 1 closed.
    await push_ok(
        client,
        alice,
        curtain(alice, a1, day(1), outcome="seen", checked_at="08:30"),
        curtain(alice, a1, day(2), outcome="seen", checked_at="09:30"),
        curtain(alice, a1, day(3)),
        escalation(alice, a1, day(3)),
        curtain(alice, a2, day(1), outcome="seen", checked_at="08:00"),
    )
    await push_ok(client, dora, curtain(dora, b1, day(1), outcome="reached", checked_at="09:00"))
    # Requests: R1 (A1, day 2) assigned after 2 h, replied 5 h later, visited back satisfied 24 h later;
    # R2 (A1, day 4) untouched; R3 (B1, day 6) assigned after 10 h.
    t1, t3 = local_ms(day(2)), local_ms(day(6))
    r1, r2, r3 = request(alice, a1, t1), request(alice, a1, local_ms(day(4))), request(dora, b1, t3)
    await push_ok(client, alice, r1, r2)
    await push_ok(client, dora, r3, step(dora, r3["record"], b1, t3 + 10 * HOUR, step="assign", to="物业"))
    await push_ok(
        client,
        leader,
        step(leader, r1["record"], a1, t1 + 2 * HOUR, step="assign", to="物业"),
        step(leader, r1["record"], a1, t1 + 7 * HOUR, step="reply", notes="已修好"),
    )
    await push_ok(
        client,
        alice,
        step(alice, r1["record"], a1, t1 + 31 * HOUR, step="return_visit", satisfaction="satisfied"),
    )
    # Mediation in A1, mediated by Alice: M1 agreed, sessions on days 7 and 9; M2 ongoing, a session on day 8.
    m1 = mediation(alice, a1, local_ms(day(7)), [alice.member_id], outcome="agreed")
    m2 = mediation(alice, a1, local_ms(day(8)), [alice.member_id])
    await push_ok(
        client,
        alice,
        m1,
        m2,
        session_entry(alice, m1["record"], a1, local_ms(day(7), "10:00"), day(7)),
        session_entry(alice, m1["record"], a1, local_ms(day(9), "10:00"), day(9)),
        session_entry(alice, m2["record"], a1, local_ms(day(8), "10:00"), day(8)),
    )
    # This month (not the one measured): A2 seen — it does not count for last month.
    await push_ok(client, alice, visit(alice, a2, NOW.date().isoformat()))
    return Month_(town, alice, leader, dora)


async def measured(
    store: Store, settings: Settings, phone: Phone, area: int | None = None
) -> tuple[dict[int, Stats], dict[int, int], dict[int, Stats]]:
    principal = await principal_of(store, phone)
    async with store.read() as session:
        scope = await console_scope(session, principal)
        tree = await area_tree(session, scope, principal)
        grids = tree.grids_under(area)
        work = await month_work(
            session, principal, grids=grids, month=MONTH, now=NOW, default_deadline="09:30"
        )
        rows = area_rows(work, tree, NOW, area)
        members = await member_rows(session, work, grids, NOW)
    points = {member: score.total for member, score in points_of(work).items()}
    return {row.id: row.value for row in rows}, points, {m.id: m.stats for m in members}


async def test_visit_coverage_of_key_households_per_area_and_member(
    store: Store, settings: Settings, scene: Month_
) -> None:
    s = scene
    areas, _points, members = await measured(store, settings, s.dora)

    # Key: A1, A2, B2. Seen this month: A1 (A2 only 未遇; B1 is not key).
    assert (areas[s.town.community_1].key_visited, areas[s.town.community_1].key_households) == (1, 3)
    assert (areas[s.town.grid_a].key_visited, areas[s.town.grid_a].key_households) == (1, 2)
    assert (areas[s.town.grid_b].key_visited, areas[s.town.grid_b].key_households) == (0, 1)
    assert areas[s.town.grid_a].coverage == 50.0
    assert (members[s.alice.member_id].key_visited, members[s.alice.member_id].key_households) == (1, 2)


async def test_curtain_checks_on_time_over_checks_due(
    store: Store, settings: Settings, scene: Month_
) -> None:
    s = scene
    areas, _points, members = await measured(store, settings, s.dora)

    # Due: A1 and B1 on the round, every day of the month. On time: A1 day 1 (08:30), B1 day 1 (09:00, at
    # the deadline). A1 day 2 (09:30) was late; A2 is not on the round.
    community = areas[s.town.community_1]
    assert (community.curtain_on_time, community.curtain_due) == (2, 2 * DAYS)
    assert (areas[s.town.grid_a].curtain_on_time, areas[s.town.grid_a].curtain_due) == (1, DAYS)
    assert community.on_time == pytest.approx(100.0 / DAYS)
    assert (members[s.alice.member_id].curtain_on_time, members[s.alice.member_id].curtain_due) == (1, DAYS)


async def test_requests_collected_closed_closure_rate_and_average_time_per_123_stage(
    store: Store, settings: Settings, scene: Month_
) -> None:
    s = scene
    areas, _points, members = await measured(store, settings, s.dora)

    community = areas[s.town.community_1]
    assert (community.collected, community.closed) == (3, 1)
    assert community.closure == pytest.approx(100 / 3)
    assert community.stage_hours() == [pytest.approx(6.0), pytest.approx(5.0), pytest.approx(24.0)]
    assert areas[s.town.grid_b].stage_hours() == [pytest.approx(10.0), None, None]
    assert (members[s.alice.member_id].collected, members[s.alice.member_id].closed) == (2, 1)


async def test_mediation_outcomes_are_counts_of_the_mediations_the_caller_may_read(
    store: Store, settings: Settings, scene: Month_
) -> None:
    s = scene
    dora, _, _ = await measured(store, settings, s.dora)
    leader, _, _ = await measured(store, settings, s.leader)

    assert dict(dora[s.town.community_1].outcomes) == {"agreed": 1, "ongoing": 1}
    assert dict(leader[s.town.grid_a].outcomes) == {}


async def test_points_add_up_the_months_work_by_the_rules(
    store: Store, settings: Settings, scene: Month_
) -> None:
    s = scene
    _areas, dora_view, _ = await measured(store, settings, s.dora)
    _areas, leader_view, _ = await measured(store, settings, s.leader)

    # Alice: 2 key visits (3 each; the second on day 3 does not count; 未遇 earns nothing) = 6, 3 checks
    # closed = 3, 2 of them on time = 2, 2 requests = 2, 1 return visit = 2, 3 mediation sessions = 9.
    assert dora_view[s.alice.member_id] == 6 + 3 + 2 + 2 + 2 + 9
    # Dora: a visit to a household that is not key = 2, a check closed on time = 1 + 1, a request = 1.
    assert dora_view[s.dora.member_id] == 2 + 2 + 1
    # The grid leader may not read Alice's mediations: they count nothing in the leader's view.
    assert leader_view[s.alice.member_id] == 6 + 3 + 2 + 2 + 2
    assert s.leader.member_id not in dora_view  # recording 转办 and 答复 earns no points


async def test_the_indicators_page_shows_the_month_with_svg_charts_that_print(
    client: httpx.AsyncClient, scene: Month_
) -> None:
    s = scene
    page = await console_get(client, s.dora, "/console/indicators", month=str(MONTH))

    assert page.status_code == 200, page.text[-2000:]
    html = page.text
    assert f'data-testid="indicator-month">{MONTH}<' in html
    rows = dict(
        zip(
            marked_ids(html, "area-row", "data-area"),
            marked_ids(html, "area-row", "data-curtain"),
            strict=True,
        )
    )
    assert rows[str(s.town.community_1)] == f"2/{2 * DAYS}"
    points = dict(
        zip(marked_ids(html, "member-stats"), marked_ids(html, "member-stats", "data-points"), strict=True)
    )
    assert points[str(s.alice.member_id)] == "24" and points[str(s.dora.member_id)] == "5"
    charts = re.findall(r"<svg [^>]*>", html)
    # Six charts, each in a wide and a narrow (phone) layout.
    assert len(charts) == 12 and all('role="img"' in c and "style=" not in c for c in charts)
    assert 'font-size="16"' in html  # chart text is as large as the page's
    assert marked_ids(html, "member-stats")[0] == str(s.alice.member_id)  # best score first
    css = await client.get("/console/static/work.css")
    assert "@media print" in css.text

    english = await console_get(client, s.dora, "/console/indicators", month=str(MONTH), lang="en")
    assert "Visit coverage of key households" in english.text
    bad_month = await console_get(client, s.dora, "/console/indicators", month="2026-13")
    assert f">{Month(NOW.year, NOW.month)}<" in bad_month.text  # an impossible month falls back to this one


@pytest.mark.parametrize(
    ("clock", "due", "on_time"), [("08:59", 2 * 2, 1), ("09:01", 3 * 2, 2)], ids=["before-deadline", "after"]
)
def test_today_counts_in_curtain_checks_due_and_on_time_only_once_its_deadline_has_passed(
    clock: str, due: int, on_time: int
) -> None:
    from server.console.services.indicators import per_grid
    from server.console.services.month_work import CurtainCheck, HouseholdFacts, MonthWork

    month = Month(2026, 11)
    work = MonthWork(month=month, today=month.first.replace(day=3), deadlines={7: "09:00"})
    work.households = {
        h: HouseholdFacts(h, 7, key=False, curtain_round=True, covered_by=()) for h in ("x", "y")
    }
    work.checks = [
        CurtainCheck("x", 7, "2026-11-01", True, "08:10", 1),
        CurtainCheck("x", 7, "2026-11-03", True, "08:20", 1),
    ]
    now = datetime.fromisoformat(f"2026-11-03T{clock}").replace(tzinfo=LOCAL_TZ)

    stats = per_grid(work, now)[7]

    assert (stats.curtain_due, stats.curtain_on_time) == (due, on_time)
