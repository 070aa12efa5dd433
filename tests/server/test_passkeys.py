"""Every relying-party check of the passkey ceremonies, with a software authenticator breaking one thing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.db import Store
from server.models import AuditEvent, Device
from server.services.members import add_member
from tests.server.conftest import ORIGIN
from tests.server.factories import World, new_code
from tests.server.softauthn import SoftAuthenticator


async def start_enrollment(client: httpx.AsyncClient, store: Store, world: World) -> dict[str, Any]:
    async with store.write() as session:
        member = await add_member(session, name="孙丽", area_ids=[world.grid_a])
    response = await client.post("/api/enroll/start", json={"code": await new_code(store, member.id)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def enrolled(
    client: httpx.AsyncClient, store: Store, world: World, authenticator: SoftAuthenticator
) -> str:
    start = await start_enrollment(client, store, world)
    credential = authenticator.register(start["passkey"])
    response = await client.post(
        "/api/enroll/passkey",
        json={"ceremony": start["ceremony"], "credential": credential, "session": "token"},
    )
    assert response.status_code == 201, response.text
    device_id: str = response.json()["device"]["id"]
    return device_id


async def passkey_login(
    client: httpx.AsyncClient, device_id: str, authenticator: SoftAuthenticator, **breakage: Any
) -> httpx.Response:
    start = (await client.post("/api/login/start", json={"device": device_id})).json()
    assert start["method"] == "passkey"
    assert start["passkey"]["userVerification"] == "required"
    credential = authenticator.assert_(start["passkey"], **breakage)
    return await client.post(
        "/api/login/passkey", json={"ceremony": start["ceremony"], "credential": credential}
    )


@pytest.mark.parametrize(
    "breakage",
    [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"uv": False}],
    ids=["wrong-origin", "wrong-rp-id", "no-user-verification"],
)
async def test_registration_is_refused_when_a_check_fails(
    client: httpx.AsyncClient, store: Store, world: World, breakage: dict[str, Any]
) -> None:
    start = await start_enrollment(client, store, world)
    credential = SoftAuthenticator(ORIGIN).register(start["passkey"], **breakage)

    response = await client.post(
        "/api/enroll/passkey", json={"ceremony": start["ceremony"], "credential": credential}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credential"


async def test_a_registration_challenge_cannot_be_answered_twice(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    start = await start_enrollment(client, store, world)
    bad = SoftAuthenticator(ORIGIN).register(start["passkey"], uv=False)
    good = SoftAuthenticator(ORIGIN).register(start["passkey"])

    first = await client.post("/api/enroll/passkey", json={"ceremony": start["ceremony"], "credential": bad})
    second = await client.post(
        "/api/enroll/passkey", json={"ceremony": start["ceremony"], "credential": good}
    )

    assert first.json()["error"]["code"] == "invalid_credential"
    assert second.json()["error"]["code"] == "invalid_ceremony"


async def test_a_registration_answer_for_another_challenge_is_refused(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    start = await start_enrollment(client, store, world)
    other = await start_enrollment(client, store, world)
    credential = SoftAuthenticator(ORIGIN).register(other["passkey"])

    response = await client.post(
        "/api/enroll/passkey", json={"ceremony": start["ceremony"], "credential": credential}
    )

    assert response.json()["error"]["code"] == "invalid_credential"


async def test_a_passkey_logs_in_and_its_counter_is_kept(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    device_id = await enrolled(client, store, world, authenticator)

    first = await passkey_login(client, device_id, authenticator)
    second = await passkey_login(client, device_id, authenticator)

    assert first.status_code == second.status_code == 200
    async with store.read() as session:
        device = await session.get(Device, device_id)
    assert device is not None and device.sign_count == 2


async def test_a_counter_that_goes_back_is_refused_and_audited(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    device_id = await enrolled(client, store, world, authenticator)
    assert (await passkey_login(client, device_id, authenticator, counter=5)).status_code == 200

    cloned = await passkey_login(client, device_id, authenticator, counter=5)

    assert cloned.status_code == 400 and cloned.json()["error"]["code"] == "invalid_credential"
    async with store.read() as session:
        kinds = (
            await session.scalars(select(AuditEvent.kind).where(AuditEvent.device_id == device_id))
        ).all()
    assert "counter_regression" in kinds


async def test_authenticators_that_always_report_zero_are_accepted(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    authenticator = SoftAuthenticator(ORIGIN, counts=False)
    device_id = await enrolled(client, store, world, authenticator)

    answers = [await passkey_login(client, device_id, authenticator) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]


@pytest.mark.parametrize(
    "breakage",
    [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"uv": False}],
    ids=["wrong-origin", "wrong-rp-id", "no-user-verification"],
)
async def test_login_is_refused_when_a_check_fails(
    client: httpx.AsyncClient, store: Store, world: World, breakage: dict[str, Any]
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    device_id = await enrolled(client, store, world, authenticator)

    response = await passkey_login(client, device_id, authenticator, **breakage)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credential"


async def test_an_assertion_by_another_passkey_is_refused(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    device_id = await enrolled(client, store, world, SoftAuthenticator(ORIGIN))

    response = await passkey_login(client, device_id, SoftAuthenticator(ORIGIN))

    assert response.json()["error"]["code"] == "invalid_credential"
