from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from sync import (
    MAX_OVERWRITTEN,
    OpConflictError,
    RecordState,
    apply_op,
    canonical_json,
    state_from_json,
    state_to_json,
)
from tests.sync.factories import make_clock, make_id, make_op


def sample_state() -> RecordState:
    state = None
    for op in [
        make_op(id=make_id(1), fields={"notes": "旧的说明", "date": "2025-11-21"}, author=9),
        make_op(id=make_id(2), clock=make_clock(60_000), replica="b", fields={"notes": "新的说明"}, author=7),
        make_op(id=make_id(3), clock=make_clock(5), kind="append", field="log", value={"a": [1, None]}),
        make_op(id=make_id(4), clock=make_clock(9), kind="delete"),
    ]:
        state = apply_op(state, op)
    assert state is not None
    return state


def test_state_to_json_has_the_protocol_shape() -> None:
    obj = state_to_json(sample_state())
    assert list(obj) == ["id", "type", "household", "fields", "logs", "deleted"]
    notes = obj["fields"]["notes"]  # type: ignore[index,call-overload]
    assert notes == {
        "value": "新的说明",
        "clock": make_clock(60_000),
        "replica": "b",
        "op": make_id(2),
        "author": 7,
        "overwritten": [
            {
                "value": "旧的说明",
                "clock": make_clock(0),
                "replica": "k3v9x2m1p8q4r7t0",
                "op": make_id(1),
                "author": 9,
            }
        ],
    }
    assert obj["logs"] == {
        "log": [
            {
                "id": make_id(3),
                "value": {"a": [1, None]},
                "clock": make_clock(5),
                "replica": "k3v9x2m1p8q4r7t0",
                "author": None,
            }
        ]
    }
    assert obj["deleted"]["value"] is True  # type: ignore[index,call-overload]


def test_state_from_json_round_trips_exactly_through_text() -> None:
    state = sample_state()
    text = json.dumps(state_to_json(state), ensure_ascii=False)
    rebuilt = state_from_json(json.loads(text))
    assert rebuilt == state
    assert canonical_json(state_to_json(rebuilt)) == canonical_json(state_to_json(state))


def test_state_from_json_rebuilds_the_conflict_index() -> None:
    rebuilt = state_from_json(state_to_json(sample_state()))
    with pytest.raises(OpConflictError):
        apply_op(rebuilt, make_op(id=make_id(1), fields={"notes": "changed"}))


def test_state_from_json_accepts_a_state_without_ops() -> None:
    empty = RecordState(id=make_id(0), type="visit", household="hh-1")
    assert state_from_json(state_to_json(empty)) == empty


def _swap_overwritten(obj: dict[str, Any]) -> None:
    notes = obj["fields"]["notes"]
    loser = notes["overwritten"][0]
    winner = {key: notes[key] for key in loser}
    notes.update(loser)
    notes["overwritten"] = [winner]


def _split_set_op(obj: dict[str, Any]) -> None:
    obj["fields"]["date"]["clock"] = make_clock(1)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        target = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        del obj[key]

    return change


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (_drop("logs"), "exactly the keys"),
        (_set(["extra"], 1), "exactly the keys"),
        (_set(["id"], "not-a-uuid"), "'record'"),
        (_set(["fields"], []), "fields must be an object"),
        (_set(["fields", "notes", "overwritten"], {}), "overwritten must be a list"),
        (_set(["fields", "notes", "clock"], "soon"), "'clock'"),
        (_set(["fields", "notes", "extra"], 1), "exactly the keys"),
        (_set(["logs", "log"], {}), "list of entries"),
        (_set(["logs", "log", 0, "id"], "x"), "'id'"),
        (_set(["deleted", "value"], "yes"), "true or false"),
        (_set(["fields", "notes", "author"], "7"), "'author'"),
        (_set(["fields", "notes", "value"], float("nan")), "fields.notes"),
        (_set(["fields", "Notes"], None), "Notes"),
        (_swap_overwritten, "not canonical"),
        (_split_set_op, "op_conflict"),
        (_set(["logs", "log", 0, "id"], make_id(4)), "op_conflict"),
        (_set(["fields", "notes", "overwritten", 0], None), r"overwritten\[0\] must be an object"),
    ],
    ids=[
        "missing-key",
        "unknown-key",
        "bad-record-id",
        "fields-not-object",
        "overwritten-not-list",
        "bad-clock",
        "register-extra-key",
        "log-not-list",
        "entry-bad-id",
        "deleted-not-bool",
        "author-not-int",
        "value-not-json",
        "bad-field-name",
        "winner-not-last",
        "one-op-two-stamps",
        "entry-id-of-another-op",
        "overwritten-item-not-object",
    ],
)
def test_state_from_json_rejects_anything_but_canonical_state_json(
    change: Callable[[dict[str, Any]], None], match: str
) -> None:
    obj: dict[str, Any] = copy.deepcopy(state_to_json(sample_state()))
    change(obj)
    with pytest.raises(ValueError, match=match):
        state_from_json(obj)


def test_state_from_json_rejects_a_non_object() -> None:
    with pytest.raises(ValueError, match="state must be an object"):
        state_from_json([])


def test_state_from_json_rejects_a_repeated_write() -> None:
    obj: dict[str, Any] = copy.deepcopy(state_to_json(sample_state()))
    notes = obj["fields"]["notes"]
    notes["overwritten"].append({key: notes[key] for key in ("value", "clock", "replica", "op", "author")})
    with pytest.raises(ValueError, match="not canonical"):
        state_from_json(obj)


def test_state_from_json_rejects_a_register_with_more_than_max_overwritten_losers() -> None:
    obj: dict[str, Any] = copy.deepcopy(state_to_json(sample_state()))
    notes = obj["fields"]["notes"]
    loser = notes["overwritten"][0]
    notes["overwritten"] = [
        {**loser, "op": make_id(20 + i), "clock": make_clock(i + 1), "value": f"older {i}"}
        for i in range(MAX_OVERWRITTEN)
    ] + notes["overwritten"][1:]
    notes["overwritten"].insert(0, loser)
    assert len(notes["overwritten"]) == MAX_OVERWRITTEN + 1
    with pytest.raises(ValueError, match="not canonical"):
        state_from_json(obj)
    notes["overwritten"].pop(0)  # the oldest one dropped: now it is what folding those writes gives
    assert state_to_json(state_from_json(obj)) == obj
