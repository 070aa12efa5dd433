"""Record state: the merge of a set of ops, and the two ways to grow it (``apply_op``, ``merge_states``).

A state is a pure function of the *set* of ops folded into it, whatever their order or repetition: each
field is a register holding every write to it sorted by the total order (clock, replica, op id), whose
greatest write is the value; each log holds every appended entry in that order; the tombstone is one more
register. Set union is commutative, associative and idempotent, so states form a join-semilattice and
replicas that have seen the same ops hold equal states (sync/INTERNALS.md explains why this is enough).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sync.errors import OpConflictError, RecordMismatchError
from sync.json_value import JSON
from sync.op import Op, op_digest

__all__ = ["LogEntry", "RecordState", "Register", "Write", "apply_op", "merge_states"]

_T = TypeVar("_T")
Stamp = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Write:
    """One write to a register: the value and the stamp of the op that wrote it."""

    value: JSON
    clock: str
    replica: str
    op: str
    author: int | None

    @property
    def stamp(self) -> Stamp:
        return (self.clock, self.replica, self.op)


@dataclass(frozen=True, slots=True)
class Register:
    """A last-writer-wins register that keeps its losers: every write, ascending by stamp."""

    writes: tuple[Write, ...]

    @property
    def winner(self) -> Write:
        """The write with the greatest (clock, replica, op id): it decides the value."""
        return self.writes[-1]

    @property
    def value(self) -> JSON:
        return self.writes[-1].value

    @property
    def overwritten(self) -> tuple[Write, ...]:
        """Every losing write, ascending; concurrent or not (an HLC does not capture causality)."""
        return self.writes[:-1]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry an ``append`` op added to a log; its id is the op's id."""

    id: str
    value: JSON
    clock: str
    replica: str
    author: int | None

    @property
    def stamp(self) -> Stamp:
        return (self.clock, self.replica, self.id)


@dataclass(frozen=True, slots=True)
class RecordState:
    """The materialized record (docs/sync-protocol.md §3.3), immutable.

    ``fields`` and ``logs`` are ``(name, ...)`` pairs sorted by name. ``ops`` holds every op folded in,
    sorted by id, with ``digests`` parallel to it: the index that detects an op id reused with other
    content. Both are derived from the rest, so :func:`~sync.state_json.state_from_json` rebuilds them.
    """

    id: str
    type: str
    household: str
    fields: tuple[tuple[str, Register], ...] = ()
    logs: tuple[tuple[str, tuple[LogEntry, ...]], ...] = ()
    deleted: Register | None = None
    ops: tuple[Op, ...] = ()
    digests: tuple[str, ...] = dataclasses.field(default=(), repr=False)

    @property
    def is_deleted(self) -> bool:
        """Whether the tombstone register's value is ``True`` (fields and logs are still kept)."""
        return self.deleted is not None and self.deleted.value is True

    def field(self, name: str) -> Register | None:
        return _lookup(self.fields, name)

    def log(self, name: str) -> tuple[LogEntry, ...]:
        return _lookup(self.logs, name) or ()

    def values(self) -> dict[str, JSON]:
        """The current value of every field, by name."""
        return {name: register.value for name, register in self.fields}


def apply_op(state: RecordState | None, op: Op) -> RecordState:
    """Return ``state`` with ``op`` folded in (``None`` is the empty state of ``op.record``).

    Applying an op that is already in the state returns an equal state; if the state's copy has no author
    and ``op`` has one, the author is filled in. Raises :class:`~sync.errors.RecordMismatchError` when
    ``op`` names another record, type or household, and :class:`~sync.errors.OpConflictError` when an op
    with ``op.id`` was applied with different content or another author.
    """
    if state is None:
        state = RecordState(id=op.record, type=op.type, household=op.household)
    _check_same_record(state, op.record, op.type, op.household, what=f"op {op.id!r}")
    return _apply(state, op, op_digest(op))


def merge_states(a: RecordState, b: RecordState) -> RecordState:
    """The join of two states of one record: the state of the union of their op sets.

    Commutative, associative and idempotent. Raises the same errors as :func:`apply_op`.
    """
    _check_same_record(a, b.id, b.type, b.household, what="the other state")
    if len(b.ops) > len(a.ops):
        a, b = b, a
    for op, digest in zip(b.ops, b.digests, strict=True):
        a = _apply(a, op, digest)
    return a


