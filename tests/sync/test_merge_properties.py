"""Property tests for every merge rule: the state is a function of the op set, and merge is its join."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sync import (
    MAX_OVERWRITTEN,
    Op,
    OpConflictError,
    RecordState,
    apply_op,
    canonical_json,
    merge_states,
    state_from_json,
    state_to_json,
)
from tests.sync.factories import fold, make_clock, make_id, make_op
from tests.sync.strategies import PROPERTY, deliveries, json_values, op_sets, ops, without_author


def by_stamp(op_set: list[Op]) -> list[Op]:
    return sorted(op_set, key=lambda op: (op.clock, op.replica, op.id))


def same(a: RecordState, b: RecordState) -> bool:
    return a == b and canonical_json(state_to_json(a)) == canonical_json(state_to_json(b))


@given(st.data(), op_sets())
@PROPERTY
def test_any_delivery_order_with_duplicates_gives_the_state_of_the_op_set(
    data: st.DataObject, op_set: list[Op]
) -> None:
    delivered = data.draw(deliveries(op_set))
    assert same(fold(delivered), fold(by_stamp(op_set)))


@given(op_sets())
@PROPERTY
def test_each_register_value_is_the_write_with_the_greatest_stamp(op_set: list[Op]) -> None:
    state = fold(op_set)
    for name, register in state.fields:
        writers = [op for op in op_set if op.fields is not None and name in op.fields]
        winner = max(writers, key=lambda op: (op.clock, op.replica, op.id))
        assert register.winner.op == winner.id
        kept = by_stamp(writers)[-(MAX_OVERWRITTEN + 1) :]
        assert [w.op for w in register.writes] == [op.id for op in kept]
        stamps = [w.stamp for w in register.writes]
        assert stamps == sorted(stamps)


@given(op_sets())
@PROPERTY
def test_every_append_survives_in_stamp_order(op_set: list[Op]) -> None:
    state = fold(op_set)
    appended = by_stamp([op for op in op_set if op.kind == "append"])
    assert sum(len(entries) for _, entries in state.logs) == len(appended)
    for name, entries in state.logs:
        assert [entry.id for entry in entries] == [op.id for op in appended if op.field == name]


@given(op_sets())
@PROPERTY
def test_the_tombstone_is_the_last_delete_or_restore(op_set: list[Op]) -> None:
    state = fold(op_set)
    toggles = by_stamp([op for op in op_set if op.kind in ("delete", "restore")])
    assert state.is_deleted == (bool(toggles) and toggles[-1].kind == "delete")
    assert {name for name, _ in state.fields} == {n for op in op_set if op.fields for n in op.fields}


@st.composite
def overlapping_subsets(draw: st.DrawFn, count: int) -> list[list[Op]]:
    """``count`` non-empty, possibly overlapping subsets of one consistent op set."""
    universe = draw(op_sets(max_size=10))
    return [
        draw(st.lists(st.sampled_from(universe), min_size=1, unique_by=lambda op: op.id))
        for _ in range(count)
    ]


@given(overlapping_subsets(2))
@PROPERTY
def test_merge_states_is_commutative(subsets: list[list[Op]]) -> None:
    a, b = subsets
    assert same(merge_states(fold(a), fold(b)), merge_states(fold(b), fold(a)))


@given(overlapping_subsets(3))
@PROPERTY
def test_merge_states_is_associative(subsets: list[list[Op]]) -> None:
    sa, sb, sc = (fold(subset) for subset in subsets)
    assert same(merge_states(merge_states(sa, sb), sc), merge_states(sa, merge_states(sb, sc)))


@given(op_sets())
@PROPERTY
def test_merge_states_is_idempotent(a: list[Op]) -> None:
    state = fold(a)
    assert same(merge_states(state, state), state)


@given(st.data(), op_sets(min_size=2, max_size=10))
@PROPERTY
def test_merging_the_states_of_any_split_gives_the_state_of_the_whole(
    data: st.DataObject, op_set: list[Op]
) -> None:
    parts = data.draw(st.lists(st.integers(0, 2), min_size=len(op_set), max_size=len(op_set)))
    groups = [[op for op, part in zip(op_set, parts, strict=True) if part == k] for k in range(3)]
    states = [fold(group) for group in groups if group]
    merged = states[0]
    for state in states[1:]:
        merged = merge_states(merged, state)
    assert same(merged, fold(op_set))


@given(st.data(), op_sets(min_size=2))
@PROPERTY
def test_merge_joins_author_less_client_copies_with_server_copies(
    data: st.DataObject, op_set: list[Op]
) -> None:
    client_copies = [without_author(op) for op in op_set]
    overlap = data.draw(st.lists(st.sampled_from(client_copies), max_size=len(op_set)))
    merged = merge_states(fold(op_set), fold(overlap or client_copies))
    assert same(merged, fold(op_set))
    assert same(merge_states(fold(overlap or client_copies), fold(op_set)), fold(op_set))


@given(op_sets(max_size=MAX_OVERWRITTEN + 1), st.data())
@PROPERTY
def test_a_reused_op_id_with_other_content_conflicts_in_every_order(
    op_set: list[Op], data: st.DataObject
) -> None:
    """While no register overflows, every op stays visible and reuse is caught whatever the order; once
    writes drop out, only what the state still shows is checked (test_bounded_registers.py)."""
    target = data.draw(st.sampled_from(op_set))
    impostor = data.draw(ops(target.id))
    if canonical_json(state_to_json(apply_op(None, without_author(impostor)))) == canonical_json(
        state_to_json(apply_op(None, without_author(target)))
    ):
        return  # drew the same content
    for order in ([*op_set, impostor], [impostor, *op_set]):
        try:
            fold(order)
        except OpConflictError:
            continue
        raise AssertionError(f"no op_conflict for {impostor} after {target}")


@given(op_sets(min_size=0, values=json_values))
@PROPERTY
def test_state_json_round_trips_exactly(op_set: list[Op]) -> None:
    state = (
        fold(op_set) if op_set else apply_op(None, make_op(kind="delete", clock=make_clock(), id=make_id(1)))
    )
    obj = state_to_json(state)
    rebuilt = state_from_json(obj)
    assert same(rebuilt, state)
    assert state_to_json(rebuilt) == obj


@given(st.data(), op_sets())
@PROPERTY
def test_canonical_state_json_does_not_depend_on_delivery(data: st.DataObject, op_set: list[Op]) -> None:
    delivered = data.draw(deliveries(op_set))
    assert canonical_json(state_to_json(fold(delivered))) == canonical_json(state_to_json(fold(op_set)))
