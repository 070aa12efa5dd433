"""Fuzz the real server from docs/openapi.yaml with schemathesis (issue 9, faults 3).

Every operation of the OpenAPI document gets schema-conforming and schema-violating requests (schemathesis'
positive and negative generation), sent over HTTP to a real ``lianhu serve``: the operations that need a
session with a member's bearer token, and every operation with no credentials at all. Pushes also carry ops
that are nearly right (the member's own replica, households in and out of scope, repeats and edits of ops
accepted earlier in the run), so the checks past parsing are reached too. Every answer must:

- not be a 5xx, and conform to the document: a documented status, content type, headers and body schema —
  which also means its error ``code`` is one the document lists for that status (the ``enum``s that
  tests/test_openapi.py holds to the protocol document); for operations that need a session, the server
  must also refuse the same request without credentials (schemathesis' ``ignored_auth``);
- for a write (every POST), store nothing when it is refused: the rows of ops, records, record access,
  devices and members (counts and a digest, tests/faults/probe.py) are the same before and after a 4xx;
- for a 200 push, store exactly as many ops as it answered ``accepted``.

At the end every record still equals the fold of its ops. ``LIANHU_FAULT_SEED`` replays the examples;
``LIANHU_FUZZ_EXAMPLES`` sets how many per operation and generation mode (default 10; pushes get three
times as many, operations that only answer 401 without credentials 4 in all).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.db import Store
from sync import encode_clock, uuid7
from tests.faults.probe import fold_mismatches, store_digest
from tests.faults.seeds import fault_seed, replay_hint
from tests.realserver import RealServer, exec_server, free_port, server_env
from tests.server.factories import World

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = int(os.environ.get("LIANHU_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
T = TypeVar("T")


MISTAKES = [None] * 6 + [
    "date",
    "no date",
    "field",
    "value",
    "household",
    "other grid",
    "clock",
    "replica",
    "kind",
]


def _near_valid_ops(world: World) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Ops a real member's phone could send: about half of them right, the others wrong in one detail."""
    phone = world.alice

    def build(household: str, notes: str | None, items: list[str], mistake: str | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"date": "2026-11-21", "items": items, "notes": notes}
        op: dict[str, Any] = {
            "id": uuid7(),
            "record": uuid7(),
            "type": "visit",
            "household": household,
            "clock": encode_clock(time.time_ns() // 1_000_000, 0),
            "replica": phone.device_id,
            "kind": "set",
            "fields": fields,
        }
        match mistake:
            case "date":
                fields["date"] = "2026-02-30"
            case "no date":
                del fields["date"]
            case "field":
                fields["colour"] = "red"
            case "value":
                fields["items"] = [*items, "bogus"]
            case "household":
                op["household"] = "hh-nowhere"
            case "other grid":
                op["household"] = world.households_b[0]
            case "clock":
                op["clock"] = encode_clock(time.time_ns() // 1_000_000 + 200_000_000, 0)
            case "replica":
                op["replica"] = world.bob.device_id
            case "kind":
                op["kind"] = "delete"
                del op["fields"]
        return op

    op = st.builds(
        build,
        st.sampled_from(world.households_a),
        st.one_of(st.none(), st.text(max_size=30)),
        st.lists(st.sampled_from(["policy", "safety", "care", "opinions"]), unique=True, max_size=4),
        st.sampled_from(MISTAKES),
    )
    return st.lists(op, min_size=1, max_size=4)


def _with_near_valid_ops(case: Any, ops: list[dict[str, Any]], seen: list[dict[str, Any]]) -> Any:
    """Mix near-valid ops (and repeats or edits of earlier ones) into a generated push body."""
    if case.operation.label != "POST /api/sync/push" or not isinstance(case.body, dict):
        return case
    if not isinstance(case.body.get("ops"), list):
        return case
    extra = list(ops)
    if seen and ops:
        earlier = seen[len(ops) % len(seen)]
        extra.append(earlier)  # the same op again: duplicate
        extra.append({**ops[0], "record": earlier["record"], "household": earlier["household"]})  # an edit
    case.body = {**case.body, "ops": [*case.body["ops"], *extra][:500]}
    return case


@dataclass
class _Fuzzer:
    """Sends one generated case, checks the answer and what it did to the store."""

    server: RealServer
    store: Store
    on_loop: Callable[[Coroutine[Any, Any, Any]], Any]
    headers: dict[str, str]
    checks: list[Any]
    hint: str
    session: requests.Session = field(default_factory=requests.Session)
    seen: list[dict[str, Any]] = field(default_factory=list)  # near-valid ops accepted so far
    stats: dict[str, int] = field(default_factory=lambda: {"requests": 0, "refused": 0, "ops accepted": 0})

    def send(self, case: Any, label: str) -> None:
        before = self.on_loop(store_digest(self.store)) if label.startswith("POST") else None
        response = case.call(base_url=self.server.url, session=self.session, headers=self.headers, timeout=30)
        self.stats["requests"] += 1
        context = f"{case.method} {case.formatted_path} → {response.status_code} ({self.hint})"
        assert response.status_code < 500, f"{context}:\n{response.text[:2000]}\n{self.server.log(3000)}"
        case.validate_response(response, checks=self.checks, headers=self.headers)
        if before is None:
            return  # a read: the server writes nothing for it that a client could see
        after = self.on_loop(store_digest(self.store))
        if response.status_code >= 400:
            self.stats["refused"] += 1
            assert after == before, f"{context}: a refused request changed the store: {before} → {after}"
        elif label == "POST /api/sync/push":
            accepted = [r["id"] for r in response.json()["results"] if r["status"] == "accepted"]
            self.stats["ops accepted"] += len(accepted)
            stored = after["ops"][0] - before["ops"][0]
            assert stored == len(accepted), f"{context}: {len(accepted)} ops accepted, {stored} stored"
            sent = {
                op["id"]: op
                for op in case.body["ops"]
                if isinstance(op, dict) and isinstance(op.get("id"), str)
            }
            self.seen.extend(sent[op_id] for op_id in accepted if op_id in sent)


def _fuzz_operation(fuzzer: _Fuzzer, operation: Any, world: World, seed: int, examples: int) -> None:
    label = operation.label
    cases = st.one_of(
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.seed(seed)
    @given(case=cases, ops=_near_valid_ops(world))
    def example(case: Any, ops: list[dict[str, Any]]) -> None:
        fuzzer.send(_with_near_valid_ops(case, ops, fuzzer.seen), label)

    example()


def _fuzz(
    server: RealServer,
    world: World,
    store: Store,
    on_loop: Callable[[Coroutine[Any, Any, Any]], Any],
    authenticated: bool,
    seed: int,
    hint: str,
) -> dict[str, int]:
    config = schemathesis.Config()
    config.projects.default.generation.update(allow_x00=True)  # NUL in ids: found once, pinned
    schema = schemathesis.openapi.from_path(str(OPENAPI), config=config)
    headers = {"Authorization": f"Bearer {world.alice.token}"} if authenticated else {}
    checks = [*CHECKS, ignored_auth] if authenticated else CHECKS
    fuzzer = _Fuzzer(server, store, on_loop, headers, checks, hint)
    try:
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), (
                f"docs/openapi.yaml has an operation schemathesis cannot use: {result}"
            )
            operation = result.ok()
            needs_session = operation.definition.raw.get("security") != []
            if authenticated and (not needs_session or operation.label == "POST /api/logout"):
                # Enrollment, login and lockout take no session: the run without credentials covers them.
                # Logout would end the session the rest of this run uses.
                continue
            examples = 2 * EXAMPLES  # half schema-conforming, half not
            if operation.label == "POST /api/sync/push":
                examples *= 3  # the richest body, and where a half-stored request would hurt most
            elif not authenticated and needs_session:
                examples = 4  # the answer is 401 whatever the request holds; a few prove it
            _fuzz_operation(fuzzer, operation, world, seed, examples)
    finally:
        fuzzer.session.close()
    return fuzzer.stats


@pytest.mark.parametrize("authenticated", [True, False], ids=["as_a_member", "without_credentials"])
async def test_fuzz_the_api(
    store: Store,
    world: World,
    database_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    authenticated: bool,
) -> None:
    seed = fault_seed()
    hint = replay_hint(seed, request)
    port = free_port()
    server = exec_server(server_env(database_url, port), port, tmp_path / "serve.log")
    loop = asyncio.get_running_loop()

    def on_loop(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    try:
        stats = await asyncio.to_thread(_fuzz, server, world, store, on_loop, authenticated, seed, hint)
        problems = await fold_mismatches(store)
        assert not problems, f"after fuzzing ({hint}):\n" + "\n".join(problems[:20])
    finally:
        server.stop()
    print(f"fuzz ({'member' if authenticated else 'no credentials'}): {stats} ({hint})")
