from __future__ import annotations

import pytest

from sync import (
    Op,
    OpConflictError,
    RecordMismatchError,
    RecordState,
    apply_op,
    merge_states,
    state_to_json,
)
from tests.sync.factories import RECORD, make_clock, make_id, make_op


def fold(*ops: Op) -> RecordState:
    state: RecordState | None = None
    for op in ops:
        state = apply_op(state, op)
    assert state is not None
    return state


def set_op(n: int, at: int, replica: str = "a", **fields: object) -> Op:
    return make_op(id=make_id(n), clock=make_clock(at), replica=replica, fields=fields)


def test_apply_op_to_nothing_creates_the_record() -> None:
    state = apply_op(None, set_op(1, 0, notes="x", items=["policy"]))
    assert (state.id, state.type, state.household) == (RECORD, "visit", "hh-0f3a9c2e5b7d")
    assert state.values() == {"items": ["policy"], "notes": "x"}
    assert state.logs == () and state.deleted is None and not state.is_deleted


def test_the_write_with_the_greatest_clock_wins_and_the_loser_is_kept() -> None:
    older, newer = set_op(1, 0, notes="old"), set_op(2, 5, replica="b", notes="new")
    register = fold(newer, older).field("notes")
    assert register is not None
    assert register.value == "new"
    assert [w.op for w in register.overwritten] == [older.id]


@pytest.mark.parametrize(
    ("first", "second", "winner"),
    [
        (set_op(1, 0, replica="b", notes="b"), set_op(2, 0, replica="a", notes="a"), "b"),
        (set_op(2, 0, replica="a", notes="id 2"), set_op(1, 0, replica="a", notes="id 1"), "id 2"),
        (set_op(1, 0, replica="a", notes="later counter"), set_op(2, 0, replica="z", notes="z"), "z"),
    ],
    ids=["replica-breaks-a-clock-tie", "op-id-breaks-a-clock-and-replica-tie", "replica-beats-id"],
)
def test_ties_are_broken_by_replica_then_op_id(first: Op, second: Op, winner: str) -> None:
    assert fold(first, second).values()["notes"] == winner
    assert fold(second, first).values()["notes"] == winner


def test_a_set_writes_only_the_fields_it_names() -> None:
    state = fold(set_op(1, 0, notes="n", date="2025-11-21"), set_op(2, 1, notes="m"))
    assert state.values() == {"date": "2025-11-21", "notes": "m"}
    date = state.field("date")
    assert date is not None and date.overwritten == ()


def test_appends_all_survive_in_clock_replica_id_order() -> None:
    ops = [
        make_op(kind="append", id=make_id(3), clock=make_clock(5), replica="b", value="b5"),
        make_op(kind="append", id=make_id(1), clock=make_clock(5), replica="a", value="a5"),
        make_op(kind="append", id=make_id(2), clock=make_clock(1), replica="z", value="z1"),
    ]
    assert [entry.value for entry in fold(*ops).log("log")] == ["z1", "a5", "b5"]
    assert fold(*ops).log("other") == ()


def test_delete_and_restore_are_a_last_writer_wins_tombstone_over_kept_fields() -> None:
    created = set_op(1, 0, notes="kept")
    deleted = make_op(kind="delete", id=make_id(2), clock=make_clock(1))
    restored = make_op(kind="restore", id=make_id(3), clock=make_clock(2), replica="b")
    assert fold(created, deleted).is_deleted
    assert fold(created, deleted).values() == {"notes": "kept"}
    assert not fold(restored, created, deleted).is_deleted


def test_a_set_after_a_delete_updates_fields_but_does_not_restore() -> None:
    state = fold(make_op(kind="delete", id=make_id(1)), set_op(2, 9, notes="late"))
    assert state.is_deleted and state.values() == {"notes": "late"}


def test_applying_an_op_twice_returns_an_equal_state() -> None:
    op = set_op(1, 0, notes="x")
    once = apply_op(None, op)
    assert apply_op(once, op) == once
    assert (
        apply_op(once, make_op(id=op.id, clock=op.clock, replica=op.replica, fields={"notes": "x"})) == once
    )


def test_the_server_copy_fills_in_the_author_of_a_client_copy_everywhere() -> None:
    op = set_op(1, 0, notes="x", date="2025-11-21")
    state = apply_op(apply_op(None, op), op.with_author(7))
    assert {register.winner.author for _, register in state.fields} == {7}
    assert state == apply_op(None, op.with_author(7))
    assert apply_op(state, op) == state


@pytest.mark.parametrize(
    "other",
    [
        make_op(id=make_id(1), fields={"notes": "different"}),
        make_op(id=make_id(1), clock=make_clock(1)),
        make_op(id=make_id(1), replica="b"),
        make_op(id=make_id(1), kind="delete"),
        make_op(id=make_id(1), fields={"notes": "老人身体尚好"}, author=9),
    ],
    ids=["other-value", "other-clock", "other-replica", "other-kind", "other-author"],
)
def test_an_op_id_reused_with_other_content_is_an_op_conflict(other: Op) -> None:
    state = apply_op(None, make_op(id=make_id(1), author=7))
    with pytest.raises(OpConflictError) as excinfo:
        apply_op(state, other)
    assert excinfo.value.code == "op_conflict"
    assert make_id(1) in excinfo.value.message


def test_true_and_one_are_different_values_for_conflict_detection() -> None:
    state = apply_op(None, make_op(fields={"notes": True}))
    with pytest.raises(OpConflictError):
        apply_op(state, make_op(fields={"notes": 1}))


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"record": make_id(50)}, "record"),
        ({"type": "task"}, "type"),
        ({"household": "hh-other"}, "household"),
    ],
    ids=["other-record", "other-type", "other-household"],
)
def test_an_op_of_another_record_type_or_household_is_a_record_mismatch(
    overrides: dict[str, object], named: str
) -> None:
    state = apply_op(None, make_op())
    with pytest.raises(RecordMismatchError) as excinfo:
        apply_op(state, make_op(id=make_id(2), **overrides))
    assert excinfo.value.code == "record_mismatch"
    assert isinstance(excinfo.value, ValueError)
    assert f"{named} {overrides[named]!r}" in excinfo.value.message


def test_apply_op_does_not_change_the_state_it_was_given() -> None:
    state = apply_op(None, set_op(1, 0, notes="x"))
    before = state_to_json(state)
    apply_op(state, set_op(2, 1, notes="y"))
    assert state_to_json(state) == before


def test_merge_states_is_the_state_of_the_union() -> None:
    a_ops = [set_op(1, 0, notes="a"), make_op(kind="append", id=make_id(2), clock=make_clock(1))]
    b_ops = [set_op(3, 2, replica="b", notes="b"), make_op(kind="delete", id=make_id(4), clock=make_clock(1))]
    assert merge_states(fold(*a_ops), fold(*b_ops)) == fold(*a_ops, *b_ops)


def test_merge_states_raises_on_another_record() -> None:
    with pytest.raises(RecordMismatchError, match="the other state has record"):
        merge_states(fold(make_op()), fold(make_op(record=make_id(50))))


def test_merge_states_raises_on_an_op_conflict() -> None:
    with pytest.raises(OpConflictError):
        merge_states(fold(make_op()), fold(make_op(fields={"notes": "other"})))
