from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from server.app import create_app
from server.auth.secrets import b64url_encode
from server.db import Store
from server.models import AuditEvent, Device, Session
from server.services.members import add_member, deactivate_member, move_member
from server.settings import Settings
from tests.server.conftest import ORIGIN
from tests.server.factories import DeviceKey, Phone, World, enroll_with_key, new_code, pin_verifier


async def login(
    client: httpx.AsyncClient,
    phone: Phone,
    *,
    key: DeviceKey | None = None,
    pin: str | None = None,
    **extra: Any,
) -> httpx.Response:
    """A device-key login as the app makes it; ``key`` signs instead of the phone's, ``pin`` is proven
    instead of the registered one; ``extra`` is merged into the body (``pin_proof=None`` drops it)."""
    start = await client.post("/api/login/start", json={"device": phone.device_id})
    assert start.status_code == 200, start.text
    body = start.json()
    assert body["method"] == "device_key"
    answer: dict[str, Any] = {
        **phone.login_answer(ORIGIN, body["device_key"]["challenge"], pin=pin),
        "ceremony": body["ceremony"],
        **extra,
    }
    if key is not None:
        answer["signature"] = key.sign("lianhu-login", ORIGIN, body["device_key"]["challenge"])
    return await client.post("/api/login/device-key", json={k: v for k, v in answer.items() if v is not None})


async def audit_kinds(store: Store, member_id: int) -> list[str]:
    async with store.read() as session:
        rows = await session.scalars(
            select(AuditEvent.kind).where(AuditEvent.member_id == member_id).order_by(AuditEvent.id)
        )
        return list(rows.all())


