"""Hand-written merge scenarios; ``expected`` is computed with the library, and every order must agree."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Sequence
from typing import Final

from sync.clock import encode_clock
from sync.errors import MergeError
from sync.json_value import JSON, canonical_json
from sync.op import op_to_json
from sync.parse import parse_op
from sync.state import RecordState, apply_op
from sync.state_json import state_to_json
from sync.uuid7 import uuid7

__all__ = ["as_json", "merge_vectors"]

T0: Final = 1_763_712_000_000  # 2025-11-21 08:00 UTC
A: Final = "a3v9x2m1p8q4r7t0"  # replica ids sort a < b < c
B: Final = "b7w2n5c8d1f4g6h9"
C: Final = "c0y9x8w7v6u5t4s3"
HOUSEHOLD: Final = "hh-0f3a9c2e5b7d"


def as_json(items: Sequence[JSON]) -> list[JSON]:
    """A JSON list of ``items`` (``list`` is invariant, so ``list[int]`` is not a ``list[JSON]``)."""
    return list(items)


def uid(n: int) -> str:
    """A fixed UUIDv7; ids sort by ``n``."""
    return uuid7(ms=T0 + n, rand=hashlib.sha256(f"lianhu-vector-{n}".encode()).digest()[:10])


RECORD: Final = uid(0)
OTHER_RECORD: Final = uid(999)


def op(n: int, kind: str, at: int, replica: str = A, *, counter: int = 0, **keys: JSON) -> dict[str, JSON]:
    """Op JSON with id ``uid(n)`` stamped ``T0 + at`` ms; ``keys`` override or add keys."""
    obj: dict[str, JSON] = {
        "id": uid(n),
        "record": RECORD,
        "type": "visit",
        "household": HOUSEHOLD,
        "clock": encode_clock(T0 + at, counter),
        "replica": replica,
        "kind": kind,
    }
    obj |= keys
    return op_to_json(parse_op(obj, allow_author=True))


def orders(name: str, count: int) -> list[list[int]]:
    """Every permutation for up to 4 ops, else some seeded shuffles; plus two orders with duplicates."""
    base = list(range(count))
    rng = random.Random(f"orders:{name}")
    if count <= 4:
        result = [list(p) for p in itertools.permutations(base)]
    else:
        result = [base, base[::-1], *(rng.sample(base, count) for _ in range(6))]
    for _ in range(2):
        order = rng.sample(base, count)
        for index in rng.choices(base, k=2):
            order.insert(rng.randrange(len(order) + 1), index)
        result.append(order)
    return [list(o) for o in dict.fromkeys(tuple(o) for o in result)]


def fold(ops: list[dict[str, JSON]], order: list[int]) -> RecordState | None:
    state: RecordState | None = None
    for index in order:
        state = apply_op(state, parse_op(ops[index], allow_author=True))
    return state


def vector(name: str, ops: list[dict[str, JSON]], *, more: list[list[int]] | None = None) -> dict[str, JSON]:
    all_orders = orders(name, len(ops)) + (more or [])
    if any(sorted(set(order)) != list(range(len(ops))) for order in all_orders):
        raise AssertionError(f"vector {name!r}: every order must deliver every op")
    states = {canonical_json(state_to_json(_nonempty(fold(ops, order)))) for order in all_orders}
    if len(states) != 1:
        raise AssertionError(f"vector {name!r}: orders disagree")
    expected = state_to_json(_nonempty(fold(ops, all_orders[0])))
    orders_json = as_json([as_json(order) for order in all_orders])
    return {"name": name, "ops": as_json(ops), "orders": orders_json, "expected": expected}


def error_vector(name: str, ops: list[dict[str, JSON]], code: str) -> dict[str, JSON]:
    order = list(range(len(ops)))
    try:
        fold(ops, order)
    except MergeError as exc:
        if exc.code != code:
            raise AssertionError(f"vector {name!r}: expected {code}, got {exc.code}") from exc
        return {"name": name, "ops": as_json(ops), "orders": [as_json(order)], "expected_error": code}
    raise AssertionError(f"vector {name!r}: expected {code}, got no error")


def _nonempty(state: RecordState | None) -> RecordState:
    if state is None:
        raise AssertionError("a vector needs at least one op")
    return state


def merge_vectors() -> list[dict[str, JSON]]:
    first: dict[str, JSON] = {
        "date": "2025-11-21",
        "items": ["policy", "safety"],
        "notes": "老人身体尚好",
        "request": None,
    }
    return [
        vector("first create", [op(1, "set", 0, fields=first)]),
        vector(
            "concurrent set of one field on two replicas: later clock wins",
            [op(1, "set", 0, A, fields={"notes": "甲"}), op(2, "set", 5, B, fields={"notes": "乙"})],
        ),
        vector(
            "same clock: the greater replica id wins",
            [op(2, "set", 0, B, fields={"notes": "from b"}), op(1, "set", 0, A, fields={"notes": "from a"})],
        ),
        vector(
            "same clock and replica: the greater op id wins",
            [
                op(1, "set", 0, A, fields={"notes": "first id"}),
                op(2, "set", 0, A, fields={"notes": "second"}),
            ],
        ),
        vector(
            "multi-field set partially overwritten",
            [
                op(1, "set", 0, A, fields=first),
                op(2, "set", 60_000, B, fields={"notes": "新的说明", "items": ["care"]}),
                op(3, "set", 30_000, C, fields={"request": "希望加装扶手"}),
            ],
        ),
        vector(
            "concurrent appends all survive, ordered by clock, replica, id",
            [
                op(1, "append", 10, B, field="comments", value="b at 10"),
                op(2, "append", 10, A, field="comments", value="a at 10"),
                op(3, "append", 5, C, field="comments", value="c at 5"),
                op(4, "append", 10, A, counter=1, field="comments", value="a at 10, counter 1"),
            ],
        ),
        vector(
            "duplicate delivery changes nothing",
            [op(1, "set", 0, A, fields={"notes": "once"}), op(2, "append", 1, B, field="log", value=1)],
            more=[[0, 0, 1], [1, 1, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1, 1]],
        ),
        vector(
            "the server's copy with author fills in the author of the client's own copy",
            [
                op(1, "set", 0, A, fields={"notes": "mine"}),
                op(1, "set", 0, A, fields={"notes": "mine"}, author=7),
                op(2, "append", 1, A, field="log", value="x", author=7),
                op(2, "append", 1, A, field="log", value="x"),
            ],
        ),
        vector(
            "delete then a later set: still deleted, fields updated under the tombstone",
            [
                op(1, "set", 0, A, fields=first),
                op(2, "delete", 1_000, A),
                op(3, "set", 2_000, B, fields={"notes": "改了"}, author=9),
            ],
        ),
        vector("delete of a record never set", [op(1, "delete", 0, B, author=3)]),
        vector(
            "delete vs restore: last writer wins",
            [op(1, "set", 0, A, fields={"notes": "x"}), op(2, "delete", 500, A), op(3, "restore", 400, B)],
        ),
        vector(
            "restore brings fields and logs back",
            [
                op(1, "set", 0, A, fields={"notes": "kept"}),
                op(2, "append", 1, A, field="log", value="kept too"),
                op(3, "delete", 2, A),
                op(4, "restore", 3, B),
            ],
        ),
        vector(
            "overwritten lists the losing writes, ascending",
            [
                op(1, "set", 300, A, fields={"notes": "a 300"}),
                op(2, "set", 100, C, fields={"notes": "c 100"}),
                op(3, "set", 100, B, fields={"notes": "b 100"}),
                op(4, "set", 300, B, fields={"notes": "b 300, the winner"}),
                op(5, "set", 200, A, counter=4, fields={"notes": "a 200.4"}),
            ],
        ),
        vector(
            "unicode values",
            [
                op(1, "set", 0, A, fields={"notes": "张伟的母亲 · 七里河社区 👍", "request": "“修路灯”"}),
                op(2, "append", 1, B, field="log", value={"说明": "第3网格", "ok": True}),
            ],
        ),
        vector(
            "a Chinese household name",
            [op(1, "set", 0, A, household="七里河社区/3网格/12号", fields={"notes": "户名是中文"})],
        ),
        vector(
            "null values: a set that clears and an appended null",
            [
                op(1, "set", 0, A, fields={"notes": "to clear", "request": "r"}),
                op(2, "set", 1, B, fields={"notes": None}),
                op(3, "append", 2, A, field="log", value=None),
            ],
        ),
        vector(
            "nested JSON values",
            [
                op(
                    1,
                    "set",
                    0,
                    A,
                    fields={
                        "items": ["policy", "care"],
                        "detail": {"rooms": [{"n": 1, "ok": True}, {"n": 2, "ok": False}], "empty": {}},
                        "numbers": [0, -7, 2.5, 9007199254740991, -0.25],
                        "list": [[], [[]], [None, "", False]],
                    },
                ),
                op(2, "append", 1, B, field="log", value=[{"a": [1, {"b": None}]}]),
            ],
        ),
        vector(
            "everything at once",
            [
                op(1, "set", 0, A, fields=first),
                op(2, "set", 10, B, fields={"notes": "b", "items": []}, author=4),
                op(3, "append", 10, C, field="log", value="c"),
                op(4, "delete", 20, B),
                op(5, "append", 5, A, field="log", value="a"),
                op(6, "restore", 20, C),
                op(7, "set", 10, C, fields={"notes": "c wins the tie"}),
            ],
        ),
        *bounded_vectors(),
        *erase_vectors(),
        error_vector(
            "record_mismatch: another household",
            [op(1, "set", 0, fields={"a": 1}), op(2, "set", 1, fields={"a": 2}, household="hh-other")],
            "record_mismatch",
        ),
        error_vector(
            "record_mismatch: another type",
            [op(1, "set", 0, fields={"a": 1}), op(2, "delete", 1, type="task")],
            "record_mismatch",
        ),
        error_vector(
            "record_mismatch: another record",
            [op(1, "set", 0, fields={"a": 1}), op(2, "delete", 1, record=OTHER_RECORD)],
            "record_mismatch",
        ),
        error_vector(
            "op_conflict: one op id, other content",
            [op(1, "set", 0, fields={"notes": "one"}), op(1, "set", 0, fields={"notes": "two"})],
            "op_conflict",
        ),
        error_vector(
            "op_conflict: one op id, another kind",
            [op(1, "delete", 0), op(1, "restore", 0)],
            "op_conflict",
        ),
        error_vector(
            "op_conflict: one op id, two authors",
            [
                op(1, "set", 0, fields={"notes": "x"}, author=7),
                op(1, "set", 0, fields={"notes": "x"}, author=9),
            ],
            "op_conflict",
        ),
    ]


def bounded_vectors() -> list[dict[str, JSON]]:
    """Registers that overflow: only the MAX_OVERWRITTEN most recent losers stay (sync/INTERNALS.md)."""
    both = op(1, "set", 0, A, fields={"notes": "第一版", "date": "2025-11-21"})
    later = [
        op(10 + i, "set", 100 * (i + 1), (B, C)[i % 2], fields={"notes": f"第{i + 2}版"}) for i in range(5)
    ]
    toggles = [op(20 + i, ("delete", "restore")[i % 2], 7 * i, (A, B, C)[i % 3]) for i in range(7)]
    return [
        vector(
            "a register keeps only the 4 most recent losing writes",
            [
                op(1, "set", 500, A, fields={"notes": "a 500"}),
                op(2, "set", 100, B, fields={"notes": "b 100, dropped"}),
                op(3, "set", 700, C, fields={"notes": "c 700, the winner"}),
                op(4, "set", 300, A, fields={"notes": "a 300"}),
                op(5, "set", 200, C, fields={"notes": "c 200, dropped"}),
                op(6, "set", 600, B, fields={"notes": "b 600"}),
                op(7, "set", 300, B, fields={"notes": "b 300, ties a 300 and wins"}),
                op(8, "set", 250, A, counter=2, fields={"notes": "a 250.2, dropped"}),
            ],
        ),
        vector(
            "a set op that dropped out of one register stays in another, and gets its author there",
            [both, *later, op(1, "set", 0, A, fields={"notes": "第一版", "date": "2025-11-21"}, author=7)],
        ),
        vector(
            "an op delivered again after its writes dropped out changes nothing",
            [op(1, "set", 0, A, fields={"notes": "早"}), *later],
            more=[[0, 1, 2, 3, 4, 5, 0, 0], [5, 4, 3, 2, 1, 0, 0]],
        ),
        vector("the tombstone register keeps only 4 losing writes too", toggles),
        error_vector(
            "op_conflict: a partly dropped set op reused with another value where it still shows",
            [both, *later, op(1, "set", 0, A, fields={"notes": "第一版", "date": "2025-12-01"})],
            "op_conflict",
        ),
        error_vector(
            "op_conflict: a partly dropped set op reused with a field it would have kept",
            [both, *later, op(1, "set", 0, A, fields={"notes": "第一版", "date": "2025-11-21", "items": []})],
            "op_conflict",
        ),
    ]


SERVER: Final = "server"  # the replica id of the server's own ops (only the server makes erase ops)


def erase_vectors() -> list[dict[str, JSON]]:
    """Erasure (sync/INTERNALS.md, "Erasure"): an erase op absorbs every other op of its record."""
    return [
        vector(
            "erase leaves a husk: no fields, no logs, no tombstone, only the erase op's stamp",
            [
                op(1, "set", 0, A, fields={"notes": "老人身体尚好", "date": "2025-11-21"}),
                op(2, "append", 10, B, field="log", value="第一次"),
                op(3, "delete", 20, A),
                op(4, "erase", 30, SERVER, author=0),
            ],
        ),
        vector(
            "ops stamped after the erase are absorbed too, whatever order they arrive in",
            [
                op(1, "set", 0, A, fields={"notes": "旧"}),
                op(2, "erase", 100, SERVER, author=0),
                op(3, "set", 200, B, fields={"notes": "擦除之后的修改"}),
                op(4, "append", 300, C, field="log", value="擦除之后"),
                op(5, "restore", 400, A),
            ],
        ),
        vector(
            "two erase ops: the husk keeps the greater stamp",
            [
                op(1, "erase", 500, SERVER, author=0),
                op(2, "set", 0, A, fields={"notes": "x"}),
                op(3, "erase", 50, SERVER, author=0),
            ],
        ),
        vector(
            "the server's copy of an erase op fills in its author",
            [
                op(1, "set", 0, A, fields={"notes": "x"}),
                op(2, "erase", 10, SERVER),
                op(2, "erase", 10, SERVER, author=0),
            ],
        ),
        vector("an erase of a record never seen", [op(1, "erase", 0, SERVER, author=0)]),
        error_vector(
            "op_conflict: an erase op reusing the id of an op the state shows",
            [op(1, "set", 0, A, fields={"notes": "x"}), op(1, "erase", 0, A)],
            "op_conflict",
        ),
        error_vector(
            "op_conflict: an op reusing the id of the erase op",
            [op(1, "erase", 0, SERVER, author=0), op(1, "set", 0, SERVER, fields={"notes": "x"})],
            "op_conflict",
        ),
        error_vector(
            "op_conflict: one erase op id, two authors",
            [op(1, "erase", 0, SERVER, author=0), op(1, "erase", 0, SERVER, author=3)],
            "op_conflict",
        ),
        error_vector(
            "record_mismatch: an erase of another household's record",
            [op(1, "set", 0, fields={"a": 1}), op(2, "erase", 1, SERVER, household="hh-other")],
            "record_mismatch",
        ),
    ]
