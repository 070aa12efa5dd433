"""``StateBuilder``: the merge rules, applied to one private mutable copy of a record state.

Every way of growing a state goes through here — :func:`~sync.state.apply_op`, :func:`~sync.state.apply_ops`
and :func:`~sync.state.merge_states` — so the rules exist once. A builder holds each register as a list of
at most ``MAX_OVERWRITTEN + 1`` writes ascending by stamp, each log as a list, and an index from op id to
what the state still shows of that op (its kind, stamp, author and the fields it is visible in). The index
is derived: it is rebuilt from a state's writes when a builder starts from one, and kept up to date as
writes come in and drop out, so a state never carries it.

Log entries, which never drop out and can be many, are indexed more cheaply: op id → log name.

An op the state still shows can be checked for reuse: the same id with other content is an
``op_conflict``. An op whose every write has dropped out is forgotten; if it comes again it is folded in
again and drops out again, which changes nothing (sync/INTERNALS.md, "Why merge converges").

An ``erase`` op empties the builder into a husk that keeps only the erase op's stamp; from then on every
other op of the record is absorbed (changes nothing), and of two erase ops the greater stamp stays
(sync/INTERNALS.md, "Erasure").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from typing import Final

from sync.errors import OpConflictError, RecordMismatchError
from sync.json_value import JSON, canonical_json
from sync.op import Kind, Op
from sync.record import MAX_OVERWRITTEN, Erasure, LogEntry, RecordState, Register, Stamp, Write

__all__ = ["StateBuilder"]

KEEP: Final = MAX_OVERWRITTEN + 1
"""Writes a register keeps: the winner and ``MAX_OVERWRITTEN`` losers."""
NAMES: Final = ("record", "type", "household")


class _Seen:
    """What a state shows of one op: ``places`` is the set of fields a ``set`` op is visible in, the log
    an ``append`` went to, or ``None`` for ``delete`` / ``restore`` (the tombstone register)."""

    __slots__ = ("author", "clock", "kind", "places", "replica")

    def __init__(
        self, kind: Kind, clock: str, replica: str, author: int | None, places: set[str] | str | None
    ) -> None:
        self.kind = kind
        self.clock = clock
        self.replica = replica
        self.author = author
        self.places = places


class StateBuilder:
    """A mutable record state that ops and other states are folded into; :meth:`state` freezes it.

    ``StateBuilder(state)`` copies ``state`` (``None``: an empty record whose id, type and household the
    first op decides). :meth:`apply` and :meth:`merge` follow exactly the rules of
    :func:`~sync.state.apply_op` and :func:`~sync.state.merge_states` and either succeed or raise leaving
    the builder as it was, so one bad op can be refused while the rest of a batch goes on. Reading a
    state after each op is cheap: registers that did not change are reused, not copied.
    """

    __slots__ = (
        "_deleted",
        "_entries",
        "_erased",
        "_fields",
        "_frozen",
        "_frozen_fields",
        "_frozen_logs",
        "_head",
        "_logs",
        "_seen",
    )

    def __init__(self, state: RecordState | None = None) -> None:
        self._head: tuple[str, str, str] | None = None
        self._fields: dict[str, list[Write]] = {}
        self._logs: dict[str, list[LogEntry]] = {}
        self._deleted: list[Write] = []
        self._seen: dict[str, _Seen] = {}  # ops with writes in registers
        self._entries: dict[str, str] = {}  # append ops: op id -> log
        self._erased: Erasure | None = None  # set: the builder is a husk and absorbs every other op
        # Frozen forms of the registers and logs that did not change since they were frozen.
        self._frozen_fields: dict[str, Register] = {}
        self._frozen_logs: dict[str, tuple[LogEntry, ...]] = {}
        self._frozen: RecordState | None = state
        if state is not None:
            self._thaw(state)

    @property
    def id(self) -> str | None:
        return self._head[0] if self._head else None

    @property
    def type(self) -> str | None:
        return self._head[1] if self._head else None

    @property
    def household(self) -> str | None:
        return self._head[2] if self._head else None

    @property
    def is_deleted(self) -> bool:
        return bool(self._deleted) and self._deleted[-1].value is True

    @property
    def is_erased(self) -> bool:
        return self._erased is not None

    def values(self) -> dict[str, JSON]:
        """The current value of every field, by name, as :meth:`RecordState.values` gives it."""
        return {name: writes[-1].value for name, writes in sorted(self._fields.items())}

    def apply(self, op: Op) -> None:
        """Fold ``op`` in; raises as :func:`~sync.state.apply_op` does, and then changes nothing."""
        self._check_record(op.record, op.type, op.household, f"op {op.id!r}")
        if op.kind == "erase":
            self._erase(Erasure(op.id, op.clock, op.replica, op.author))
            return
        if self._erased is not None:
            self._absorb(op.id, op.kind)
            return
        prior = self._prior(op.id, op.stamp)
        if prior is None:
            self._add(op)
        else:
            self._again(prior, op, None)

    def merge(self, other: RecordState) -> None:
        """Fold in every op ``other`` shows; raises as :func:`~sync.state.merge_states` does.

        Unlike :meth:`apply`, an error may leave the ops of ``other`` before the failing one folded in.
        """
        self._check_record(other.id, other.type, other.household, "the other state")
        if other.erased is not None:
            self._erase(other.erased)
            return
        source = StateBuilder(other)
        if self._erased is not None:
            if self._erased.op in source._seen or self._erased.op in source._entries:
                self._absorb(self._erased.op, "another")
            return
        for op in source._views():
            prior = self._prior(op.id, op.stamp)
            if prior is None:
                self._add(op)
            else:
                self._again(prior, op, source)

    def state(self) -> RecordState:
        """The state as it stands, immutable (the builder can go on)."""
        if self._frozen is not None:
            return self._frozen
        if self._head is None:
            raise ValueError("no state to return: the builder started empty and no op was applied")
        if self._erased is not None:
            record, type_, household = self._head
            self._frozen = RecordState(record, type_, household, erased=self._erased)
            return self._frozen
        frozen_fields, frozen_logs = self._frozen_fields, self._frozen_logs
        fields = []
        for name, writes in sorted(self._fields.items()):
            register = frozen_fields.get(name)
            if register is None:
                register = frozen_fields[name] = Register(tuple(writes))
            fields.append((name, register))
        logs = []
        for name, entries in sorted(self._logs.items()):
            frozen = frozen_logs.get(name)
            if frozen is None:
                frozen = frozen_logs[name] = tuple(entries)
            logs.append((name, frozen))
        record, type_, household = self._head
        deleted = Register(tuple(self._deleted)) if self._deleted else None
        self._frozen = RecordState(record, type_, household, tuple(fields), tuple(logs), deleted)
        return self._frozen

    # -- reading a state in -------------------------------------------------------------------------

    def _thaw(self, state: RecordState) -> None:
        self._head = (state.id, state.type, state.household)
        if state.erased is not None:
            self._erased = state.erased  # a husk: nothing else to read
            return
        for name, register in state.fields:
            self._fields[name] = list(register.writes)
            self._frozen_fields[name] = register
            for write in register.writes:
                self._see(write.op, "set", write.clock, write.replica, write.author, name)
        if state.deleted is not None:
            self._deleted = list(state.deleted.writes)
            for write in self._deleted:
                kind: Kind = "delete" if write.value is True else "restore"
                self._see(write.op, kind, write.clock, write.replica, write.author, None)
        count = 0
        for name, entries in state.logs:
            self._logs[name] = list(entries)
            self._frozen_logs[name] = entries
            self._entries.update(dict.fromkeys([entry.id for entry in entries], name))
            count += len(entries)
        if len(self._entries) < count or not self._entries.keys().isdisjoint(self._seen):
            self._find_reused_entry_id(state)

    def _find_reused_entry_id(self, state: RecordState) -> None:
        """Raise naming the log entry whose op id the state also shows elsewhere."""
        places: dict[str, str] = {}
        for name, entries in state.logs:
            for entry in entries:
                if entry.id in self._seen or entry.id in places:
                    again = f"again in log {name!r}"
                    raise OpConflictError(
                        f"the state holds op {entry.id!r} twice with different content ({again})"
                    )
                places[entry.id] = name

    def _see(
        self, op_id: str, kind: Kind, clock: str, replica: str, author: int | None, place: str | None
    ) -> None:
        seen = self._seen.get(op_id)
        if seen is None:
            self._seen[op_id] = _Seen(kind, clock, replica, author, None if place is None else {place})
            return
        # Only a set op shows up in more than one place, and all its writes share one stamp and author.
        if (
            kind == "set"
            and seen.kind == "set"
            and (seen.clock, seen.replica, seen.author) == (clock, replica, author)
            and isinstance(seen.places, set)
            and place is not None
            and place not in seen.places
        ):
            seen.places.add(place)
            return
        where = f"field {place!r}" if kind == "set" else "deleted"
        raise OpConflictError(f"the state holds op {op_id!r} twice with different content (again in {where})")

    def _prior(self, op_id: str, stamp: Stamp) -> _Seen | None:
        """What the state shows of op ``op_id`` (whose copy at hand has ``stamp``), or ``None``."""
        seen = self._seen.get(op_id)
        if seen is not None:
            return seen
        name = self._entries.get(op_id)
        if name is None:
            return None
        entry = self._entry_of(name, op_id, stamp)
        return _Seen("append", entry.clock, entry.replica, entry.author, name)

    def _views(self) -> list[Op]:
        """The ops this state shows, each with only the writes it still has (a set op may have lost some)."""
        record, type_, household = self._head or ("", "", "")
        if self._erased is not None:
            erased = self._erased
            return [
                Op(
                    erased.op,
                    record,
                    type_,
                    household,
                    erased.clock,
                    erased.replica,
                    "erase",
                    author=erased.author,
                )
            ]
        ops = []
        appended = [
            (entry.id, _Seen("append", entry.clock, entry.replica, entry.author, name))
            for name, entries in self._logs.items()
            for entry in entries
        ]
        for op_id, seen in [*self._seen.items(), *appended]:
            fields: dict[str, JSON] | None = None
            field: str | None = None
            value: JSON = None
            if isinstance(seen.places, set):
                fields = {name: self._write_of(name, op_id).value for name in sorted(seen.places)}
            elif isinstance(seen.places, str):
                field = seen.places
                value = self._entry_of(field, op_id, (seen.clock, seen.replica, op_id)).value
            stamp = (seen.clock, seen.replica, seen.kind)
            op = Op(op_id, record, type_, household, *stamp, fields=fields, field=field, value=value)
            ops.append(op if seen.author is None else op.with_author(seen.author))
        return ops

    # -- folding an op in ---------------------------------------------------------------------------

    def _check_record(self, record: str, type_: str, household: str, what: str) -> None:
        head = self._head
        if head is None:
            self._head = (record, type_, household)
            return
        if head == (record, type_, household):
            return
        mismatches = [
            f"{name} {theirs!r} where the state has {ours!r}"
            for name, ours, theirs in zip(NAMES, head, (record, type_, household), strict=True)
            if ours != theirs
        ]
        raise RecordMismatchError(f"{what} has {'; '.join(mismatches)}")

    def _erase(self, erasure: Erasure) -> None:
        """Fold in an erase op: the record becomes a husk of the greatest erase stamp seen.

        An erase op is the absorbing element of the join: whatever else the state held goes, and every
        other op that comes later changes nothing, so the husk is the same in every delivery order. Its id
        must not be one the state shows for another op (``op_conflict``), as for any op.
        """
        current = self._erased
        if current is None:
            prior = self._prior(erasure.op, erasure.stamp)
            if prior is not None:
                raise OpConflictError(
                    f"op {erasure.op!r} is already in record {self.id} "
                    f"with another kind ({prior.kind}, now erase)"
                )
            self._fields.clear()
            self._logs.clear()
            self._deleted = []
            self._seen.clear()
            self._entries.clear()
            self._frozen_fields.clear()
            self._frozen_logs.clear()
        elif current.op == erasure.op:
            differ = [key for key in ("clock", "replica") if getattr(current, key) != getattr(erasure, key)]
            if current.author is not None and erasure.author is not None and current.author != erasure.author:
                differ.append(f"author ({current.author}, now {erasure.author})")
            if differ:
                raise OpConflictError(
                    f"op {erasure.op!r} is already in record {self.id} with another {', '.join(differ)}"
                )
            if current.author is not None or erasure.author is None:
                return
        elif erasure.stamp < current.stamp:
            return
        self._erased = erasure
        self._frozen = None

    def _absorb(self, op_id: str, kind: str) -> None:
        """An op reaches a husk: it changes nothing, unless it reuses the erase op's id."""
        assert self._erased is not None
        if op_id == self._erased.op:
            raise OpConflictError(
                f"op {op_id!r} is already in record {self.id} with another kind (erase, now {kind})"
            )

    def _add(self, op: Op) -> None:
        """Fold in an op this state does not show: its writes go in, and the oldest drop out."""
        clock, replica, author, stamp = op.clock, op.replica, op.author, op.stamp
        places: set[str] | None = None
        if op.kind == "set":
            assert op.fields is not None
            places = set()
            for name, value in op.fields.items():
                write = Write(value, clock, replica, op.id, author)
                writes = self._fields.get(name)
                if writes is None:
                    self._fields[name] = [write]
                elif not self._insert(writes, write, stamp, name):
                    continue
                self._frozen_fields.pop(name, None)
                places.add(name)
            if not places:
                return
        elif op.kind == "append":
            assert op.field is not None
            entry = LogEntry(op.id, op.value, clock, replica, author)
            entries = self._logs.setdefault(op.field, [])
            if not entries or entries[-1].stamp < stamp:
                entries.append(entry)
            else:
                entries.insert(bisect_left(entries, stamp, key=_entry_stamp), entry)
            self._frozen_logs.pop(op.field, None)
            self._entries[op.id] = op.field
            self._frozen = None
            return
        else:
            write = Write(op.kind == "delete", clock, replica, op.id, author)
            if not self._deleted:
                self._deleted.append(write)
            elif not self._insert(self._deleted, write, stamp, None):
                return
        self._seen[op.id] = _Seen(op.kind, clock, replica, author, places)
        self._frozen = None

    def _insert(self, writes: list[Write], write: Write, stamp: Stamp, place: str | None) -> bool:
        """Put ``write`` into a register; keep the ``KEEP`` greatest. False if ``write`` itself dropped."""
        if writes[-1].stamp < stamp:
            at = len(writes)
            writes.append(write)
        else:
            at = bisect_left(writes, stamp, key=_write_stamp)
            writes.insert(at, write)
        if len(writes) <= KEEP:
            return True
        dropped = writes.pop(_victim(len(writes), at))
        if dropped is write:
            return False
        seen = self._seen[dropped.op]
        if isinstance(seen.places, set) and place is not None:
            seen.places.discard(place)
            if seen.places:
                return True
        del self._seen[dropped.op]
        return True

    def _again(self, prior: _Seen, op: Op, source: StateBuilder | None) -> None:
        """``op`` has an id the state shows: the same op again (maybe with its author now), or a conflict.

        ``source`` is the state ``op`` was read from when merging (then ``op`` may lack writes that
        ``source`` dropped); ``None`` when ``op`` is a whole op.
        """
        differ = self._differences(prior, op, source)
        if differ:
            raise OpConflictError(
                f"op {op.id!r} is already in record {self.id} with another {', '.join(differ)}"
            )
        if prior.author is None and op.author is not None:
            self._fill_author(op.id, prior, op.author)

    def _differences(self, prior: _Seen, op: Op, source: StateBuilder | None) -> list[str]:
        differ = [key for key in ("kind", "clock", "replica") if getattr(prior, key) != getattr(op, key)]
        if differ:
            return differ
        if prior.author is not None and op.author is not None and prior.author != op.author:
            differ.append(f"author ({prior.author}, now {op.author})")
        if isinstance(prior.places, set):
            differ += self._field_differences(prior.places, op, source)
        elif isinstance(prior.places, str):
            if prior.places != op.field:
                differ.append(f"log ({prior.places!r}, now {op.field!r})")
            elif not _same_json(self._entry_of(prior.places, op.id, op.stamp).value, op.value):
                differ.append("value")
        return differ

    def _field_differences(self, shown: set[str], op: Op, source: StateBuilder | None) -> list[str]:
        """Where a set op's fields disagree with what the state shows of it. A write may be missing on
        one side only if that side's register is full of greater writes (it would have dropped it)."""
        fields: Mapping[str, JSON] = op.fields or {}
        differ = []
        for name in sorted(shown):
            if name in fields:
                if not _same_json(self._write_of(name, op.id).value, fields[name]):
                    differ.append(f"value of field {name!r}")
            elif source is None or not _droppable(source._fields.get(name), op.stamp):
                differ.append(f"set of fields (without {name!r})")
        for name in sorted(fields):
            if name not in shown and not _droppable(self._fields.get(name), op.stamp):
                differ.append(f"set of fields (with {name!r})")
        return differ

    def _fill_author(self, op_id: str, prior: _Seen, author: int) -> None:
        """The server's copy of an op names its author; the replica's own copy had none."""
        if isinstance(prior.places, set):
            for name in prior.places:
                writes = self._fields[name]
                i = next(i for i, write in enumerate(writes) if write.op == op_id)
                old = writes[i]
                writes[i] = Write(old.value, old.clock, old.replica, op_id, author)
                self._frozen_fields.pop(name, None)
        elif isinstance(prior.places, str):
            entries = self._logs[prior.places]
            i = bisect_left(entries, (prior.clock, prior.replica, op_id), key=_entry_stamp)
            old_entry = entries[i]
            entries[i] = LogEntry(op_id, old_entry.value, old_entry.clock, old_entry.replica, author)
            self._frozen_logs.pop(prior.places, None)
        else:
            i = next(i for i, write in enumerate(self._deleted) if write.op == op_id)
            old = self._deleted[i]
            self._deleted[i] = Write(old.value, old.clock, old.replica, op_id, author)
        prior.author = author
        self._frozen = None

    def _write_of(self, name: str, op_id: str) -> Write:
        return next(write for write in self._fields[name] if write.op == op_id)

    def _entry_of(self, name: str, op_id: str, stamp: Stamp) -> LogEntry:
        """The entry of op ``op_id`` in log ``name``: at ``stamp`` if that is its stamp, else searched for."""
        entries = self._logs[name]
        i = bisect_left(entries, stamp, key=_entry_stamp)
        if i < len(entries) and entries[i].id == op_id:
            return entries[i]
        return next(entry for entry in entries if entry.id == op_id)


def _victim(size: int, inserted: int) -> int:
    """Which write an overfull register drops: the oldest (the tests plant other choices here)."""
    return 0


def _droppable(writes: Sequence[Write] | None, stamp: Stamp) -> bool:
    """Whether a register would not keep a write with ``stamp``: it is full of greater writes."""
    return writes is not None and len(writes) >= KEEP and stamp < writes[0].stamp


def _same_json(a: JSON, b: JSON) -> bool:
    """Equal as this library counts JSON values: by canonical encoding (``1`` is not ``1.0`` nor ``True``)."""
    return a is b or canonical_json(a) == canonical_json(b)


def _write_stamp(write: Write) -> Stamp:
    return write.stamp


def _entry_stamp(entry: LogEntry) -> Stamp:
    return entry.stamp
