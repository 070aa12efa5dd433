"""The shared vectors are up to date, and this library passes every one of them (as the JS twin must)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync import (
    ClockError,
    HybridClock,
    MergeError,
    RecordState,
    apply_op,
    encode_clock,
    parse_op,
    state_to_json,
)
from sync.vectors.generate import VECTOR_DIR, generate


def load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))["vectors"]
    return vectors


@pytest.mark.parametrize("name", ["merge.json", "clock.json"])
def test_committed_vector_file_is_what_the_generator_writes(name: str) -> None:
    expected = generate()[name]
    actual = (VECTOR_DIR / name).read_text(encoding="utf-8")
    assert actual == expected, (
        f"sync/vectors/{name} is stale: run `python -m sync.vectors.generate` and commit it"
    )


MERGE = load("merge.json")
CLOCK = load("clock.json")


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


@pytest.mark.parametrize("vector", [v for v in MERGE if "expected_error" in v], ids=lambda v: v["name"])
def test_merge_vector_raises_the_expected_error(vector: dict[str, Any]) -> None:
    (order,) = vector["orders"]
    with pytest.raises(MergeError) as excinfo:
        fold(vector["ops"], order)
    assert excinfo.value.code == vector["expected_error"]


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