def _check_same_record(state: RecordState, record: str, type_: str, household: str, *, what: str) -> None:
    mismatches = [
        f"{name} {theirs!r} where the state has {ours!r}"
        for name, ours, theirs in (
            ("record", state.id, record),
            ("type", state.type, type_),
            ("household", state.household, household),
        )
        if ours != theirs
    ]
    if mismatches:
        raise RecordMismatchError(f"{what} has {'; '.join(mismatches)}")


def _apply(state: RecordState, op: Op, digest: str) -> RecordState:
    i = bisect_left(state.ops, op.id, key=_op_id)
    if i < len(state.ops) and state.ops[i].id == op.id:
        existing = state.ops[i]
        if state.digests[i] != digest:
            raise OpConflictError(
                f"op {op.id!r} was applied before with other content (digest {state.digests[i][:16]}…, "
                f"now {digest[:16]}…)"
            )
        if op.author is None or op.author == existing.author:
            return state
        if existing.author is not None:
            raise OpConflictError(
                f"op {op.id!r} was applied before with author {existing.author}, now {op.author}"
            )
        return _place(dataclasses.replace(state, ops=_replace_at(state.ops, i, op)), op)
    return _place(
        dataclasses.replace(
            state, ops=_insert_at(state.ops, i, op), digests=_insert_at(state.digests, i, digest)
        ),
        op,
    )


def _place(state: RecordState, op: Op) -> RecordState:
    """Put the write(s) of ``op`` into the state, replacing an earlier copy of the same op."""
    if op.kind == "append":
        assert op.field is not None
        entry = LogEntry(id=op.id, value=op.value, clock=op.clock, replica=op.replica, author=op.author)
        entries = _upsert(state.log(op.field), entry, _entry_stamp)
        return dataclasses.replace(state, logs=_put(state.logs, op.field, entries))
    if op.kind == "set":
        assert op.fields is not None
        fields = state.fields
        for name, value in op.fields.items():
            write = Write(value=value, clock=op.clock, replica=op.replica, op=op.id, author=op.author)
            fields = _put(fields, name, _write_into(_lookup(fields, name), write))
        return dataclasses.replace(state, fields=fields)
    write = Write(value=op.kind == "delete", clock=op.clock, replica=op.replica, op=op.id, author=op.author)
    return dataclasses.replace(state, deleted=_write_into(state.deleted, write))


def _write_into(register: Register | None, write: Write) -> Register:
    return Register(_upsert(register.writes if register else (), write, _write_stamp))


def _op_id(op: Op) -> str:
    return op.id


def _write_stamp(write: Write) -> Stamp:
    return write.stamp


def _entry_stamp(entry: LogEntry) -> Stamp:
    return entry.stamp


def _upsert(items: tuple[_T, ...], item: _T, key: Callable[[_T], Stamp]) -> tuple[_T, ...]:
    i = bisect_left(items, key(item), key=key)
    if i < len(items) and key(items[i]) == key(item):
        return _replace_at(items, i, item)
    return _insert_at(items, i, item)


def _lookup(pairs: tuple[tuple[str, _T], ...], name: str) -> _T | None:
    i = bisect_left(pairs, name, key=_first)
    return pairs[i][1] if i < len(pairs) and pairs[i][0] == name else None


def _put(pairs: tuple[tuple[str, _T], ...], name: str, value: _T) -> tuple[tuple[str, _T], ...]:
    i = bisect_left(pairs, name, key=_first)
    if i < len(pairs) and pairs[i][0] == name:
        return _replace_at(pairs, i, (name, value))
    return _insert_at(pairs, i, (name, value))


def _first(pair: tuple[str, object]) -> str:
    return pair[0]


def _insert_at(items: tuple[_T, ...], i: int, item: _T) -> tuple[_T, ...]:
    return (*items[:i], item, *items[i:])


def _replace_at(items: tuple[_T, ...], i: int, item: _T) -> tuple[_T, ...]:
    return (*items[:i], item, *items[i + 1 :])