async def test_a_device_key_login_rotates_the_session(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    old_headers = world.alice.headers

    response = await login(client, world.alice)

    assert response.status_code == 200, response.text
    assert response.json()["member"]["id"] == world.alice.member_id
    assert (await client.get("/api/me")).status_code == 200  # the new cookie
    assert (await client.get("/api/me", headers=old_headers)).status_code == 401  # the old session ended
    assert "login" in await audit_kinds(store, world.alice.member_id)


async def test_a_signature_by_another_key_is_refused_and_audited(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    response = await login(client, world.alice, key=DeviceKey())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credential"
    assert "login_failed" in await audit_kinds(store, world.alice.member_id)


async def test_a_signature_over_another_challenge_is_refused(client: httpx.AsyncClient, world: World) -> None:
    first = (await client.post("/api/login/start", json={"device": world.alice.device_id})).json()
    second = (await client.post("/api/login/start", json={"device": world.alice.device_id})).json()
    signature = world.alice.key.sign("lianhu-login", ORIGIN, first["device_key"]["challenge"])

    response = await client.post(
        "/api/login/device-key", json={"ceremony": second["ceremony"], "signature": signature}
    )

    assert response.json()["error"]["code"] == "invalid_credential"


async def test_an_enrollment_signature_cannot_be_replayed_as_a_login(
    client: httpx.AsyncClient, world: World
) -> None:
    start = (await client.post("/api/login/start", json={"device": world.alice.device_id})).json()
    signature = world.alice.key.sign("lianhu-enroll", ORIGIN, start["device_key"]["challenge"])

    response = await client.post(
        "/api/login/device-key", json={"ceremony": start["ceremony"], "signature": signature}
    )

    assert response.json()["error"]["code"] == "invalid_credential"


async def test_a_ceremony_is_gone_after_its_first_use_even_when_that_failed(
    client: httpx.AsyncClient, world: World
) -> None:
    start = (await client.post("/api/login/start", json={"device": world.alice.device_id})).json()
    wrong = DeviceKey().sign("lianhu-login", ORIGIN, start["device_key"]["challenge"])
    right = world.alice.key.sign("lianhu-login", ORIGIN, start["device_key"]["challenge"])

    first = await client.post(
        "/api/login/device-key", json={"ceremony": start["ceremony"], "signature": wrong}
    )
    second = await client.post(
        "/api/login/device-key", json={"ceremony": start["ceremony"], "signature": right}
    )

    assert first.json()["error"]["code"] == "invalid_credential"
    assert second.json()["error"]["code"] == "invalid_ceremony"


async def test_an_expired_ceremony_is_refused(client: httpx.AsyncClient, store: Store, world: World) -> None:
    from server.models import Ceremony

    start = (await client.post("/api/login/start", json={"device": world.alice.device_id})).json()
    async with store.write() as session:
        await session.execute(
            update(Ceremony)
            .where(Ceremony.id == start["ceremony"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    signature = world.alice.key.sign("lianhu-login", ORIGIN, start["device_key"]["challenge"])

    response = await client.post(
        "/api/login/device-key", json={"ceremony": start["ceremony"], "signature": signature}
    )

    assert response.json()["error"]["code"] == "invalid_ceremony"


async def test_logout_ends_the_session_and_clears_the_cookie(client: httpx.AsyncClient, world: World) -> None:
    csrf = (await login(client, world.alice)).json()["csrf_token"]

    response = await client.post("/api/logout", headers={"X-CSRF-Token": csrf})

    assert response.status_code == 204
    assert (
        'lianhu_session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    )
    client.cookies.clear()
    assert (
        await client.get("/api/me", headers=world.alice.headers)
    ).status_code == 401  # rotated away earlier


async def test_a_cookie_change_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    csrf = (await login(client, world.alice)).json()["csrf_token"]
    op = world.alice.op(household=world.households_a[0])

    missing = await client.post("/api/sync/push", json={"ops": [op]})
    wrong = await client.post("/api/sync/push", json={"ops": [op]}, headers={"X-CSRF-Token": "x" * 32})
    right = await client.post("/api/sync/push", json={"ops": [op]}, headers={"X-CSRF-Token": csrf})

    assert missing.status_code == wrong.status_code == 403
    assert missing.json()["error"]["code"] == "csrf_failed"
    assert right.status_code == 200 and right.json()["results"][0]["status"] == "accepted"


async def test_a_request_from_another_origin_is_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/me", headers={**world.alice.headers, "Origin": "https://evil.example"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_origin"
    # The usual cause is 127.0.0.1 instead of localhost: the answer says which address to open, in Chinese.
    assert "http://localhost/" in response.json()["error"]["message_zh"]


async def test_too_many_login_attempts_get_429_with_retry_after(settings: Settings, world: World) -> None:
    app = create_app(replace(settings, auth_rate_per_minute=3))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            answers = [
                await http.post("/api/login/start", json={"device": world.alice.device_id}) for _ in range(4)
            ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60


@pytest.mark.parametrize(
    ("shared", "idle", "expired"),
    [
        (False, timedelta(minutes=479), False),
        (False, timedelta(minutes=481), True),
        (True, timedelta(minutes=14), False),
        (True, timedelta(minutes=16), True),
    ],
    ids=["personal-in-use", "personal-idle", "shared-in-use", "shared-idle"],
)
async def test_sessions_end_after_idling(
    client: httpx.AsyncClient, store: Store, world: World, shared: bool, idle: timedelta, expired: bool
) -> None:
    async with store.write() as session:
        await session.execute(update(Device).where(Device.id == world.alice.device_id).values(shared=shared))
    token = (await login(client, world.alice, session="token")).json()["token"]
    async with store.write() as session:
        await session.execute(
            update(Session)
            .where(Session.device_id == world.alice.device_id)
            .values(last_seen_at=datetime.now(UTC) - idle)
        )

    response = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == (401 if expired else 200)


async def test_sessions_end_at_their_absolute_limit_even_in_use(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    async with store.write() as session:
        await session.execute(
            update(Session)
            .where(Session.device_id == world.alice.device_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    assert (await client.get("/api/me", headers=world.alice.headers)).status_code == 401


async def test_shared_devices_get_shorter_sessions(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    async with store.write() as session:
        await session.execute(update(Device).where(Device.id == world.alice.device_id).values(shared=True))

    await login(client, world.alice)

    async with store.read() as session:
        live = await session.scalar(
            select(Session).where(Session.device_id == world.alice.device_id, Session.ended_at.is_(None))
        )
    assert live is not None
    assert live.idle_seconds == 15 * 60
    assert live.expires_at - live.created_at == timedelta(hours=12)


@pytest.mark.parametrize("event", ["lockout", "deactivate", "move"])
async def test_lockout_deactivation_and_moves_end_sessions(
    client: httpx.AsyncClient, store: Store, world: World, event: str
) -> None:
    now = datetime.now(UTC)
    if event == "lockout":
        assert (
            await client.post(
                "/api/device/lockout",
                json={"device": world.alice.device_id, "lockout_key": world.alice.lockout_key},
            )
        ).status_code == 204
    else:
        async with store.write() as session:
            if event == "deactivate":
                await deactivate_member(session, member_id=world.alice.member_id, now=now)
            else:
                await move_member(session, member_id=world.alice.member_id, area_ids=[world.grid_b], now=now)

    assert (await client.get("/api/me", headers=world.alice.headers)).status_code == 401
    start = await client.post("/api/login/start", json={"device": world.alice.device_id})
    assert start.status_code == (200 if event == "move" else 401)


async def test_a_lockout_report_for_an_unknown_device_tells_nothing(
    client: httpx.AsyncClient, store: Store
) -> None:
    response = await client.post("/api/device/lockout", json={"device": "nosuchdevice0000"})

    assert response.status_code == 204
    async with store.read() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0


async def test_a_lockout_report_without_the_devices_own_key_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    # Colleagues see Alice's device id in every op she pushes; that must not let them lock her out.
    response = await client.post(
        "/api/device/lockout", json={"device": world.alice.device_id, "lockout_key": "guess"}
    )

    assert response.status_code == 204
    assert (await client.get("/api/me", headers=world.alice.headers)).status_code == 200


# Limits that no member can turn against another (issue 9, hole 5) -------------------------------------


@asynccontextmanager
async def clients_from(settings: Settings, *addresses: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One app (one rate limiter), and an HTTP client for each client address."""
    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                    base_url="http://localhost",
                )
            )
            for address in addresses
        ]


async def test_a_colleague_flooding_logins_with_my_device_id_does_not_lock_me_out(
    settings: Settings, world: World
) -> None:
    # Bob sees Alice's device id in every op of hers he pulls. Whatever he sends with it, from his phone,
    # is counted against his address, never against her device.
    limited = replace(settings, auth_rate_per_minute=3)
    alices = {"device": world.alice.device_id}
    async with clients_from(limited, "10.0.0.2", "10.0.0.1") as (bob, alice):
        flood = [
            await bob.post("/api/login/start", json=alices),
            await bob.post("/api/device/lockout", json={**alices, "lockout_key": "guess"}),
            await bob.post("/api/login/start", json=alices),
            await bob.post("/api/login/start", json=alices),  # his address has had its three
        ]

        mine = await login(alice, world.alice)

    assert [r.status_code for r in flood] == [200, 204, 200, 429]
    assert mine.status_code == 200, mine.text


async def test_logins_that_prove_the_device_key_count_against_the_device(
    settings: Settings, world: World
) -> None:
    addresses = [f"10.0.1.{n}" for n in range(4)]
    async with clients_from(replace(settings, auth_rate_per_minute=3), *addresses) as clients:
        answers = [await login(client, world.alice) for client in clients]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"


# The PIN is part of a device-key login (issue 9, hole 6) ---------------------------------------------


async def device_row(store: Store, device_id: str) -> Device:
    async with store.read() as session:
        device = await session.get(Device, device_id)
    assert device is not None
    return device


async def test_a_signed_login_without_the_pin_is_refused_and_not_counted(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    response = await login(client, world.alice, pin_proof=None)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "pin_required"
    assert (await device_row(store, world.alice.device_id)).failed_pins == 0


async def test_a_signed_login_with_a_wrong_pin_is_refused_and_counted(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    response = await login(client, world.alice, pin="000000")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_pin"
    assert response.json()["error"]["attempts_left"] == 4
    assert (await device_row(store, world.alice.device_id)).failed_pins == 1
    assert "pin_failed" in await audit_kinds(store, world.alice.member_id)
    assert (await client.get("/api/me", headers=world.alice.headers)).status_code == 200  # nothing ended


async def test_five_wrong_pins_lock_the_device_on_the_server(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    answers = [await login(client, world.alice, pin=f"13579{n}") for n in range(5)]

    assert [a.json()["error"]["code"] for a in answers] == ["wrong_pin"] * 4 + ["pin_locked"]
    assert [a.json()["error"].get("attempts_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert answers[-1].status_code == 401
    assert (await device_row(store, world.alice.device_id)).locked_at is not None
    assert (await client.get("/api/me", headers=world.alice.headers)).status_code == 401  # sessions ended
    again = await client.post("/api/login/start", json={"device": world.alice.device_id})
    assert again.status_code == 401  # not even the right PIN helps now: enroll again
    assert (await audit_kinds(store, world.alice.member_id)).count("pin_lockout") == 1


async def test_the_right_pin_starts_the_count_again(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    for _ in range(4):
        await login(client, world.alice, pin="000000")
    assert (await login(client, world.alice)).status_code == 200
    answers = [await login(client, world.alice, pin="000000") for _ in range(4)]

    assert [a.json()["error"]["attempts_left"] for a in answers] == [4, 3, 2, 1]
    assert (await device_row(store, world.alice.device_id)).locked_at is None


async def test_a_bad_signature_never_counts_as_a_wrong_pin(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    # A colleague knows Alice's device id but not her key: wrong PINs under his signature must not lock her.
    answers = [await login(client, world.alice, key=world.bob.key, pin="000000") for _ in range(6)]

    assert {a.json()["error"]["code"] for a in answers} == {"invalid_credential"}
    assert (await device_row(store, world.alice.device_id)).failed_pins == 0
    assert (await login(client, world.alice)).status_code == 200


async def test_a_device_key_without_a_registered_pin_cannot_log_in(
    client: httpx.AsyncClient, store: Store, settings: Settings, world: World
) -> None:
    async with store.write() as session:
        member = await add_member(session, name="赵敏", area_ids=[world.grid_a])
    key = DeviceKey()
    enrolled = await enroll_with_key(store, settings, await new_code(store, member.id), key)
    phone = Phone(member.id, enrolled.device.id, enrolled.token, key, enrolled.lockout_key)

    response = await login(client, phone)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_the_pin_verifier_is_registered_once(
    client: httpx.AsyncClient, store: Store, settings: Settings, world: World
) -> None:
    async with store.write() as session:
        member = await add_member(session, name="赵敏", area_ids=[world.grid_a])
    key = DeviceKey()
    enrolled = await enroll_with_key(store, settings, await new_code(store, member.id), key)
    headers = {"Authorization": f"Bearer {enrolled.token}"}
    mine, other = b64url_encode(pin_verifier("258036")), b64url_encode(pin_verifier("147025"))

    first = await client.post("/api/device/pin", json={"verifier": mine}, headers=headers)
    repeated = await client.post("/api/device/pin", json={"verifier": mine}, headers=headers)
    replaced = await client.post("/api/device/pin", json={"verifier": other}, headers=headers)
    short = await client.post("/api/device/pin", json={"verifier": mine[:20]}, headers=headers)

    assert (first.status_code, repeated.status_code) == (204, 204)
    assert (replaced.status_code, replaced.json()["error"]["code"]) == (409, "pin_already_set")
    assert (short.status_code, short.json()["error"]["code"]) == (400, "invalid_request")
    phone = Phone(member.id, enrolled.device.id, enrolled.token, key, enrolled.lockout_key, pin_verifier())
    assert (await login(client, phone)).status_code == 200
    assert "pin_registered" in await audit_kinds(store, member.id)


async def test_registering_a_pin_needs_the_devices_session(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/api/device/pin", json={"verifier": b64url_encode(pin_verifier())})

    assert response.status_code == 401
