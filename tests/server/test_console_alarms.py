"""Page 4, alarms: each kind on a fixture with known answers at a fixed clock, the scope rule (a grid leader
sees only their grids; a mediation follow-up only those who may read it), the page, and the live stream
(SSE framing, bounds, and a synced record reaching an open stream within 2 seconds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.console.services.alarms import Alarms, compute_alarms
from server.console.services.live import LogWatcher, StreamLimits, event_stream, sse_event
from server.db import Store
from server.domain.indexing import LOCAL_TZ
from server.models import Role
from server.settings import Settings
from tests.server.console_support import (
    Town,
    browser,
    console_get,
    make_town,
    marked_ids,
    person,
    set_curtain_deadline,
)
from tests.server.factories import Phone
from tests.server.work_support import (
    DAY_MS,
    at,
    check_id,
    curtain,
    escalation,
    household_fields,
    mediation,
    principal_of,
    push_ok,
    request,
    set_households,
    step,
    visit,
)

TODAY = datetime.now(LOCAL_TZ).date().isoformat()  # the fixture's records are dated around today …
NOW = at(TODAY, "12:00")  # … and alarms computed at noon of it, Asia/Shanghai
NOW_MS = int(NOW.timestamp() * 1000)


def day(offset: int) -> str:
    return (date.fromisoformat(TODAY) + timedelta(days=offset)).isoformat()


@dataclass
class Scene:
    town: Town
    alice: Phone  # member, grid A
    leader: Phone  # grid leader, grid A
    dora: Phone  # community 1 (grids A, B)
    street: Phone  # the street (grids A, B, D)
    requests: dict[str, str]
    mediations: dict[str, str]

    def hh(self, grid: str, n: int) -> str:
        return f"hh-S-{ {'a': '1-1', 'b': '1-2', 'd': '2-1'}[grid] }-{n}"


@pytest.fixture
async def scene(client: httpx.AsyncClient, store: Store, settings: Settings) -> Scene:
    town = await make_town(store)
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    leader = await person(store, settings, town, "网格长王强", Role.GRID_LEADER)
    dora = await person(store, settings, town, "刘芳", Role.COMMUNITY)
    street = await person(store, settings, town, "街道赵", Role.STREET)
    s = Scene(town, alice, leader, dora, street, {}, {})
    a1, a2, b1, b2, d1, d2 = (s.hh(g, n) for g in "abd" for n in (1, 2))
    await set_curtain_deadline(store, town.community_1, "09:00")

    # The round: the grid leader flags A1 (linked to Alice) and A2; the community B1; D1, D2 as imported.
    await push_ok(
        client,
        leader,
        household_fields(leader, a1, curtain_round=True, covered_by=[alice.member_id]),
        household_fields(leader, a2, curtain_round=True),
    )
    await push_ok(client, dora, household_fields(dora, b1, curtain_round=True))
    await set_households(store, [d1, d2], curtain_round=True)
    await set_households(store, [a1], care_level="orange")
    await set_households(store, [a2], care_level="yellow")

    # Today's checks: A1 nothing at all; A2 started, no outcome; B1 escalating; D1 closed; B2 (not on the
    # round) escalating since yesterday.
    await push_ok(client, alice, curtain(alice, a2, TODAY))
    await push_ok(client, dora, curtain(dora, b1, TODAY), escalation(dora, b1, TODAY))
    await push_ok(client, street, curtain(street, d1, TODAY, outcome="seen", checked_at="08:50"))
    await push_ok(client, dora, curtain(dora, b2, day(-1)), escalation(dora, b2, day(-1), "knock"))

    # Visits: A1 (orange, every 7 days) 10 days ago; A2 (yellow, 14) 3 days ago; D1 yesterday; others never.
    await push_ok(
        client,
        alice,
        visit(alice, a1, day(-10)),
        visit(alice, a2, day(-3)),
        visit(alice, a2, day(-1), not_home=True),
    )
    await push_ok(client, street, visit(street, d1, day(-1)))

    # Requests: R1 collected 3 days ago, never assigned; R2 assigned 2.5 days ago, no reply; R3 an hour old;
    # R4 closed.
    first, second = request(alice, a1, NOW_MS - 3 * DAY_MS), request(alice, a1, NOW_MS - 3 * DAY_MS)
    s.requests = {"r1": first["record"], "r2": second["record"]}
    await push_ok(client, alice, first, second)
    await push_ok(
        client,
        leader,
        step(leader, second["record"], a1, NOW_MS - 60 * 3_600_000, step="assign", to_member=alice.member_id),
    )
    fresh = request(alice, a2, NOW_MS - 3_600_000)
    done = request(alice, a2, NOW_MS - 2 * DAY_MS)
    s.requests |= {"r3": fresh["record"], "r4": done["record"]}
    await push_ok(client, alice, fresh, done)
    await push_ok(
        client,
        leader,
        step(leader, done["record"], a2, NOW_MS - DAY_MS, step="assign", to="物业"),
        step(leader, done["record"], a2, NOW_MS - DAY_MS + 1000, step="reply", notes="已修好"),
    )
    await push_ok(
        client,
        alice,
        step(alice, done["record"], a2, NOW_MS - 3_600_000, step="return_visit", satisfaction="satisfied"),
    )

    # Mediation in A1 by Alice (she mediates it): follow-up yesterday (due) and one tomorrow (not yet).
    due = mediation(alice, a1, NOW_MS - 5 * DAY_MS, [alice.member_id], next_followup=day(-1))
    later = mediation(alice, a1, NOW_MS - 5 * DAY_MS, [alice.member_id], next_followup=day(1))
    s.mediations = {"due": due["record"], "later": later["record"]}
    await push_ok(client, alice, due, later)
    return s


async def alarms_of(store: Store, settings: Settings, phone: Phone, *, now: Any = NOW) -> Alarms:
    principal = await principal_of(store, phone)
    async with store.read() as session:
        return await compute_alarms(session, principal, grids=principal.grid_ids, settings=settings, now=now)


def keys(alarms: Alarms, kind: str) -> list[str]:
    return [alarm.key for alarm in alarms.groups[kind]]


async def test_curtain_checks_past_the_deadline_and_not_closed_today_nothing_recorded_first(
    store: Store, settings: Settings, scene: Scene
) -> None:
    s = scene
    alarms = await alarms_of(store, settings, s.street)

    missed = alarms.groups["curtain_missed"]
    # A1 and D2 have nothing at all today (most urgent: first); A2 is started, without an outcome. B1 is
    # escalating (listed once, under escalations); D1 is closed.
    assert [a.key for a in missed] == [s.hh("a", 1), s.hh("d", 2), s.hh("a", 2)]
    assert [a.detail["nothing_yet"] for a in missed] == [True, True, False]
    assert [a.detail["deadline"] for a in missed] == ["09:00", "09:30", "09:00"]
    assert missed[0].record_id is None and missed[2].record_id == check_id(s.hh("a", 2), TODAY)
    assert [p.id for p in missed[0].people] == [s.alice.member_id]  # who the household is linked to


@pytest.mark.parametrize(
    ("clock", "expected"),
    [("08:59", []), ("09:01", ["a1", "a2"]), ("09:31", ["a1", "d2", "a2"])],
    ids=["before-every-deadline", "past-community-1s-09-00", "past-the-default-09-30"],
)
async def test_a_check_is_overdue_only_once_its_communitys_deadline_has_passed_in_shanghai_time(
    store: Store, settings: Settings, scene: Scene, clock: str, expected: list[str]
) -> None:
    alarms = await alarms_of(store, settings, scene.street, now=at(TODAY, clock))

    assert keys(alarms, "curtain_missed") == [scene.hh(name[0], int(name[1])) for name in expected]


async def test_escalations_in_progress_are_listed_today_first(
    store: Store, settings: Settings, scene: Scene
) -> None:
    s = scene
    alarms = await alarms_of(store, settings, s.dora)

    assert keys(alarms, "escalation") == [check_id(s.hh("b", 1), TODAY), check_id(s.hh("b", 2), day(-1))]
    assert [a.detail["today"] for a in alarms.groups["escalation"]] == [True, False]
    assert alarms.groups["escalation"][0].record_id == check_id(s.hh("b", 1), TODAY)


async def test_households_overdue_for_their_care_level_cadence(
    store: Store, settings: Settings, scene: Scene
) -> None:
    s = scene
    alarms = await alarms_of(store, settings, s.dora)

    # A1 orange (7 days) last seen 10 days ago: 3 days over; A2 yellow seen 3 days ago (the later 未遇
    # visit does not count): fine; B1, B2 never visited.
    assert keys(alarms, "visit_overdue") == [s.hh("a", 1), s.hh("b", 1), s.hh("b", 2)]
    first = alarms.groups["visit_overdue"][0]
    assert (first.detail["care_level"], first.detail["days_over"], first.detail["cadence"]) == (
        "orange",
        3,
        7,
    )
    assert alarms.groups["visit_overdue"][1].detail["last_visit"] is None


async def test_requests_past_a_123_limit_say_which_step_is_late_and_who_answers_for_it(
    store: Store, settings: Settings, scene: Scene
) -> None:
    s = scene
    alarms = await alarms_of(store, settings, s.dora)

    overdue = alarms.groups["request_overdue"]
    assert [a.key for a in overdue] == [s.requests["r1"], s.requests["r2"]]  # due 2 days ago, then ½ day ago
    assert [a.detail["waiting_for"] for a in overdue] == ["assign", "reply"]
    assert overdue[0].detail["late"] == {"days": 2, "hours": 0}
    assert overdue[1].detail["late"] == {"days": 0, "hours": 12}
    assert [p.id for p in overdue[1].people] == [s.alice.member_id]  # collector and assignee, once


async def test_a_mediation_follow_up_shows_only_to_those_who_may_read_the_mediation(
    store: Store, settings: Settings, scene: Scene
) -> None:
    s = scene
    coordinator = await alarms_of(store, settings, s.dora)
    leader = await alarms_of(store, settings, s.leader)

    assert keys(coordinator, "followup_due") == [s.mediations["due"]]
    assert coordinator.groups["followup_due"][0].detail == {"due_day": day(-1), "category": "family"}
    assert keys(leader, "followup_due") == [] and leader.totals["followup_due"] == 0


async def test_a_grid_leader_sees_the_alarms_of_their_grids_only(
    store: Store, settings: Settings, scene: Scene
) -> None:
    s = scene
    leader = await alarms_of(store, settings, s.leader)
    dora = await alarms_of(store, settings, s.dora)

    in_grid_a = {s.hh("a", 1), s.hh("a", 2)}
    assert {a.household_id for group in leader.groups.values() for a in group} <= in_grid_a
    assert keys(leader, "curtain_missed") == [s.hh("a", 1), s.hh("a", 2)]
    assert keys(leader, "escalation") == []
    assert s.hh("d", 2) not in keys(dora, "curtain_missed")  # community 2 is not Dora's
    assert leader.totals["request_overdue"] == 2


async def test_the_alarms_page_lists_each_alarm_with_links_to_the_record_and_the_member(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    s = scene
    page = await console_get(client, s.dora, "/console/alarms")

    assert page.status_code == 200, page.text[-2000:]
    html = page.text
    assert f'href="/console/records/{s.requests["r1"]}"' in html
    assert f'href="/console/members/{s.alice.member_id}"' in html
    assert set(marked_ids(html, "alarm", "data-kind")) >= {"escalation", "request_overdue", "followup_due"}
    assert 'data-live="/console/alarms/stream"' in html and "/console/static/alarms.js" in html
    grid_a = await console_get(client, s.dora, "/console/alarms", area=str(s.town.grid_a))
    assert s.hh("b", 1) not in grid_a.text and s.hh("a", 1) in grid_a.text
    member = await console_get(client, s.alice, "/console/alarms")
    assert member.status_code == 403
    stream = await client.get("/console/alarms/stream", headers=browser(s.alice))
    assert stream.status_code == 403
    assert (await client.get("/console/alarms/stream")).status_code == 401


# ---- the live stream -------------------------------------------------------------------------------------


def test_an_sse_event_puts_every_line_of_its_data_on_its_own_data_line() -> None:
    assert sse_event("alarms", "<p>一</p>\n<p>二</p>\r\n") == (
        "event: alarms\ndata: <p>一</p>\ndata: <p>二</p>\ndata: \n\n"
    )


async def test_a_stream_sends_retry_the_fragment_heartbeats_and_ends_at_its_lifetime(store: Store) -> None:
    watcher = LogWatcher(store, poll_seconds=0.05)
    limits = StreamLimits(poll_seconds=0.05, refresh_seconds=60, heartbeat_seconds=0.2, lifetime_seconds=0.7)
    renders = 0

    async def render() -> str:
        nonlocal renders
        renders += 1
        return "<p>a</p>"

    started = time.monotonic()
    events = [e async for e in event_stream(render, watcher=watcher, limits=limits, event="alarms")]
    await watcher.close()

    assert 0.6 <= time.monotonic() - started < 3
    assert events[0] == "retry: 2000\n\n" and events[1] == "event: alarms\ndata: <p>a</p>\n\n"
    assert set(events[2:]) == {": heartbeat\n\n"} and 2 <= len(events[2:]) <= 4
    assert renders == 1  # nothing changed in the log: nothing re-computed


async def test_a_stream_whose_session_ended_says_end_and_stops(store: Store) -> None:
    watcher = LogWatcher(store, poll_seconds=0.05)

    async def render() -> None:
        return None

    events = [e async for e in event_stream(render, watcher=watcher, limits=StreamLimits(), event="alarms")]
    await watcher.close()

    assert events == ["retry: 2000\n\n", "event: end\ndata: logged_out\n\n"]


class Stream:
    """A raw ASGI call of the stream endpoint: chunks as they are sent, and a disconnect when done."""

    def __init__(self, app: Starlette, path: str, cookie: str) -> None:
        self.chunks: asyncio.Queue[str] = asyncio.Queue()
        self.gone = asyncio.Event()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost"), (b"cookie", cookie.encode())],
            "client": ("127.0.0.1", 5000),
            "server": ("localhost", 80),
        }
        self.headers: dict[str, str] = {}
        self.task = asyncio.create_task(app(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message.get("body"):
            await self.chunks.put(message["body"].decode())

    async def next_event(self, name: str, within: float) -> str:
        """The data of the next ``event: name`` within ``within`` seconds."""
        async with asyncio.timeout(within):
            while True:
                chunk = await self.chunks.get()
                if chunk.startswith(f"event: {name}\n"):
                    return "\n".join(line[6:] for line in chunk.splitlines() if line.startswith("data: "))

    async def close(self) -> None:
        self.gone.set()
        await asyncio.wait_for(self.task, timeout=10)


@pytest.fixture
async def live_app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def test_a_record_a_phone_syncs_reaches_an_open_alarms_stream_within_2_seconds(
    live_app: Starlette, store: Store, settings: Settings
) -> None:
    town = await make_town(store)
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    dora = await person(store, settings, town, "刘芳", Role.COMMUNITY)
    household = town.households[town.grid_a][0]
    today = datetime.now(LOCAL_TZ).date().isoformat()
    stream = Stream(live_app, "/console/alarms/stream", browser(dora)["Cookie"])
    try:
        first = await stream.next_event("alarms", within=10)
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        assert check_id(household, today) not in first
        # No database connection is held while the stream waits between polls.
        assert store._read_engine.pool.checkedout() == 0

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=live_app), base_url="http://localhost"
        ) as http:
            ops = [curtain(alice, household, today), escalation(alice, household, today)]
            for op in ops:
                op["clock"] = alice.clock.now(int(time.time() * 1000))
            pushed_at = time.monotonic()
            await push_ok(http, alice, *ops)
        fragment = await stream.next_event("alarms", within=2)
        assert time.monotonic() - pushed_at < 2
        assert f'data-record-id="{check_id(household, today)}"' in fragment
        assert 'data-kind="escalation"' in fragment
    finally:
        await stream.close()


async def test_closing_the_watcher_ends_its_polling_with_no_connection_left_open(store: Store) -> None:
    # The app closes the watcher before it disposes the store: a poll cut off in the middle of opening a
    # connection would leave an unclosed connection behind.
    watcher = LogWatcher(store, poll_seconds=30)
    listener = watcher.listen()
    await asyncio.sleep(0.2)  # the first poll has run; the watcher now waits 30 s for the next

    started = time.monotonic()
    await watcher.close()

    assert time.monotonic() - started < 5, "close() cuts the pause between polls short"
    assert watcher._task is None and not listener.is_set()
    assert store._read_engine.pool.checkedout() == 0
