"""Page 6, devices: enrollment and recovery links with their QR code, a member's devices, revoking one,
and PIN lockouts waiting for recovery."""

from __future__ import annotations

import re

import httpx

from server.db import Store
from server.models import Role
from server.settings import Settings
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
    person,
    refused,
)
from tests.server.factories import Phone

town, dora = console_support.town, console_support.dora  # the shared fixtures


# ---- enrollment links, devices, lockouts -----------------------------------------------------------------


async def test_an_enrollment_link_is_shown_once_with_its_qr_code_and_enrolls_the_member(
    client: httpx.AsyncClient, store: Store, town: Town, dora: Phone
) -> None:
    new = await member(store, "孟新", Role.MEMBER, [town.grid_a])

    response = await console_post(client, dora, f"/console/members/{new}/codes", {"purpose": "enroll"})

    assert response.status_code == 200
    (code,) = re.findall(r'data-testid="code-value">([A-Z0-9-]+)<', response.text)
    assert f'href="http://localhost/#enroll={code}"' in response.text
    assert re.search(r'<svg role="img" viewBox="0 0 \d+ \d+" class="qr"><title>' + code, response.text)
    start = await client.post("/api/enroll/start", json={"code": code})
    assert start.status_code == 200 and start.json()["member"]["id"] == new
    (event,) = await events(store, "code_issued")
    assert (event.member_id, event.detail) == (new, {"purpose": "enroll", "by": dora.member_id})


async def test_a_members_devices_show_how_they_log_in_and_when_they_were_last_used(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    await client.get("/api/me", headers=alice.headers)

    page = await console_get(client, dora, f"/console/members/{alice.member_id}")

    assert marked_ids(page.text, "device-row") == [alice.device_id]
    assert marked_ids(page.text, "device-row", "data-status") == ["active"]
    assert "李华的手机" in page.text and "本机密钥" in page.text


async def test_revoking_a_device_ends_its_sessions_for_good(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    outsider = await person(store, settings, town, "周红", Role.MEMBER, [town.grid_d])

    response = await console_post(client, dora, f"/console/devices/{alice.device_id}/revoke")
    again = await console_post(client, dora, f"/console/devices/{alice.device_id}/revoke")
    hidden = await console_post(client, dora, f"/console/devices/{outsider.device_id}/revoke")
    unknown = await console_post(client, dora, "/console/devices/nosuchdevice/revoke")

    done(response, alice.member_id, "revoked")
    refused(again, 400, "already_revoked")
    refused(hidden, 404, "not_found")
    refused(unknown, 404, "not_found")
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 401
    assert (await client.post("/api/login/start", json={"device": alice.device_id})).status_code == 401
    assert (await client.get("/api/me", headers=outsider.headers)).status_code == 200
    (event,) = await events(store, "device_revoked")
    assert (event.device_id, event.detail) == (alice.device_id, {"by": dora.member_id})


async def test_a_pin_lockout_is_shown_and_one_click_issues_the_recovery_link(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    await client.post(
        "/api/device/lockout", json={"device": alice.device_id, "lockout_key": alice.lockout_key}
    )

    home = await console_get(client, dora, "/console/")
    page = await console_get(client, dora, f"/console/members/{alice.member_id}")
    recovery = await console_post(
        client, dora, f"/console/members/{alice.member_id}/codes", {"purpose": "recovery"}
    )

    assert has_marked(home.text, "lockout") and f"/console/members/{alice.member_id}#devices" in home.text
    assert has_marked(page.text, "lockout-notice") and has_marked(page.text, "issue-recovery")
    assert marked_ids(page.text, "device-row", "data-status") == ["locked"]
    assert "PIN 码锁定" in page.text, "the lockout from the audit log"
    assert (
        recovery.status_code == 200 and "恢复登记码" in recovery.text and "被锁定的那部手机" in recovery.text
    )
    (event,) = await events(store, "code_issued")
    assert event.detail == {"purpose": "recovery", "by": dora.member_id}


async def test_the_lockout_is_gone_once_the_member_enrolled_again_on_the_locked_phone(
    client: httpx.AsyncClient, store: Store, settings: Settings, town: Town, dora: Phone
) -> None:
    from tests.server.factories import DeviceKey, enroll_with_key, new_code

    alice = await person(store, settings, town, "李华", Role.MEMBER)
    await client.post(
        "/api/device/lockout", json={"device": alice.device_id, "lockout_key": alice.lockout_key}
    )

    await enroll_with_key(store, settings, await new_code(store, alice.member_id), DeviceKey(),
                          previous_device=alice.device_id)  # fmt: skip

    page = await console_get(client, dora, f"/console/members/{alice.member_id}")
    assert not has_marked(page.text, "lockout-notice")
    assert sorted(marked_ids(page.text, "device-row", "data-status")) == ["active", "revoked"]
