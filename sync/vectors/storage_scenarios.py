"""Storage vectors: the exact storage text of every state the merge vectors expect, plus a few edge cases.

Both twins must write byte-identical text for these states and read it back to the same state.
"""

from __future__ import annotations

from sync.json_value import JSON
from sync.record import RecordState
from sync.state_json import state_from_json, state_to_json
from sync.storage import state_to_storage
from sync.vectors.merge_scenarios import HOUSEHOLD, RECORD, op, vector

__all__ = ["storage_vectors"]


def storage_vectors(merges: list[dict[str, JSON]]) -> list[dict[str, JSON]]:
    states = [(str(v["name"]), v["expected"]) for v in merges if "expected" in v]
    empty = state_to_json(RecordState(id=RECORD, type="visit", household=HOUSEHOLD))
    states.append(("a state with nothing in it", empty))
    for name, ops in extra_states():
        states.append((name, vector(name, ops)["expected"]))
    return [{"name": name, "state": state, "storage": _storage(state)} for name, state in states]


def _storage(state: JSON) -> str:
    return state_to_storage(state_from_json(state))


def extra_states() -> list[tuple[str, list[dict[str, JSON]]]]:
    return [
        (
            "values whose keys sort differently as code points, as UTF-16 and as JavaScript integers",
            [
                op(
                    1,
                    "set",
                    0,
                    fields={
                        "detail": {"10": 1, "9": 2, "b": 3, "B": 4, "": 5, "\uff01": 6, "😀": 7, "é": 8},
                        "notes": 'control \u0001 \u007f tab\t quote" backslash\\ line\u2028 😀',
                    },
                    author=2**31,
                ),
                op(2, "append", 1, field="log", value={"z": [{"y": None, "x": -0.5}], "a": 9007199254740991}),
            ],
        ),
        (
            "one set op writing six fields keeps one stamp",
            [op(1, "set", 0, fields={name: f"第{n}项" for n, name in enumerate("abcdef")}, author=5)],
        ),
        (
            "an op id that sorts before its stamp's order",
            [op(9, "set", 0, fields={"a": 1}), op(1, "set", 5, fields={"a": 2})],
        ),
    ]
