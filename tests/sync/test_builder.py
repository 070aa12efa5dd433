"""StateBuilder and apply_ops: many ops folded into one private copy give exactly the fold of apply_op."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import (
    Op,
    OpConflictError,
    RecordMismatchError,
    RecordState,
    Register,
    StateBuilder,
    Write,
    apply_op,
    apply_ops,
    state_to_json,
)
from tests.sync.factories import RECORD, fold, make_clock, make_id, make_op
from tests.sync.strategies import PROPERTY, crowded_op_sets, deliveries, op_sets


@given(st.data(), st.one_of(op_sets(), crowded_op_sets()))
@PROPERTY
def test_apply_ops_equals_the_fold_of_apply_op(data: st.DataObject, op_set: list[Op]) -> None:
    delivered = data.draw(deliveries(op_set))
    cut = data.draw(st.integers(0, len(delivered) - 1))
    start = fold(delivered[: cut + 1])
    assert apply_ops(None, delivered) == fold(delivered)
    assert apply_ops(start, delivered[cut + 1 :]) == fold(delivered[cut + 1 :], start)


@given(st.data(), crowded_op_sets())
@PROPERTY
def test_a_builder_reads_like_the_state_it_would_freeze_into(data: st.DataObject, op_set: list[Op]) -> None:
    builder = StateBuilder()
    for op in data.draw(deliveries(op_set)):
        builder.apply(op)
        state = builder.state()
        assert builder.values() == state.values()
        assert builder.is_deleted == state.is_deleted
        assert (builder.id, builder.type, builder.household) == (state.id, state.type, state.household)
    assert builder.state() == fold(op_set)


def test_a_refused_op_leaves_the_builder_as_it_was_and_the_batch_goes_on() -> None:
    builder = StateBuilder()
    builder.apply(make_op(id=make_id(1), fields={"notes": "a", "date": "2025-11-21"}))
    before = builder.state()
    with pytest.raises(OpConflictError):
        builder.apply(make_op(id=make_id(1), fields={"notes": "a", "date": "other"}))
    with pytest.raises(RecordMismatchError):
        builder.apply(make_op(id=make_id(2), household="hh-other"))
    assert builder.state() == before
    builder.apply(make_op(id=make_id(3), clock=make_clock(5), fields={"notes": "b"}))
    assert builder.values() == {"date": "2025-11-21", "notes": "b"}


def test_state_is_the_same_object_until_something_changes_and_untouched_registers_are_shared() -> None:
    state = fold([make_op(id=make_id(1), fields={"notes": "a", "date": "2025-11-21"})])
    builder = StateBuilder(state)
    assert builder.state() is state
    builder.apply(make_op(id=make_id(1), fields={"notes": "a", "date": "2025-11-21"}))  # a duplicate
    assert builder.state() is state
    builder.apply(make_op(id=make_id(2), clock=make_clock(5), fields={"notes": "b"}))
    after = builder.state()
    assert after is not state and builder.state() is after
    assert after.field("date") is state.field("date")


def test_apply_ops_of_nothing_returns_the_state_or_refuses_an_empty_record() -> None:
    state = fold([make_op()])
    assert apply_ops(state, []) is state
    with pytest.raises(ValueError, match="no state to return"):
        apply_ops(None, [])


def test_apply_ops_raises_at_the_first_bad_op_and_leaves_the_given_state_alone() -> None:
    state = fold([make_op(id=make_id(1))])
    before = state_to_json(state)
    with pytest.raises(OpConflictError):
        apply_ops(state, [make_op(id=make_id(2), clock=make_clock(1)), make_op(id=make_id(1), replica="x")])
    assert state_to_json(state) == before


def _write(op: int, at: int, value: object = "v") -> Write:
    return Write(value=value, clock=make_clock(at), replica="a", op=make_id(op), author=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        (("date", Register((_write(1, 0),))), ("notes", Register((_write(1, 5),)))),
        (("notes", Register((_write(1, 0), _write(1, 0, "again")))),),
    ],
    ids=["one-op-two-clocks", "one-op-twice-in-a-register"],
)
def test_a_builder_refuses_a_state_that_shows_one_op_inconsistently(
    fields: tuple[tuple[str, Register], ...],
) -> None:
    state = RecordState(id=RECORD, type="visit", household="hh-1", fields=fields)
    with pytest.raises(OpConflictError, match="twice with different content"):
        StateBuilder(state)


def test_a_builder_refuses_a_state_whose_log_entry_reuses_a_field_writes_op_id() -> None:
    state = apply_op(None, make_op(id=make_id(1)))
    entry = apply_op(None, make_op(id=make_id(1), kind="append")).logs
    with pytest.raises(OpConflictError, match="log 'log'"):
        StateBuilder(RecordState(state.id, state.type, state.household, state.fields, entry))


def test_a_builder_refuses_a_state_with_one_op_id_in_two_logs() -> None:
    first = apply_op(None, make_op(id=make_id(1), kind="append", field="log"))
    second = apply_op(None, make_op(id=make_id(1), kind="append", field="notes_log"))
    with pytest.raises(OpConflictError, match="again in log 'notes_log'"):
        StateBuilder(RecordState(first.id, first.type, first.household, logs=first.logs + second.logs))


def test_an_append_reusing_an_entry_id_with_another_stamp_names_the_difference() -> None:
    state = apply_op(None, make_op(id=make_id(1), kind="append", value="x"))
    with pytest.raises(OpConflictError, match="another clock"):
        apply_op(state, make_op(id=make_id(1), kind="append", value="x", clock=make_clock(7)))
    with pytest.raises(OpConflictError, match=r"another log \('log', now 'other'\)"):
        apply_op(state, make_op(id=make_id(1), kind="append", value="x", field="other"))
