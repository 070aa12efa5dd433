"""kill -9 the real server at random moments while several devices push (issue 9, faults 1).

Each round: a fresh ``lianhu serve`` on the test database; four devices make a few ops each and push their
pending ops in small batches, over and over, concurrently; after a random delay the server gets SIGKILL —
between requests, while a batch is being read, checked, written or committed, or while its answer is on
the way. Then, with a new server on the same database:

- every op whose push got an answer (``accepted`` or ``duplicate``) is stored, exactly once, with the
  content that was pushed (the durability promise of docs/sync-protocol.md §4);
- the store is intact (SQLite ``PRAGMA integrity_check``) and each record touched this round equals the
  fold of its ops.

Ops whose push got no answer stay pending and go out again in the next round, so after the last round the
devices retry everything, and the server must hold exactly the union of all outboxes, every record the fold
of its ops. A run replays with ``LIANHU_FAULT_SEED`` (tests/faults/seeds.py); ``LIANHU_FAULT_ROUNDS``
changes the number of rounds (default 50).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import Store
from sync import op_digest, parse_op
from tests.faults.probe import fold_mismatches, integrity_problems, stored_ops
from tests.faults.seeds import fault_seed, replay_hint
from tests.realserver import Launcher, RealServer, free_port, server_env
from tests.server.factories import Phone, World

ROUNDS = int(os.environ.get("LIANHU_FAULT_ROUNDS", "50"))
BATCH = 4  # ops per push: small, so a round holds many commits for the kill to land between or inside
# The kill comes after 0..KILL_AFTER_MAX answered pushes, plus 0..KILL_JITTER_S: counted in answers rather
# than seconds, so it lands among pushes on a fast machine and on a loaded one alike.
KILL_AFTER_MAX = 4
KILL_JITTER_S = 0.04


@dataclass
class Device:
    """A phone's outbox, as the PWA keeps it: ops in creation order, dropped once the server answered."""

    phone: Phone
    households: list[str]
    rng: random.Random
    outbox: list[dict[str, Any]] = field(default_factory=list)  # every op ever made, in order
    acked: set[str] = field(default_factory=set)  # ops the server answered accepted or duplicate
    records: list[str] = field(default_factory=list)  # records this device created
    deleted: set[str] = field(default_factory=set)

    def make_ops(self, count: int) -> None:
        for _ in range(count):
            roll = self.rng.random()
            if not self.records or roll < 0.5:
                op = self.phone.op(household=self.rng.choice(self.households[:2]))
                op["fields"]["notes"] = f"第{len(self.outbox)}次走访 {self.rng.randrange(10**6)}"
                self.records.append(op["record"])
            else:
                record = self.rng.choice(self.records)
                household = next(o["household"] for o in self.outbox if o["record"] == record)
                if roll < 0.85:
                    op = self.phone.op(
                        household=household,
                        record=record,
                        fields={"notes": f"补充 {self.rng.randrange(10**6)}"},
                    )
                else:
                    kind = "restore" if record in self.deleted else "delete"
                    op = self.phone.op(household=household, record=record, kind=kind)
                    del op["fields"]
                    (self.deleted.discard if kind == "restore" else self.deleted.add)(record)
            self.outbox.append(op)

    def pending(self) -> list[dict[str, Any]]:
        return [op for op in self.outbox if op["id"] not in self.acked]


@dataclass
class RoundLog:
    kill_after: int  # answered pushes before the kill is armed
    armed: asyncio.Event = field(default_factory=asyncio.Event)
    answered: int = 0
    cut: int = 0
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kill_after == 0:
            self.armed.set()


async def _push_until_killed(http: httpx.AsyncClient, device: Device, log: RoundLog) -> None:
    """Keep pushing (new ops each time) until the server stops answering."""
    while True:
        device.make_ops(device.rng.randint(1, 2))
        batch = device.pending()[:BATCH]
        try:
            response = await http.post("/api/sync/push", json={"ops": batch}, headers=device.phone.headers)
        except httpx.ConnectError:
            return  # the server was gone before this push reached it
        except httpx.TransportError:
            log.cut += 1  # sent, and the server died before answering
            return
        if response.status_code != 200:
            log.problems.append(f"push answered {response.status_code}: {response.text[:300]}")
            return
        log.answered += 1
        if log.answered >= log.kill_after:
            log.armed.set()
        results = response.json()["results"]
        for op, result in zip(batch, results, strict=True):
            if result["id"] != op["id"]:
                log.problems.append(f"result {result} answers op {op['id']}")
            elif result["status"] in ("accepted", "duplicate"):
                device.acked.add(op["id"])
            else:
                log.problems.append(f"valid op {op['id']} rejected: {result}")


