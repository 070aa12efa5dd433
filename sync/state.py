"""Record state: the merge of a set of ops, and the ways to grow it (``apply_op``, ``apply_ops``,
``merge_states``).

A state is a pure function of the *set* of ops folded into it, whatever their order or repetition: each
field is a register holding the :data:`MAX_OVERWRITTEN` + 1 greatest writes to it by the total order
(clock, replica, op id), whose greatest write is the value; each log holds every appended entry in that
order; the tombstone is one more register. The k greatest of a union are the k greatest of the k greatest
of each part, so folding and merging stay commutative, associative and idempotent: states form a
join-semilattice and replicas that have seen the same ops hold equal states (sync/INTERNALS.md explains
why this is enough). The value types are in :mod:`sync.record`, the rules in :mod:`sync.builder`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync.builder import StateBuilder
from sync.op import Op
from sync.record import MAX_OVERWRITTEN, LogEntry, RecordState, Register, Write

__all__ = [
    "MAX_OVERWRITTEN",
    "LogEntry",
    "RecordState",
    "Register",
    "StateBuilder",
    "Write",
    "apply_op",
    "apply_ops",
    "merge_states",
]


def apply_op(state: RecordState | None, op: Op) -> RecordState:
    """Return ``state`` with ``op`` folded in (``None`` is the empty state of ``op.record``).

    Applying an op that the state still shows returns an equal state; if the state's copy has no author
    and ``op`` has one, the author is filled in. Raises :class:`~sync.errors.RecordMismatchError` when
    ``op`` names another record, type or household, and :class:`~sync.errors.OpConflictError` when the
    state shows an op with ``op.id`` and other content or another author.
    """
    builder = StateBuilder(state)
    builder.apply(op)
    return builder.state()


def apply_ops(state: RecordState | None, ops: Iterable[Op]) -> RecordState:
    """Fold every op of ``ops`` (all of one record) into ``state``: the same result as folding
    :func:`apply_op` over them, in less time, since it works on one private mutable copy.

    Raises what :func:`apply_op` raises, at the first op that fails; ``state`` is never changed. Raises
    ``ValueError`` when ``state`` is ``None`` and ``ops`` is empty (there is no record to return).
    """
    builder = StateBuilder(state)
    for op in ops:
        builder.apply(op)
    return builder.state()


def merge_states(a: RecordState, b: RecordState) -> RecordState:
    """The join of two states of one record: the state of the union of their op sets.

    Commutative, associative and idempotent. Raises the same errors as :func:`apply_op`.
    """
    if _size(b) > _size(a):
        a, b = b, a
    builder = StateBuilder(a)
    builder.merge(b)
    return builder.state()


def _size(state: RecordState) -> int:
    size = sum(len(register.writes) for _, register in state.fields)
    size += sum(len(entries) for _, entries in state.logs)
    return size + (len(state.deleted.writes) if state.deleted is not None else 0)
