"""Small typed factories for sync tests: valid values by default, ``**overrides`` for what a test is about."""

from __future__ import annotations

import hashlib
from typing import Any

from sync import Op, RecordState, apply_op, encode_clock, uuid7

T0 = 1_763_712_000_000
REPLICA = "k3v9x2m1p8q4r7t0"
HOUSEHOLD = "hh-0f3a9c2e5b7d"


def make_id(n: int) -> str:
    """A fixed UUIDv7 that sorts by ``n``."""
    return uuid7(ms=T0 + n, rand=hashlib.sha256(f"test-{n}".encode()).digest()[:10])


RECORD = make_id(0)


def make_clock(at: int = 0, counter: int = 0) -> str:
    return encode_clock(T0 + at, counter)


def make_op_json(*, drop: tuple[str, ...] = (), **overrides: object) -> dict[str, object]:
    """Wire JSON of a valid ``set`` op; ``overrides`` replace or add keys, ``drop`` removes keys."""
    obj: dict[str, object] = {
        "id": make_id(1),
        "record": RECORD,
        "type": "visit",
        "household": HOUSEHOLD,
        "clock": make_clock(),
        "replica": REPLICA,
        "kind": "set",
        "fields": {"notes": "老人身体尚好"},
    }
    obj.update(overrides)
    for key in drop:
        del obj[key]
    return obj


def make_op(**overrides: Any) -> Op:
    """A valid :class:`Op`; ``kind`` alone picks sensible defaults for that kind's keys."""
    kind = overrides.get("kind", "set")
    defaults: dict[str, Any] = {
        "id": make_id(1),
        "record": RECORD,
        "type": "visit",
        "household": HOUSEHOLD,
        "clock": make_clock(),
        "replica": REPLICA,
        "kind": kind,
        "fields": {"notes": "老人身体尚好"} if kind == "set" else None,
        "field": "log" if kind == "append" else None,
        "value": "entry" if kind == "append" else None,
        "author": None,
    }
    defaults.update(overrides)
    return Op(**defaults)


def fold(ops: list[Op], state: RecordState | None = None) -> RecordState:
    """Apply ``ops`` in the given order; at least one op or a starting state."""
    for op in ops:
        state = apply_op(state, op)
    assert state is not None, "fold needs at least one op"
    return state