async def _check_acknowledged(store: Store, devices: list[Device]) -> list[str]:
    acked = {op["id"]: op for device in devices for op in device.outbox if op["id"] in device.acked}
    stored = await stored_ops(store, set(acked))
    problems = []
    for op_id, op in acked.items():
        row = stored.get(op_id)
        if row is None:
            problems.append(f"acknowledged op {op_id} is not stored")
        elif row.copies != 1:
            problems.append(f"acknowledged op {op_id} is stored {row.copies} times")
        elif row.digest != op_digest(parse_op(op)):
            problems.append(f"acknowledged op {op_id} is stored with other content")
    return problems


async def test_kill_9_during_concurrent_pushes_loses_no_acknowledged_op(
    launcher: Launcher,
    store: Store,
    world: World,
    database_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    seed = fault_seed()
    hint = replay_hint(seed, request)
    rng = random.Random(seed)
    phones = [world.alice, world.bob, world.carol, world.dora]
    grids = [
        world.households_a,
        world.households_a,
        world.households_b,
        world.households_a + world.households_b,
    ]
    devices = [
        Device(phone, households, random.Random(rng.randrange(2**32)))
        for phone, households in zip(phones, grids, strict=True)
    ]
    log_path = tmp_path / "serve.log"
    started = time.monotonic()
    server: RealServer | None = None
    answered = cut = 0

    def failure(what: str, problems: list[str]) -> str:
        shown = "\n".join(problems[:20])
        tail = server.log(4000) if server else ""
        return f"{what} ({hint}):\n{shown}\n--- server log ---\n{tail}"

    for round_no in range(ROUNDS):
        port = free_port()
        server = launcher.spawn(server_env(database_url, port), port, log_path)
        log = RoundLog(kill_after=rng.randint(0, KILL_AFTER_MAX))
        jitter = rng.uniform(0, KILL_JITTER_S)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            pushers = [asyncio.create_task(_push_until_killed(http, device, log)) for device in devices]
            try:
                await asyncio.wait_for(log.armed.wait(), timeout=60)
            except TimeoutError:
                log.problems.append(f"only {log.answered} of {log.kill_after} pushes answered in 60 s")
            await asyncio.sleep(jitter)
            server.kill9()
            await asyncio.gather(*pushers)
        answered, cut = answered + log.answered, cut + log.cut
        assert not log.problems, failure(f"round {round_no}: unexpected answers", log.problems)
        # The store as the next server will find it (it reads nothing else at start).
        problems = await _check_acknowledged(store, devices)
        assert not problems, failure(f"round {round_no}: after kill -9", problems)
        problems = await integrity_problems(store)
        assert not problems, failure(f"round {round_no}: integrity_check", problems)
        touched = {op["record"] for device in devices for op in device.outbox[-12:]}
        problems = await fold_mismatches(store, touched)
        assert not problems, failure(f"round {round_no}: records vs ops", problems)

    # The devices come back and retry everything that never got an answer.
    port = free_port()
    server = launcher.spawn(server_env(database_url, port), port, log_path)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for device in devices:
                while pending := device.pending():
                    response = await http.post(
                        "/api/sync/push", json={"ops": pending[:100]}, headers=device.phone.headers
                    )
                    assert response.status_code == 200, failure("retry", [response.text])
                    results = response.json()["results"]
                    assert all(r["status"] in ("accepted", "duplicate") for r in results), failure(
                        "retry", [str(r) for r in results if r["status"] == "rejected"]
                    )
                    device.acked |= {op["id"] for op in pending[:100]}
    finally:
        server.stop()

    union = {op["id"]: op for device in devices for op in device.outbox}
    stored = await stored_ops(store)
    missing = sorted(set(union) - set(stored))
    extra = sorted(set(stored) - set(union))
    assert not missing and not extra, failure(
        "server does not hold exactly the union of the outboxes",
        [f"missing {op_id}" for op_id in missing] + [f"unexpected {op_id}" for op_id in extra],
    )
    problems = [f"{op_id} stored {row.copies} times" for op_id, row in stored.items() if row.copies != 1]
    problems += [
        f"{op_id} stored with other content"
        for op_id, row in stored.items()
        if row.digest != op_digest(parse_op(union[op_id]))
    ]
    problems += await integrity_problems(store)
    problems += await fold_mismatches(store)
    assert not problems, failure("final store", problems)
    # The kill must really have landed during traffic, not only between rounds.
    assert answered >= ROUNDS // 2 and cut >= ROUNDS // 2, failure(
        "too few kills landed during pushes", [f"{answered} answered pushes, {cut} cut off"]
    )
    print(
        f"kill -9: {ROUNDS} rounds, {len(union)} ops, {answered} answered and {cut} cut-off pushes "
        f"in {time.monotonic() - started:.1f} s ({hint})"
    )
