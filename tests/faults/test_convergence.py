"""Many devices, a bad network and two servers: everyone ends with the same records (issue 9, faults 2).

Seven script devices of four members (three members of one grid, two phones each, and the community
coordinator above it), each enrolled over HTTP with a device key (``"session": "token"``), record visits and
mediation notes in the same grid's households and sync with the real ``lianhu serve`` — on PostgreSQL two
server processes on one database, each request to either. Every device merges what it pulls with the
``sync`` library exactly as the PWA does (tests/faults/device.py). On the way:

- devices go offline for random stretches (and keep recording);
- phone clocks are off by up to ±23 h 50 min (inside the server's 24 h ``clock_ahead`` limit), until the
  first answer's ``server_time`` corrects them;
- requests are lost before they reach a server, answers are lost after the server committed, batches are
  sent twice, a device's batches (and the ops inside them) go out in random order, and old copies of pushes
  arrive again much later.

Then the network heals, every device syncs until its outbox is empty and pulls once more, and:

- the server holds exactly the union of every device's ops, each once, with the content it was made with;
- every record on the server is the fold of its ops, and SQLite's integrity check passes;
- every device holds exactly the server's records, equal byte for byte in canonical JSON.

``LIANHU_FAULT_SEED`` replays the schedule (which devices act at each tick, what each makes, which request
each fault hits); devices acting in the same tick still race each other for real.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import Store
from server.services.members import add_member
from sync import canonical_json, op_digest, parse_op, state_to_json, uuid7
from tests.faults.device import Network, SimDevice
from tests.faults.probe import fold_mismatches, integrity_problems, stored_ops, stored_records
from tests.faults.seeds import fault_seed, replay_hint
from tests.realserver import RealServer, exec_server, free_port, server_env
from tests.server.factories import DeviceKey, World, new_code

TICKS = 50
MAX_SKEW_MS = 86_400_000 - 10 * 60_000  # the server refuses clocks more than 24 h ahead of its own
ITEMS = ["policy", "safety", "care", "opinions"]


async def _enroll(http: httpx.AsyncClient, origin: str, code: str, label: str) -> tuple[str, str]:
    """Enroll a device key over HTTP as a script would; returns (device id, bearer token)."""
    start = await http.post("/api/enroll/start", json={"code": code})
    assert start.status_code == 200, start.text
    key = DeviceKey()
    challenge = start.json()["device_key"]["challenge"]
    body = {
        "ceremony": start.json()["ceremony"],
        "public_key": key.jwk,
        "signature": key.sign("lianhu-enroll", origin, challenge),
        "label": label,
        "shared": False,
        "session": "token",
    }
    enrolled = await http.post("/api/enroll/device-key", json=body)
    assert enrolled.status_code == 201, enrolled.text
    return str(enrolled.json()["device"]["id"]), str(enrolled.json()["token"])


def _change(device: SimDevice, households: list[str], mediators: list[int]) -> dict[str, Any]:
    """A random valid change: a new visit or mediation, or an edit, delete, restore or log entry."""
    rng = device.rng
    tag = f"{device.name} {rng.randrange(10**6)}"
    record_ids = sorted(device.states)
    if not record_ids or rng.random() < 0.3:
        new = {"record": uuid7(), "household": rng.choice(households), "kind": "set"}
        if rng.random() < 0.7:
            visit = {"date": "2026-11-21", "items": ["policy"], "notes": f"走访 {tag}", "request": None}
            return {**new, "type": "visit", "fields": visit}
        case = {
            "category": "neighbour",
            "mediators": mediators,
            "summary": f"调解 {tag}",
            "outcome": "ongoing",
        }
        return {**new, "type": "mediation", "fields": case}
    state = device.states[rng.choice(record_ids)]
    head = {"record": state.id, "type": state.type, "household": state.household}
    roll = rng.random()
    if roll < 0.12:
        return {**head, "kind": "restore" if state.is_deleted else "delete"}
    if state.type == "mediation" and roll < 0.5:
        entry = {"date": "2026-11-22", "notes": f"调解记录 {tag}"}
        return {**head, "kind": "append", "field": "sessions", "value": entry}
    if state.type == "mediation":
        outcome = rng.choice(["ongoing", "agreed", "not_agreed", None])
        return {**head, "kind": "set", "fields": {"summary": f"改 {tag}", "outcome": outcome}}
    items = rng.sample(ITEMS, rng.randint(0, 3))
    return {**head, "kind": "set", "fields": {"notes": f"补 {tag}", "items": items}}


@asynccontextmanager
async def _servers(database_url: str, tmp_path: Path) -> AsyncIterator[list[RealServer]]:
    """One ``lianhu serve`` on SQLite; two on one PostgreSQL database, behind one origin (as behind a
    proxy)."""
    count = 1 if database_url.startswith("sqlite") else 2
    ports = [free_port() for _ in range(count)]
    env = server_env(database_url, ports[0])  # one origin and one secret: cursors work on either process
    started = [exec_server(env, port, tmp_path / f"serve-{port}.log", wait=False) for port in ports]
    try:
        for server in started:
            server.wait_until_up()
        yield started
    finally:
        for server in started:
            server.stop()


async def test_devices_and_servers_converge_over_a_faulty_network(
    store: Store, world: World, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    seed = fault_seed()
    hint = replay_hint(seed, request)
    rng = random.Random(seed)
    started = time.monotonic()
    async with store.write() as session:
        wang = (await add_member(session, name="王芳", area_ids=[world.grid_a])).id
    members = [("李华", world.alice.member_id, 2), ("张伟", world.bob.member_id, 2), ("王芳", wang, 2),
               ("刘芳", world.dora.member_id, 1)]  # fmt: skip
    mediators = [world.alice.member_id, world.bob.member_id, wang]

    async with _servers(database_url, tmp_path) as servers, AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=server.url, timeout=60))
            for server in servers
        ]
        origin = servers[0].url
        devices: list[SimDevice] = []
        for name, member_id, phones in members:
            for n in range(phones):
                code = await new_code(store, member_id)
                replica, token = await _enroll(rng.choice(clients), origin, code, f"{name}的手机{n + 1}")
                skew = rng.randint(-MAX_SKEW_MS, MAX_SKEW_MS)
                devices.append(
                    SimDevice(
                        f"{name}{n + 1}", member_id, replica, token, skew, random.Random(rng.getrandbits(32))
                    )
                )
        nets = {
            device.name: Network(
                random.Random(rng.getrandbits(32)),
                clients,
                drop_request=0.1,
                drop_response=0.1,
                duplicate=0.1,
            )
            for device in devices
        }
        online = {device.name: rng.random() < 0.5 for device in devices}

        async def act(device: SimDevice) -> None:
            for _ in range(device.rng.choice([0, 1, 1, 2, 3])):
                device.write(_change(device, world.households_a, mediators))
            if online[device.name]:
                net = nets[device.name]
                await device.sync(
                    net, batch_ops=device.rng.choice([1, 3, 10, 100]), reorder=device.rng.random() < 0.4
                )
                if device.rng.random() < 0.15:
                    await net.deliver_stale(2)

        for _tick in range(TICKS):
            for device in devices:
                if rng.random() < 0.2:  # offline periods begin and end
                    online[device.name] = not online[device.name]
            acting = [device for device in devices if rng.random() < 0.7]
            await asyncio.gather(*(act(device) for device in acting))

        # The network heals: stale copies arrive, every device syncs until nothing is left to send.
        for net in nets.values():
            await net.deliver_stale(len(net.stale))
            net.drop_request = net.drop_response = net.duplicate = 0.0
        for _round in range(5):
            await asyncio.gather(
                *(device.sync(nets[device.name], batch_ops=100, reorder=False) for device in devices)
            )
            if not any(device.outbox for device in devices):
                break
        await asyncio.gather(*(device.pull(nets[device.name]) for device in devices))

    def failure(what: str, problems: list[str]) -> str:
        logs = "\n".join(server.log(3000) for server in servers)
        return f"{what} ({hint}):\n" + "\n".join(problems[:20]) + f"\n--- server logs ---\n{logs}"

    problems = [problem for device in devices for problem in device.problems]
    problems += [
        f"{device.name}: {len(device.outbox)} ops never settled" for device in devices if device.outbox
    ]
    assert not problems, failure("devices", problems)

    made = {op["id"]: op for device in devices for op in device.made}
    stored = await stored_ops(store)
    problems = [f"op {op_id} lost" for op_id in sorted(set(made) - set(stored))]
    problems += [
        f"op {op_id} on the server but made by no device" for op_id in sorted(set(stored) - set(made))
    ]
    problems += [f"op {op_id} stored {row.copies} times" for op_id, row in stored.items() if row.copies != 1]
    problems += [
        f"op {op_id} stored with other content"
        for op_id, row in stored.items()
        if op_id in made and row.digest != op_digest(parse_op(made[op_id]))
    ]
    problems += await fold_mismatches(store) + await integrity_problems(store)
    assert not problems, failure("server store", problems)

    records = await stored_records(store)
    for device in devices:
        local = {
            record_id: canonical_json(state_to_json(state)) for record_id, state in device.states.items()
        }
        differ = [f"{device.name}: record {rid} missing" for rid in sorted(set(records) - set(local))]
        differ += [
            f"{device.name}: record {rid} not on the server" for rid in sorted(set(local) - set(records))
        ]
        differ += [
            f"{device.name}: record {rid} differs"
            for rid in sorted(records)
            if rid in local and local[rid] != records[rid]
        ]
        assert not differ, failure("device and server differ", differ)

    faults: dict[str, int] = {}
    for net in nets.values():
        for what, count in net.counts.items():
            faults[what] = faults.get(what, 0) + count
    kinds = ("request lost", "answer lost", "sent twice", "stale copy delivered")
    assert all(faults.get(kind, 0) > 0 for kind in kinds), failure("faults did not happen", [str(faults)])
    print(
        f"convergence: {len(devices)} devices, {len(servers)} server(s), {len(made)} ops, "
        f"{len(records)} records, faults {faults} in {time.monotonic() - started:.1f} s ({hint})"
    )
