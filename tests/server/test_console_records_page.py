"""Page 2, a record: its state in words, its full history (who, device, device clock, receipt), writes that
lost shown as 被…覆盖, restricted records only for those allowed (404 otherwise), and the audit row."""

from __future__ import annotations

import re
from datetime import datetime

import httpx

from server.console.dates import OFFICE_TZ
from server.db import Store
from server.models import Role
from server.settings import Settings
from tests.server.console_records_support import clean, fill, make_scene, mediation, push, visit
from tests.server.console_support import console_get, events, marked_ids, person


def writes(page: str) -> list[tuple[str, str]]:
    """(field, status) of every write in the history, in order."""
    found = re.findall(r'data-testid="history-write" data-field="([a-z_]+)" data-status="([a-z]+)"', page)
    return [(name, status) for name, status in found]


async def test_a_visit_shows_its_fields_in_words_and_every_change_with_who_device_and_clocks(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    response = await console_get(client, scene.dora, f"/console/records/{r['visit_a_1101']}")

    assert response.status_code == 200
    page = response.text
    assert "走访日期" in page and "2026-11-01" in page
    assert "惠民政策宣讲、安全知识" in page  # value labels from the declaration, not the codes
    assert "徐明" in page and "徐明的手机" in page  # who, and the device's label
    assert marked_ids(page, "history-change", "data-kind") == ["set"]
    op_clock = re.search(r'data-testid="device-clock">([^<]+)<', page)
    assert op_clock is not None
    shown = datetime.strptime(op_clock.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=OFFICE_TZ)
    assert abs(shown.timestamp() - datetime.now(OFFICE_TZ).timestamp()) < 120
    assert writes(page) == [("date", "current"), ("items", "current"), ("notes", "current")]
    english = await console_get(client, scene.dora, f"/console/records/{r['visit_a_1101']}", lang="en")
    assert "Policies explained、Safety knowledge" in english.text and "History" in english.text


async def test_an_earlier_concurrent_write_that_arrived_late_is_shown_as_lost_to_the_newer_one(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    lin = await person(store, settings, scene.town, "林静", Role.MEMBER, [scene.town.grid_a])
    household = scene.town.households[scene.town.grid_a][0]
    created = visit(scene.xu, household, "2026-11-01")
    await push(client, scene.xu, created)
    # Xu edits the notes offline (an earlier clock); Lin edits them later and syncs first.
    offline = scene.xu.op(household=household, record=created["record"], fields={"notes": "血压偏高"})
    newer = lin.op(household=household, record=created["record"], fields={"notes": "已联系家属"})
    newer["clock"] = f"{int(offline['clock'][:15]) + 60_000:015d}-00000"
    await push(client, lin, newer)
    await push(client, scene.xu, offline)

    page = (await console_get(client, scene.dora, f"/console/records/{created['record']}")).text

    notes = [status for name, status in writes(page) if name == "notes"]
    # In merge order: the first notes (overwritten by Xu's own edit), Xu's offline edit (lost to Lin's,
    # which was on the server first), Lin's (current).
    assert notes == ["overwritten", "lost", "current"]
    assert "被 徐明 覆盖" in page
    assert "被 林静 覆盖：同步时已有更新的修改，未生效" in page
    assert "已联系家属" in page


async def test_a_curtain_check_shows_its_escalation_log_and_the_appended_step(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    page = (await console_get(client, scene.gail, f"/console/records/{r['curtain_a_1120']}")).text

    assert "处置经过" in page and "电话联系" in page and "无人应答" in page
    assert ("escalation", "appended") in writes(page)


async def test_a_restricted_record_is_a_404_to_a_grid_leader_who_is_not_its_mediator(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)
    household = scene.town.households[scene.town.grid_a][1]
    theirs = mediation(scene.xu, household, [scene.xu.member_id, scene.gail.member_id])
    await push(client, scene.xu, theirs)

    hidden = await console_get(client, scene.gail, f"/console/records/{r['mediation_a']}")
    named = await console_get(client, scene.gail, f"/console/records/{theirs['record']}")
    office = await console_get(client, scene.dora, f"/console/records/{r['mediation_a']}")
    unknown = await console_get(client, scene.dora, "/console/records/019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69")
    outside = await console_get(client, scene.dora, f"/console/records/{r['visit_d_1105']}")

    assert hidden.status_code == 404 and "张某" not in hidden.text
    assert named.status_code == 200 and "张某" in named.text
    assert office.status_code == 200 and "楼上漏水纠纷" in office.text
    assert unknown.status_code == outside.status_code == 404


async def test_every_view_of_a_records_details_is_audited_and_a_refused_one_is_not(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)

    await console_get(client, scene.dora, f"/console/records/{r['request_a']}")
    await console_get(client, scene.gail, f"/console/records/{r['mediation_a']}")  # 404

    viewed = await events(store, "record_viewed")
    assert [(e.member_id, e.detail) for e in viewed] == [
        (scene.dora.member_id, {"record": r["request_a"], "type": "request"})
    ]
    assert viewed[0].device_id == scene.dora.device_id


async def test_a_deleted_record_says_so_and_its_tombstone_is_in_the_history(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    scene = await make_scene(store, settings)
    r = await fill(client, scene)
    household = scene.town.households[scene.town.grid_b][0]
    await push(client, scene.yang, clean(scene.yang.op(household=household, record=r["visit_b_1110"],
                                                       kind="delete", fields=None)))  # fmt: skip

    page = (await console_get(client, scene.dora, f"/console/records/{r['visit_b_1110']}")).text
    listed = (await console_get(client, scene.dora, "/console/records", status="deleted")).text

    assert 'data-testid="record-deleted"' in page
    assert ("deleted", "current") in writes(page)
    assert marked_ids(listed, "record-row") == [r["visit_b_1110"]]
