"""Who may read a record: the one rule, in Python and as SQL (docs/sync-protocol.md §3.4 and §7).

A member may read a record when the grid of its household is in the member's scope and, if the record is
restricted (mediation notes 矛盾调解), when the member is one of its readers — the members its readers field
names (the mediators) and the member who created it — or a coordinator (community, street, admin) whose
scope holds the grid. Grid leaders, liaisons and members of the same grid do not learn that it exists.

Every reader asks here, so the rule is written once:

- :func:`may_read` — Python, for a record in hand (record reads; push, for the state a batch is building);
- :func:`readable_records` — its SQL twin over ``records`` (the console's lists and counts, exports);
- :func:`readable_ops` — its SQL twin over ``ops`` (pull, which builds its statements on it once and runs
  them with :func:`reader_params`).

The Python rule reads the readers from the record's state; the SQL twins read them from ``record_access``,
which push keeps equal to that set in the same transaction as the ops. ``tests/server/test_access.py``
holds every reader to one table of role × record × expected visibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_
from sqlalchemy.orm import InstrumentedAttribute

from server.auth.principal import Principal
from server.domain.record_types import RECORD_TYPES, readers
from server.models import OpRow, RecordAccess, RecordRow
from sync import state_from_storage

__all__ = [
    "RecordFacts",
    "facts_of_row",
    "may_read",
    "readable_ops",
    "readable_records",
    "reader_params",
    "record_facts",
]


@dataclass(frozen=True)
class RecordFacts:
    """What the rule needs to know about one record.

    ``readers`` matters only for a restricted record: the member ids its readers field names, and its creator.
    """

    grid_id: int
    restricted: bool
    readers: frozenset[int] = frozenset()


def record_facts(
    *, record_type: str, grid_id: int, created_by: int, values: Mapping[str, object]
) -> RecordFacts:
    """The facts of a record of ``record_type`` whose fields currently hold ``values``."""
    kind = RECORD_TYPES.get(record_type)
    if kind is None or not kind.restricted:
        return RecordFacts(grid_id=grid_id, restricted=False)
    return RecordFacts(grid_id=grid_id, restricted=True, readers=readers(kind, values) | {created_by})


def facts_of_row(row: RecordRow) -> RecordFacts:
    """The facts of a stored record (its state JSON is read only when the record is restricted)."""
    if not row.restricted:
        return RecordFacts(grid_id=row.grid_id, restricted=False)
    values = state_from_storage(row.state).values()
    return record_facts(record_type=row.type, grid_id=row.grid_id, created_by=row.created_by, values=values)


def may_read(principal: Principal, record: RecordFacts) -> bool:
    """Whether ``principal`` may read ``record`` now. Not being allowed looks like not existing (404)."""
    if record.grid_id not in principal.grid_ids:
        return False
    if not record.restricted or principal.is_coordinator:
        return True
    return principal.member_id in record.readers


def _readable(
    principal: Principal | None,
    *,
    coordinator: bool,
    grid_id: InstrumentedAttribute[int],
    restricted: InstrumentedAttribute[bool],
    record_id: InstrumentedAttribute[str],
) -> ColumnElement[bool]:
    """The rule as SQL. With ``principal`` its values are bound in; without, the statement is built once
    and takes them at execution as :func:`reader_params` (``scope_grids`` and ``reader``)."""
    grids = None if principal is None else sorted(principal.grid_ids)
    in_scope = grid_id.in_(bindparam("scope_grids", grids, expanding=True))
    if coordinator:
        return in_scope
    is_reader = exists().where(
        RecordAccess.record_id == record_id,
        RecordAccess.member_id == bindparam("reader", None if principal is None else principal.member_id),
        RecordAccess.revoked_seq.is_(None),
    )
    return and_(in_scope, or_(restricted.is_(False), is_reader))


def reader_params(principal: Principal) -> dict[str, object]:
    """The values a statement built on :func:`readable_ops` (without a principal) takes for ``principal``."""
    params: dict[str, object] = {"scope_grids": sorted(principal.grid_ids)}
    if not principal.is_coordinator:
        params["reader"] = principal.member_id
    return params


def readable_records(principal: Principal) -> ColumnElement[bool]:
    """SQL twin of :func:`may_read` over ``records``: ``select(RecordRow).where(readable_records(p))``."""
    return _readable(
        principal, coordinator=principal.is_coordinator,
        grid_id=RecordRow.grid_id, restricted=RecordRow.restricted, record_id=RecordRow.id,
    )  # fmt: skip


def readable_ops(coordinator: bool, principal: Principal | None = None) -> ColumnElement[bool]:
    """SQL twin of :func:`may_read` over ``ops`` rows, for a coordinator or not: with ``principal`` its values
    are bound in; without, a statement is built once on it and run with :func:`reader_params` (pull)."""
    return _readable(
        principal, coordinator=coordinator,
        grid_id=OpRow.grid_id, restricted=OpRow.restricted, record_id=OpRow.record_id,
    )  # fmt: skip
