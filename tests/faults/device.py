"""A script device that syncs the way the PWA does (pwa/js/outbox.js, pwa/js/sync-client.js), in Python.

- Writing: every change is one op stamped by the device's hybrid clock at ``local time + server offset``,
  applied at once to the local record (with the member as author, as the server will attach it) and put in
  the outbox.
- Push: pending ops in batches; ``accepted`` and ``duplicate`` leave the outbox; ``not_created_yet`` stays
  pending for a later round; any other rejection is final (here: a failure, since the devices only make
  valid ops). A transport error ends the round with the unanswered ops untouched.
- Pull: pages after the stored cursor until ``more`` is false; each op merged with ``sync.apply_op`` and its
  clock observed (an op or clock the merge refuses is skipped, as the PWA does); the cursor is kept only once
  the page is applied.
- Every answer's ``server_time`` resets the clock offset.

Faults are injected at the edge of the device's HTTP calls by a :class:`Network` the test controls: a
request that never leaves, an answer lost after the server committed, a batch sent twice, batches sent in
another order, and old batches delivered again much later.
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync import ClockError, HybridClock, MergeError, RecordState, apply_op, parse_op, uuid7

__all__ = ["Lost", "Network", "SimDevice"]

DONE = {"accepted", "duplicate"}
RETRY = {"not_created_yet"}


class Lost(Exception):
    """The device saw a network error: the request or its answer did not arrive."""


@dataclass
class Network:
    """The faults between devices and servers, drawn from one seeded generator."""

    rng: random.Random
    servers: list[httpx.AsyncClient]
    drop_request: float = 0.0
    drop_response: float = 0.0
    duplicate: float = 0.0
    stale: list[tuple[httpx.AsyncClient, str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    async def call(
        self, method: str, path: str, *, headers: dict[str, str], body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        server = self.rng.choice(self.servers)  # any of the server processes behind one origin
        if self.rng.random() < self.drop_request:
            self._count("request lost")
            raise Lost(f"{method} {path}: request lost")
        if body is not None and self.rng.random() < self.duplicate:
            self._count("sent twice")
            await self._send(self.rng.choice(self.servers), method, path, headers, body)
        if body is not None and self.rng.random() < 0.1:
            self.stale.append((server, path, body, headers))  # a copy the network delivers much later
        answer = await self._send(server, method, path, headers, body)
        if self.rng.random() < self.drop_response:
            self._count("answer lost")
            raise Lost(f"{method} {path}: answer lost after the server handled it")
        return answer

    async def deliver_stale(self, count: int) -> None:
        """Old copies of pushes, delivered now (after newer batches of the same device)."""
        self.rng.shuffle(self.stale)
        for server, path, body, headers in self.stale[:count]:
            self._count("stale copy delivered")
            await self._send(server, "POST", path, headers, body)
        del self.stale[:count]

    @staticmethod
    async def _send(
        server: httpx.AsyncClient,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any] | None,
    ) -> dict[str, Any]:
        response = await server.request(method, path, headers=headers, json=body)
        if response.status_code != 200:
            raise AssertionError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        answer: dict[str, Any] = response.json()
        return answer


@dataclass
class SimDevice:
    name: str
    member_id: int
    replica: str
    token: str
    skew_ms: int  # how wrong this phone's own clock is
    rng: random.Random
    clock: HybridClock = field(init=False)
    offset_ms: int = 0  # server_time - local time at the last answer (PWA: meta serverOffset)
    cursor: str | None = None
    states: dict[str, RecordState] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)  # pending wire ops, creation order
    made: list[dict[str, Any]] = field(default_factory=list)  # every op this device ever made
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.clock = HybridClock(self.replica)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def local_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.skew_ms

    def _answered(self, answer: dict[str, Any]) -> None:
        self.offset_ms = int(answer["server_time"]) - self.local_ms()

    # -- writing (pwa/js/outbox.js writeOp) ------------------------------------------------------------

    def write(self, change: dict[str, Any]) -> None:
        wire = {
            "id": uuid7(),
            "clock": self.clock.now(self.local_ms() + self.offset_ms),
            "replica": self.replica,
            **change,
        }
        self.states[wire["record"]] = apply_op(
            self.states.get(wire["record"]), parse_op({**wire, "author": self.member_id}, allow_author=True)
        )
        self.outbox.append(wire)
        self.made.append(wire)

    # -- one sync round (pwa/js/sync-client.js syncOnce) -----------------------------------------------

    async def sync(self, net: Network, *, batch_ops: int, reorder: bool) -> None:
        try:
            await self.push(net, batch_ops=batch_ops, reorder=reorder)
            await self.pull(net)
        except Lost:
            pass  # the next round sends and asks again

    async def push(self, net: Network, *, batch_ops: int, reorder: bool) -> None:
        batches = [self.outbox[i : i + batch_ops] for i in range(0, len(self.outbox), batch_ops)]
        if reorder:
            self.rng.shuffle(batches)
            for batch in batches:
                self.rng.shuffle(batch)
        for batch in batches:
            answer = await net.call("POST", "/api/sync/push", headers=self.headers, body={"ops": batch})
            self._answered(answer)
            settled = set()
            for op, result in zip(batch, answer["results"], strict=True):
                if result["id"] != op["id"]:
                    self.problems.append(f"{self.name}: result {result} answers op {op['id']}")
                elif result["status"] in DONE:
                    settled.add(op["id"])
                elif result.get("code") not in RETRY:
                    self.problems.append(f"{self.name}: op {op['id']} rejected: {result}")
                    settled.add(op["id"])  # a final rejection leaves the outbox (marked, in the PWA)
            self.outbox = [op for op in self.outbox if op["id"] not in settled]

    async def pull(self, net: Network) -> None:
        while True:
            query = f"?limit={self.rng.choice([7, 50, 500])}" + (
                f"&after={self.cursor}" if self.cursor else ""
            )
            page = await net.call("GET", "/api/sync/pull" + query, headers=self.headers)
            self._answered(page)
            physical = self.local_ms() + self.offset_ms
            for op_json in page["ops"]:
                try:
                    op = parse_op(op_json, allow_author=True)
                    self.states[op.record] = apply_op(self.states.get(op.record), op)
                except (MergeError, ValueError) as error:
                    self.problems.append(f"{self.name}: pulled op {op_json.get('id')} not applied: {error}")
                    continue
                # As the PWA: a clock too far ahead is not taken in; the op still is.
                with contextlib.suppress(ClockError):
                    self.clock.observe(op.clock, physical)
            self.cursor = page["cursor"]
            if not page["more"] or not page["ops"]:
                return
