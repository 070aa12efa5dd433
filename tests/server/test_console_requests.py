"""Page 3, the requests board: columns and 1-2-3 deadlines, 办结率 per area, and 转办 / 答复 recorded from the
console as ops through push — with the coordinator as author, their session's device as replica and a clock
that only grows — under push's own rules (a member cannot record 转办, not even through the console)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from server.app import CONTENT_SECURITY_POLICY
from server.console.services.console_ops import ConsoleOpRefused, limits_of
from server.console.services.request_steps import assign_entry, record_step
from server.db import Store
from server.models import AuditEvent, OpRow, RecordRow, RequestFacts, Role
from server.settings import Settings
from sync import decode_clock
from tests.server.console_support import Town, console_get, console_post, make_town, marked_ids, person
from tests.server.factories import Phone
from tests.server.work_support import DAY_MS, principal_of, push_ok, request, step


@dataclass
class Desk:
    town: Town
    alice: Phone  # member, grid A
    leader: Phone  # grid leader, grid A
    dora: Phone  # community 1: grids A and B
    grid_b: str  # a household of grid B
    grid_a: str  # a household of grid A


@pytest.fixture
async def desk(store: Store, settings: Settings) -> Desk:
    town = await make_town(store)
    return Desk(
        town,
        await person(store, settings, town, "李华", Role.MEMBER),
        await person(store, settings, town, "网格长王强", Role.GRID_LEADER),
        await person(store, settings, town, "刘芳", Role.COMMUNITY),
        town.households[town.grid_b][0],
        town.households[town.grid_a][0],
    )


def now_ms() -> int:
    return int(time.time() * 1000)


async def ops_of(store: Store, record: str) -> list[OpRow]:
    async with store.read() as session:
        return list(
            (await session.scalars(select(OpRow).where(OpRow.record_id == record).order_by(OpRow.seq))).all()
        )


async def test_a_coordinator_records_an_assignment_as_their_own_op_through_push(
    client: httpx.AsyncClient, store: Store, desk: Desk
) -> None:
    d = desk
    collected = request(d.alice, d.grid_a, now_ms() - 3_600_000)
    await push_ok(client, d.alice, collected)
    record = collected["record"]

    response = await console_post(
        client,
        d.dora,
        f"/console/requests/{record}/assign",
        {"to": "物业公司", "notes": "请两天内修好", "category": "repair"},
    )

    assert response.status_code == 303, response.text[-2000:]
    assert response.headers["location"] == f"/console/requests?category=repair&done=assigned#request-{record}"
    ops = await ops_of(store, record)
    assert len(ops) == 2
    op = ops[1]
    assert (op.author_id, op.replica, op.device_id, op.kind) == (
        d.dora.member_id,
        d.dora.device_id,
        d.dora.device_id,
        "append",
    )
    assert op.clock > ops[0].clock  # after what the coordinator saw on the record
    assert abs(decode_clock(op.clock)[0] - now_ms()) < 60_000  # the server's time
    async with store.read() as session:
        row = await session.get(RecordRow, record)
        facts = await session.get(RequestFacts, record)
    assert row is not None and facts is not None
    assert (row.stage, facts.assigned_to) == ("assign", "物业公司")


async def test_the_console_clock_only_grows_for_its_replica_and_follows_the_record(
    client: httpx.AsyncClient, store: Store, desk: Desk
) -> None:
    d = desk
    # The app on the coordinator's browser stamped an op an hour ahead (its clock ran fast), and the
    # collecting phone stamped the request two hours ahead: a console stamp must sort after both.
    ahead = request(d.dora, d.grid_b, now_ms() + 3_600_000)
    await push_ok(client, d.dora, ahead)
    collected = request(d.alice, d.grid_a, now_ms() + 2 * 3_600_000)
    await push_ok(client, d.alice, collected)

    assign = await console_post(
        client, d.dora, f"/console/requests/{collected['record']}/assign", {"to": "物业"}
    )
    reply = await console_post(
        client, d.dora, f"/console/requests/{collected['record']}/reply", {"notes": "已修"}
    )

    assert assign.status_code == reply.status_code == 303
    first, second = [
        op for op in await ops_of(store, collected["record"]) if op.author_id == d.dora.member_id
    ]
    assert collected["clock"] < first.clock < second.clock
    assert ahead["clock"] < first.clock
    async with store.read() as session:
        stage = await session.scalar(select(RecordRow.stage).where(RecordRow.id == collected["record"]))
    assert stage == "reply"  # 答复 sorts after the 转办 it answers


async def test_a_member_cannot_record_an_assignment_not_even_through_the_console(
    client: httpx.AsyncClient, store: Store, settings: Settings, desk: Desk
) -> None:
    d = desk
    collected = request(d.alice, d.grid_a, now_ms() - 60_000)
    await push_ok(client, d.alice, collected)

    page = await console_post(
        client, d.alice, f"/console/requests/{collected['record']}/assign", {"to": "物业"}
    )
    principal = await principal_of(store, d.alice)
    async with store.write() as session:
        written = await record_step(
            session,
            principal,
            collected["record"],
            assign_entry(to="物业", to_member=None, notes=""),
            limits=limits_of(settings),
            now_ms=now_ms(),
            client="test",
        )
    with pytest.raises(ConsoleOpRefused) as refused:
        written.check()

    assert page.status_code == 403 and 'data-testid="not-for-role"' in page.text
    assert (refused.value.push_code, refused.value.status_code) == ("step_not_allowed", 403)
    assert len(await ops_of(store, collected["record"])) == 1
    async with store.read() as session:  # push audited the refusal as it does a phone's
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.kind == "op_rejected", AuditEvent.member_id == d.alice.member_id)
        )
    assert audited == 1
    async with store.write() as session:  # the same step by a grid leader is accepted
        by_leader = await record_step(
            session,
            await principal_of(store, d.leader),
            collected["record"],
            assign_entry(to="物业", to_member=None, notes=""),
            limits=limits_of(settings),
            now_ms=now_ms(),
            client="test",
        )
    by_leader.check()
    assert len(await ops_of(store, collected["record"])) == 2  # a grid leader may


async def test_a_request_outside_the_coordinators_grids_is_not_found_and_nothing_is_stored(
    client: httpx.AsyncClient, store: Store, desk: Desk
) -> None:
    d = desk
    in_b = request(d.dora, d.grid_b, now_ms() - 60_000)
    await push_ok(client, d.dora, in_b)

    response = await console_post(
        client, d.leader, f"/console/requests/{in_b['record']}/assign", {"to": "物业"}
    )

    assert response.status_code == 404 and 'data-code="not_found"' in response.text
    assert len(await ops_of(store, in_b["record"])) == 1


@pytest.mark.parametrize(
    ("path", "form", "code"),
    [
        ("assign", {"notes": "无去向"}, "assign_needs_target"),
        ("reply", {"notes": ""}, "reply_needs_notes"),
        ("assign", {"to_member": "99999"}, "invalid_value"),
    ],
    ids=["assign-without-target", "reply-without-text", "assign-to-nobody"],
)
async def test_an_incomplete_step_is_refused_with_its_code_and_nothing_is_stored(
    client: httpx.AsyncClient, store: Store, desk: Desk, path: str, form: dict[str, str], code: str
) -> None:
    d = desk
    collected = request(d.alice, d.grid_a, now_ms() - 60_000)
    await push_ok(client, d.alice, collected)

    response = await console_post(client, d.dora, f"/console/requests/{collected['record']}/{path}", form)

    assert response.status_code == 400 and f'data-code="{code}"' in response.text, response.text[-1500:]
    assert len(await ops_of(store, collected["record"])) == 1


async def test_a_step_without_the_sessions_csrf_token_stores_nothing(
    client: httpx.AsyncClient, store: Store, desk: Desk
) -> None:
    d = desk
    collected = request(d.alice, d.grid_a, now_ms() - 60_000)
    await push_ok(client, d.alice, collected)

    response = await console_post(
        client, d.dora, f"/console/requests/{collected['record']}/assign", {"to": "物业"}, csrf=""
    )

    assert response.status_code == 403
    assert len(await ops_of(store, collected["record"])) == 1


# ---- the board -------------------------------------------------------------------------------------------


async def test_the_board_puts_each_request_in_its_stage_with_its_123_deadline_and_satisfaction(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    d = desk
    t = now_ms()
    fresh = request(d.alice, d.grid_a, t - 3_600_000)  # collect, due in 23 h
    late = request(d.alice, d.grid_a, t - 2 * DAY_MS, category="safety", urgency="urgent")  # collect, overdue
    assigned = request(d.dora, d.grid_b, t - DAY_MS)
    replied = request(d.alice, d.grid_a, t - DAY_MS)
    unhappy = request(d.alice, d.grid_a, t - DAY_MS)
    happy = request(d.alice, d.grid_a, t - DAY_MS)
    await push_ok(client, d.alice, fresh, late, replied, unhappy, happy)
    await push_ok(client, d.dora, assigned)
    steps = [step(d.dora, assigned["record"], d.grid_b, t - 20 * 3_600_000, step="assign", to="物业")]
    for r in (replied, unhappy, happy):
        steps += [
            step(d.dora, r["record"], d.grid_a, t - 20 * 3_600_000, step="assign", to="物业"),
            step(d.dora, r["record"], d.grid_a, t - 10 * 3_600_000, step="reply", notes="已修"),
        ]
    await push_ok(client, d.dora, *steps)
    await push_ok(
        client,
        d.alice,
        step(
            d.alice,
            unhappy["record"],
            d.grid_a,
            t - 3_600_000,
            step="return_visit",
            satisfaction="unsatisfied",
        ),
        step(
            d.alice, happy["record"], d.grid_a, t - 3_600_000, step="return_visit", satisfaction="basically"
        ),
    )

    page = await console_get(client, d.dora, "/console/requests")

    assert page.status_code == 200, page.text[-2000:]
    html = page.text
    columns = dict(
        zip(
            marked_ids(html, "request-column", "data-stage"),
            marked_ids(html, "request-column", "data-count"),
            strict=True,
        )
    )
    assert columns == {"collect": "2", "assign": "1", "reply": "1", "return_visit": "1", "closed": "1"}
    cards = dict(
        zip(marked_ids(html, "request-card"), marked_ids(html, "request-card", "data-stage"), strict=True)
    )
    assert cards[late["record"]] == "collect" and cards[happy["record"]] == "closed"
    assert cards[unhappy["record"]] == "return_visit" and cards[replied["record"]] == "reply"
    overdue = dict(
        zip(marked_ids(html, "request-card"), marked_ids(html, "request-card", "data-overdue"), strict=True)
    )
    assert overdue[late["record"]] == "true" and overdue[fresh["record"]] == "false"
    assert marked_ids(html, "request-card")[0] == late["record"]  # the most overdue first in its column
    assert marked_ids(html, "request-satisfaction", "data-value") == ["unsatisfied", "basically"]
    assert "紧急" in html and "安全隐患" in html
    # 转办 forms on the collected and unsatisfied cards, 答复 on the assigned one; each with the CSRF token.
    assert html.count('data-testid="assign-form"') == 3 and html.count('data-testid="reply-form"') == 1
    assert html.count('name="csrf_token"') >= 4


async def test_the_closure_rate_per_area_counts_closed_over_collected_and_rolls_up(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    d = desk
    t = now_ms()
    in_a = [request(d.alice, d.grid_a, t - DAY_MS) for _ in range(4)]
    in_b = [request(d.dora, d.grid_b, t - DAY_MS) for _ in range(2)]
    await push_ok(client, d.alice, *in_a)
    await push_ok(client, d.dora, *in_b)
    for r, household, phone in (
        (in_a[0], d.grid_a, d.alice),
        (in_a[1], d.grid_a, d.alice),
        (in_b[0], d.grid_b, d.dora),
    ):
        await push_ok(
            client,
            phone,
            step(phone, r["record"], household, t - 3_600_000, step="return_visit", satisfaction="satisfied"),
        )

    page = await console_get(client, d.dora, "/console/requests")
    leader = await console_get(client, d.leader, "/console/requests")

    def rates(html: str) -> dict[int, tuple[int, int]]:
        areas = marked_ids(html, "rate-row", "data-area")
        collected = marked_ids(html, "rate-row", "data-collected")
        closed = marked_ids(html, "rate-row", "data-closed")
        return {int(a): (int(n), int(c)) for a, n, c in zip(areas, collected, closed, strict=True)}

    town = d.town
    assert rates(page.text) == {town.community_1: (6, 3), town.grid_a: (4, 2), town.grid_b: (2, 1)}
    assert "50.0%" in page.text
    assert rates(leader.text) == {town.grid_a: (4, 2)}


async def test_the_board_filters_by_area_category_and_the_day_collected(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    d = desk
    t = now_ms()
    repair_a = request(d.alice, d.grid_a, t - DAY_MS, category="repair")
    safety_a = request(d.alice, d.grid_a, t - 5 * DAY_MS, category="safety")
    repair_b = request(d.dora, d.grid_b, t - DAY_MS, category="repair")
    await push_ok(client, d.alice, repair_a, safety_a)
    await push_ok(client, d.dora, repair_b)
    since = time.strftime("%Y-%m-%d", time.gmtime((t - 2 * DAY_MS) / 1000 + 8 * 3600))
    until = time.strftime("%Y-%m-%d", time.gmtime((t - 3 * DAY_MS) / 1000 + 8 * 3600))

    def shown(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text[-2000:]
        return set(marked_ids(response.text, "request-card"))

    everything = await console_get(client, d.dora, "/console/requests")
    grid_a = await console_get(client, d.dora, "/console/requests", area=str(d.town.grid_a))
    repairs = await console_get(client, d.dora, "/console/requests", category="repair")
    recent = await console_get(client, d.dora, "/console/requests", since=since)
    older = await console_get(client, d.dora, "/console/requests", until=until)
    foreign = await console_get(client, d.leader, "/console/requests", area=str(d.town.grid_b))

    assert shown(everything) == {repair_a["record"], safety_a["record"], repair_b["record"]}
    assert shown(grid_a) == {repair_a["record"], safety_a["record"]}
    assert shown(repairs) == {repair_a["record"], repair_b["record"]}
    assert shown(recent) == {repair_a["record"], repair_b["record"]}
    assert shown(older) == {safety_a["record"]}
    assert shown(foreign) == set()  # an area outside one's scope shows nothing, not everything


async def test_a_phone_number_in_a_requests_description_is_masked_on_the_board_for_offices(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    d = desk
    asked = request(d.alice, d.grid_a, now_ms() - 3_600_000)
    asked["fields"]["description"] = "楼道灯坏了，请回电 13812345678"
    await push_ok(client, d.alice, asked)

    office = await console_get(client, d.dora, "/console/requests")
    leader = await console_get(client, d.leader, "/console/requests")

    assert office.status_code == leader.status_code == 200
    assert asked["record"] in marked_ids(office.text, "request-card")
    # As on the records list (services/masking.py): offices see 138****5678, the grid leader the number.
    assert "13812345678" not in office.text and "138****5678" in office.text
    assert "13812345678" in leader.text


async def test_pages_3_to_5_carry_the_csp_and_no_inline_script_style_or_handlers(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    d = desk
    household = d.grid_a
    for path in (
        "/console/requests",
        "/console/alarms",
        "/console/indicators",
        "/console/households",
        f"/console/households/{household}",
    ):
        page = await console_get(client, d.dora, path)
        assert page.status_code == 200, (path, page.text[-1500:])
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.headers["cache-control"] == "no-store"
        html = page.text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path
        assert "<style" not in html and not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path
