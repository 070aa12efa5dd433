"""The shared vectors are up to date, and this library passes every one of them (as the JS twin must)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync import (
    MAX_OVERWRITTEN,
    ClockError,
    HybridClock,
    MergeError,
    RecordState,
    apply_op,
    apply_ops,
    encode_clock,
    merge_states,
    parse_op,
    state_from_json,
    state_from_storage,
    state_to_json,
    state_to_storage,
)
from sync.vectors.generate import VECTOR_DIR, generate


def load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))["vectors"]
    return vectors


@pytest.mark.parametrize("name", ["merge.json", "storage.json", "clock.json"])
def test_committed_vector_file_is_what_the_generator_writes(name: str) -> None:
    expected = generate()[name]
    actual = (VECTOR_DIR / name).read_text(encoding="utf-8")
    assert actual == expected, (
        f"sync/vectors/{name} is stale: run `python -m sync.vectors.generate` and commit it"
    )


MERGE = load("merge.json")
STORAGE = load("storage.json")
CLOCK = load("clock.json")


def test_the_vectors_were_made_with_this_register_bound() -> None:
    assert (
        json.loads((VECTOR_DIR / "merge.json").read_text(encoding="utf-8"))["max_overwritten"]
        == MAX_OVERWRITTEN
    )


def fold(ops: list[dict[str, Any]], order: list[int]) -> RecordState | None:
    state = None
    for index in order:
        state = apply_op(state, parse_op(ops[index], allow_author=True))
    return state


@pytest.mark.parametrize("vector", [v for v in MERGE if "expected" in v], ids=lambda v: v["name"])
def test_merge_vector_every_order_gives_the_expected_state(vector: dict[str, Any]) -> None:
    assert len(vector["orders"]) >= 1
    for order in vector["orders"]:
        state = fold(vector["ops"], order)
        assert state is not None
        assert state_to_json(state) == vector["expected"], f"order {order}"
        ops = [parse_op(vector["ops"][index], allow_author=True) for index in order]
        assert state_to_json(apply_ops(None, ops)) == vector["expected"], f"order {order}: apply_ops"
        half = len(order) // 2
        a, b = fold(vector["ops"], order[:half]), fold(vector["ops"], order[half:])
        if a is not None and b is not None:
            assert state_to_json(merge_states(a, b)) == vector["expected"], f"order {order}: merge"


@pytest.mark.parametrize("vector", [v for v in MERGE if "expected_error" in v], ids=lambda v: v["name"])
def test_merge_vector_raises_the_expected_error(vector: dict[str, Any]) -> None:
    (order,) = vector["orders"]
    with pytest.raises(MergeError) as excinfo:
        fold(vector["ops"], order)
    assert excinfo.value.code == vector["expected_error"]


@pytest.mark.parametrize("vector", STORAGE, ids=lambda v: v["name"])
def test_storage_vector_is_written_byte_for_byte_and_read_back(vector: dict[str, Any]) -> None:
    state = state_from_json(vector["state"])
    assert state_to_storage(state) == vector["storage"]
    assert state_from_storage(vector["storage"]) == state


def test_storage_vectors_cover_every_expected_merge_state() -> None:
    expected = [v["expected"] for v in MERGE if "expected" in v]
    assert [v["state"] for v in STORAGE][: len(expected)] == expected
    assert len(STORAGE) > len(expected)


@pytest.mark.parametrize("vector", CLOCK, ids=lambda v: v["name"])
def test_clock_vector_steps_give_the_expected_clocks(vector: dict[str, Any]) -> None:
    start = vector["start"]
    clock = HybridClock(
        vector["replica"], wall=start["wall"], counter=start["counter"], max_drift_ms=vector["max_drift_ms"]
    )
    for index, step in enumerate(vector["steps"]):
        before = (clock.wall, clock.counter)
        try:
            if step["event"] == "now":
                result = clock.now(step["physical"])
            else:
                clock.observe(step["remote"], step["physical"])
                result = encode_clock(clock.wall, clock.counter)
        except ClockError as exc:
            assert exc.code == step.get("expect_error"), f"step {index}"
            assert (clock.wall, clock.counter) == before, f"step {index}: clock changed after an error"
        else:
            assert result == step.get("expect"), f"step {index}"


def test_vectors_cover_every_scenario_the_twin_relies_on() -> None:
    errors = {v.get("expected_error") for v in MERGE}
    assert {"record_mismatch", "op_conflict"} <= errors
    clock_errors = {step.get("expect_error") for v in CLOCK for step in v["steps"]}
    assert {"clock_drift", "counter_overflow"} <= clock_errors
    assert any(len(order) > len(set(order)) for v in MERGE for order in v["orders"]), "no duplicate delivery"
    full = [v for v in MERGE if any(len(r["overwritten"]) == MAX_OVERWRITTEN for r in _registers(v))]
    assert any(len(v["ops"]) > MAX_OVERWRITTEN + 1 for v in full), "no register that drops writes"


def _registers(vector: dict[str, Any]) -> list[dict[str, Any]]:
    expected = vector.get("expected")
    if expected is None:
        return []
    return [*expected["fields"].values(), *([expected["deleted"]] if expected["deleted"] else [])]
