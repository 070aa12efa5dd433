"""Erasure: an ``erase`` op is the absorbing element of the merge (sync/INTERNALS.md, "Erasure").

The state of an op set holding an erase op is the husk of its greatest erase op, whatever else the set
holds and whatever order it arrives in; without one, erase ops change nothing about the rules. So the
state is still a function of the op set and merge is still a join: commutative, associative, idempotent.
"""

from __future__ import annotations

import dataclasses

from hypothesis import find, given
from hypothesis import strategies as st

from sync import (
    Erasure,
    Op,
    RecordState,
    StateBuilder,
    apply_op,
    canonical_json,
    merge_states,
    state_from_json,
    state_from_storage,
    state_to_json,
    state_to_storage,
)
from tests.sync.factories import HOUSEHOLD, RECORD, fold, make_clock, make_id, make_op
from tests.sync.strategies import PROPERTY, SERVER, deliveries, erasable_op_sets, op_sets


def by_stamp(op_set: list[Op]) -> list[Op]:
    return sorted(op_set, key=lambda op: op.stamp)


def same(a: RecordState, b: RecordState) -> bool:
    return a == b and canonical_json(state_to_json(a)) == canonical_json(state_to_json(b))


def model(op_set: list[Op]) -> RecordState:
    """The state the definition gives: the husk of the greatest erase op if there is one, else the fold of
    the other ops."""
    erases = [op for op in op_set if op.kind == "erase"]
    if not erases:
        return fold(by_stamp(op_set))
    top = max(erases, key=lambda op: op.stamp)
    return RecordState(RECORD, "visit", HOUSEHOLD, erased=Erasure(top.id, top.clock, top.replica, top.author))


@given(st.data(), erasable_op_sets())
@PROPERTY
def test_any_delivery_order_with_duplicates_gives_the_state_the_definition_gives(
    data: st.DataObject, op_set: list[Op]
) -> None:
    delivered = data.draw(deliveries(op_set))
    assert same(fold(delivered), model(op_set))


@st.composite
def overlapping_subsets(draw: st.DrawFn, count: int) -> list[list[Op]]:
    universe = draw(erasable_op_sets(max_size=10))
    return [
        draw(st.lists(st.sampled_from(universe), min_size=1, unique_by=lambda op: op.id))
        for _ in range(count)
    ]


@given(overlapping_subsets(2))
@PROPERTY
def test_merge_with_erasures_is_commutative(subsets: list[list[Op]]) -> None:
    a, b = (fold(subset) for subset in subsets)
    assert same(merge_states(a, b), merge_states(b, a))


@given(overlapping_subsets(3))
@PROPERTY
def test_merge_with_erasures_is_associative(subsets: list[list[Op]]) -> None:
    a, b, c = (fold(subset) for subset in subsets)
    assert same(merge_states(merge_states(a, b), c), merge_states(a, merge_states(b, c)))


@given(erasable_op_sets())
@PROPERTY
def test_merge_with_erasures_is_idempotent(op_set: list[Op]) -> None:
    state = fold(op_set)
    assert same(merge_states(state, state), state)


@given(st.data(), erasable_op_sets(min_size=2))
@PROPERTY
def test_merging_the_states_of_any_split_gives_the_state_of_the_whole(
    data: st.DataObject, op_set: list[Op]
) -> None:
    parts = data.draw(st.lists(st.integers(0, 2), min_size=len(op_set), max_size=len(op_set)))
    states = [fold([op for op, p in zip(op_set, parts, strict=True) if p == k]) for k in set(parts)]
    merged = states[0]
    for state in states[1:]:
        merged = merge_states(merged, state)
    assert same(merged, model(op_set))


@given(op_sets(), st.sampled_from([0, None]), st.integers(0, 3))
@PROPERTY
def test_a_husk_absorbs_any_state_and_any_op(op_set: list[Op], author: int | None, at: int) -> None:
    erase = make_op(id=make_id(99), kind="erase", replica=SERVER, clock=make_clock(at), author=author)
    husk = apply_op(None, erase)
    state = fold(op_set)
    assert same(merge_states(state, husk), husk)
    assert same(merge_states(husk, state), husk)
    assert same(apply_op(state, erase), husk)
    for op in op_set:
        assert same(apply_op(husk, op), husk)


@given(erasable_op_sets())
@PROPERTY
def test_a_husk_round_trips_through_json_and_storage(op_set: list[Op]) -> None:
    state = fold(op_set)
    assert same(state_from_json(state_to_json(state)), state)
    assert same(state_from_storage(state_to_storage(state)), state)
    if state.is_erased:
        assert state.fields == () and state.logs == () and state.deleted is None
        assert state_to_storage(state).count('"ops":[[') == 1


def test_a_husk_holds_nothing_but_the_erase_stamp() -> None:
    ops = [
        make_op(id=make_id(1), fields={"notes": "老人身体尚好"}),
        make_op(id=make_id(2), kind="append", field="log", value="住院", clock=make_clock(1)),
        make_op(id=make_id(3), kind="erase", replica=SERVER, clock=make_clock(2), author=0),
        make_op(id=make_id(4), fields={"notes": "擦除之后才到"}, clock=make_clock(3)),
    ]
    state = fold(ops)
    text = canonical_json(state_to_json(state)) + state_to_storage(state)
    assert "老人" not in text and "住院" not in text and "擦除" not in text
    assert state_to_json(state)["erased"] == {
        "op": make_id(3), "clock": make_clock(2), "replica": SERVER, "author": 0,
    }  # fmt: skip
    assert state.values() == {} and not state.is_deleted and state.is_erased


def test_an_erase_that_only_clears_is_caught_by_the_order_property() -> None:
    """A planted bug: an erase that empties the state but lets later ops write again (a tombstone that
    forgets). Order then matters, and the definition's property finds a counterexample."""

    def naive(ops: list[Op]) -> RecordState:
        builder = StateBuilder()
        for op in ops:
            if builder.is_erased and op.kind != "erase":
                kept = builder.state()
                builder = StateBuilder(dataclasses.replace(kept, erased=None))
            builder.apply(op)
        return builder.state()

    def order_matters(op_set: list[Op]) -> bool:
        return not same(naive(op_set), naive(list(reversed(op_set))))

    found = find(erasable_op_sets(min_size=2), order_matters, settings=PROPERTY)
    assert any(op.kind == "erase" for op in found)
