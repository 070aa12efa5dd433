"""The storage form: lossless, deterministic, one stamp per op, and close to the raw JSON of its ops."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import (
    Op,
    RecordState,
    apply_op,
    canonical_json,
    op_to_json,
    state_from_json,
    state_from_storage,
    state_to_json,
    state_to_storage,
)
from tests.sync.factories import fold, make_clock, make_id, make_op
from tests.sync.strategies import PROPERTY, crowded_op_sets, json_values, op_sets


@given(st.one_of(op_sets(values=json_values), crowded_op_sets()))
@PROPERTY
def test_storage_round_trips_exactly(op_set: list[Op]) -> None:
    state = fold(op_set)
    text = state_to_storage(state)
    loaded = state_from_storage(text)
    assert loaded == state
    assert state_to_storage(loaded) == text
    assert state_to_json(loaded) == state_to_json(state)


@given(crowded_op_sets())
@PROPERTY
def test_a_loaded_state_merges_like_the_original(op_set: list[Op]) -> None:
    half = len(op_set) // 2
    loaded = state_from_storage(state_to_storage(fold(op_set[:half])))
    assert fold(op_set[half:], loaded) == fold(op_set)


def test_the_storage_text_has_the_documented_shape() -> None:
    state = fold(
        [
            make_op(id=make_id(1), fields={"notes": "旧", "date": "2025-11-21"}, author=9),
            make_op(id=make_id(2), clock=make_clock(5), replica="b", fields={"notes": "新"}),
            make_op(
                id=make_id(3), clock=make_clock(1), kind="append", field="log", value={"b": 1, "a": [None]}
            ),
            make_op(id=make_id(4), clock=make_clock(9), kind="delete", author=7),
        ]
    )
    r = "k3v9x2m1p8q4r7t0"
    assert json.loads(state_to_storage(state)) == {
        "deleted": [[3, True]],
        "fields": {"date": [[0, "2025-11-21"]], "notes": [[0, "旧"], [2, "新"]]},
        "household": "hh-0f3a9c2e5b7d",
        "id": state.id,
        "logs": {"log": [[1, {"a": [None], "b": 1}]]},
        "ops": [
            [make_id(1), make_clock(0), r, 9],
            [make_id(3), make_clock(1), r, None],
            [make_id(2), make_clock(5), "b", None],
            [make_id(4), make_clock(9), r, 7],
        ],
        "type": "visit",
        "v": 1,
    }
    assert state_to_storage(state) == canonical_json(json.loads(state_to_storage(state)))


def test_a_set_of_six_fields_stores_its_stamp_once() -> None:
    fields = {name: f"value of {name}" for name in ("a", "b", "c", "d", "e", "f")}
    state = apply_op(None, make_op(fields=fields, author=7))
    text = state_to_storage(state)
    assert text.count(make_id(1)) == 1
    assert text.count(make_clock(0)) == 1
    assert canonical_json(state_to_json(state)).count(make_clock(0)) == 6


def test_a_state_without_ops_round_trips() -> None:
    empty = RecordState(id=make_id(0), type="visit", household="hh-1")
    assert state_from_storage(state_to_storage(empty)) == empty


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"v": 2}', "version 1, got version 2"),
        ("[]", "version 1, got version None"),
        ('{"v": 1, "ops": []}', "malformed: KeyError"),
        ('{"v": 1, "ops": [], "fields": {"notes": [[0, "x"]]}, "logs": {}, "deleted": []}', "IndexError"),
    ],
    ids=["other-version", "not-an-object", "missing-key", "index-out-of-range"],
)
def test_state_from_storage_names_what_is_wrong_with_text_it_cannot_read(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        state_from_storage(text)


NOTES = (
    "入户了解情况，家中老人患有高血压，按时服药，血压控制平稳。反映楼道照明灯损坏多日，夜间出行不便。"
    "已登记，将及时向社区反映。"
)


def typical_visit(edits: int) -> list[Op]:
    """A visit (~460 bytes of canonical JSON) and ``edits`` edits of its notes from another phone."""
    create = make_op(
        id=make_id(1),
        fields={"date": "2025-11-21", "items": ["policy", "care"], "notes": NOTES, "request": None},
        author=3,
    )
    return [create] + [
        make_op(id=make_id(2 + i), clock=make_clock(60_000 * (i + 1)), replica="b2c4d6e8f0a1b3c5",
                fields={"notes": NOTES[i:] + "约定两周后再次上门。"}, author=4)
        for i in range(edits)
    ]  # fmt: skip


@pytest.mark.parametrize("edits", [0, 1, 3, 10, 1000])
def test_stored_state_is_at_most_1_2_times_the_raw_json_of_the_ops_it_shows(edits: int) -> None:
    ops = typical_visit(edits)
    state = fold(ops)
    shown = {w.op for _, register in state.fields for w in register.writes}
    raw = sum(len(canonical_json(op_to_json(op)).encode()) for op in ops if op.id in shown)
    stored = len(state_to_storage(state).encode())
    assert len(canonical_json(op_to_json(ops[0])).encode()) in range(400, 520)
    assert stored <= 1.2 * raw
    assert stored < len(canonical_json(state_to_json(state)).encode())


def test_the_json_form_and_the_storage_form_load_the_same_state() -> None:
    state = fold(typical_visit(7))
    assert state_from_storage(state_to_storage(state)) == state_from_json(state_to_json(state)) == state
