"""Page 2, a record: its current state in words and its full history from the op log (issue 7).

The record and its ops come from :func:`server.services.records.record_history`, which applies the one
access rule (a record the coordinator may not read is answered 404, like the API). This module only puts
them into words: field and value labels from the declaration, member ids as names, and for every write of
a field, what became of it:

- ``current`` — it is the field's value now;
- ``overwritten`` — a later write (in merge order: clock, replica, op id) replaced it: "被 X 覆盖";
- ``lost`` — the write that replaced it had already reached the server when this one arrived, so this one
  never was the value anywhere but on its own phone: a concurrent write that lost (last writer wins).

The tombstone (delete / restore) is a register like a field and is shown the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.console.dates import OFFICE_TZ
from server.console.services.permissions import NotInScope
from server.console.services.record_labels import field_label, stage_label, type_label, value_label
from server.domain.declaration import RECORD_TYPES
from server.errors import NotFound
from server.models import Area, Device, Household, Member, RecordRow
from server.services.records import record_history
from sync import decode_clock

__all__ = ["Change", "RecordView", "Write", "record_view", "render_value"]

TOMBSTONE = "deleted"


@dataclass(frozen=True)
class Write:
    """One field (or tombstone) write of a change, and what became of it."""

    name: str
    label: str
    value: str
    status: str  # "current", "overwritten", "lost"; "appended" for a log entry
    by: str = ""  # who wrote the write that replaced it
    by_when: str = ""  # … on their device's clock


@dataclass(frozen=True)
class Change:
    """One op, as the history lists it."""

    op_id: str
    kind: str
    author: str
    device: str
    device_clock: str  # the op's HLC wall time, as the office's local time
    received_at: datetime
    writes: list[Write]


@dataclass(frozen=True)
class FieldNow:
    name: str
    label: str
    value: str
    author: str
    when: str
    losers: int  # how many writes this field has in the op log besides its value


@dataclass(frozen=True)
class LogNow:
    name: str
    label: str
    entries: list[tuple[str, str, str]]  # (device clock, author, entry in words)


@dataclass
class RecordView:
    id: str
    type: str
    type_label: str
    stage: str
    record_date: str | None
    deleted: bool
    restricted: bool
    grid: str
    address: str
    head: str
    phone: str
    creator: str
    fields: list[FieldNow] = field(default_factory=list)
    logs: list[LogNow] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def device_time(clock: str) -> str:
    """The wall time of an HLC stamp as local time (the clock of the phone that wrote it)."""
    wall, _ = decode_clock(clock)
    return datetime.fromtimestamp(wall / 1000, OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S")


def render_value(
    record_type: str, name: str, value: object, lang: str, t: Callable[..., str], names: Mapping[int, str]
) -> str:
    """A field's value or a log entry in words: value labels, member names, yes / no, lists joined."""
    spec = RECORD_TYPES[record_type].fields.get(name)
    if value is None:
        return t("record.cleared")
    if isinstance(value, bool):
        return t("record.yes") if value else t("record.no")
    if spec is not None and spec.holds_members and isinstance(value, list):
        return "、".join(names.get(v, f"#{v}") if isinstance(v, int) else str(v) for v in value)
    if isinstance(value, list):
        return "、".join(render_value(record_type, name, item, lang, t, names) for item in value)
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if key == "to_member" and isinstance(item, int):
                shown = names.get(item, f"#{item}")
            else:
                shown = value_label(record_type, name, item, lang) if isinstance(item, str) else str(item)
            parts.append(f"{t('entry.' + key)}：{shown}")
        return "；".join(parts)
    return value_label(record_type, name, value, lang)


def _member_ids(state: Mapping[str, Any], ops: list[dict[str, Any]]) -> set[int]:
    found = {op["author"] for op in ops}
    for op in ops:
        for value in [*(op.get("fields") or {}).values(), op.get("value")]:
            items = value if isinstance(value, list) else [value]
            found |= {v for v in items if type(v) is int}
            if isinstance(value, dict) and type(value.get("to_member")) is int:
                found.add(value["to_member"])
    return found


def _fates(
    ops: list[dict[str, Any]], names: Mapping[int, str]
) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(op id, field) → (status, by whom, when) for every register write, ops being in merge order."""
    writes: dict[str, list[dict[str, Any]]] = {}
    for op in ops:
        if op["kind"] == "set":
            for name in op["fields"]:
                writes.setdefault(name, []).append(op)
        elif op["kind"] in ("delete", "restore"):
            writes.setdefault(TOMBSTONE, []).append(op)
    fates: dict[tuple[str, str], tuple[str, str, str]] = {}
    for name, in_order in writes.items():
        for write, successor in zip(in_order, [*in_order[1:], None], strict=True):
            if successor is None:
                fates[(write["id"], name)] = ("current", "", "")
                continue
            lost = successor["received_at"] < write["received_at"]
            by = names.get(successor["author"], f"#{successor['author']}")
            fates[(write["id"], name)] = (
                "lost" if lost else "overwritten",
                by,
                device_time(successor["clock"]),
            )
    return fates


async def record_view(
    session: AsyncSession, principal: Principal, record_id: str, *, lang: str, t: Callable[..., str]
) -> RecordView:
    """The record in words, or :class:`NotInScope` (404) if it does not exist or may not be read."""
    try:
        history = await record_history(session, principal, record_id)
    except NotFound:
        raise NotInScope("record") from None
    state, ops = history["record"], history["ops"]
    row = await session.get(RecordRow, record_id)
    assert row is not None  # record_history found it
    record_type = state["type"]
    member_ids = _member_ids(state, ops) | {row.created_by}
    names = {
        key: value
        for key, value in await session.execute(
            select(Member.id, Member.name).where(Member.id.in_(member_ids))
        )
    }
    replicas = {op["replica"] for op in ops}
    devices = {
        key: value
        for key, value in await session.execute(
            select(Device.id, Device.label).where(Device.id.in_(replicas))
        )
    }
    household = await session.get(Household, row.household_id)
    grid = await session.get(Area, row.grid_id)

    def words(name: str, value: object) -> str:
        return render_value(record_type, name, value, lang, t, names)

    view = RecordView(
        id=record_id, type=record_type, type_label=type_label(record_type, lang),
        stage=stage_label(record_type, row.stage, lang, t), record_date=row.record_date, deleted=row.deleted,
        restricted=row.restricted, grid=grid.name if grid else "",
        address=household.address if household else row.household_id,
        head=household.head_name if household else "", phone=(household.phone or "") if household else "",
        creator=names.get(row.created_by, ""),
    )  # fmt: skip
    kind = RECORD_TYPES[record_type]
    written: dict[str, int] = {}
    for op in ops:
        for name in op.get("fields") or {}:
            written[name] = written.get(name, 0) + 1
    for name in kind.fields:
        register = state["fields"].get(name)
        if register is None:
            continue
        view.fields.append(
            FieldNow(
                name, field_label(record_type, name, lang), words(name, register["value"]),
                names.get(register.get("author") or 0, ""), device_time(register["clock"]),
                max(written.get(name, 1) - 1, 0),
            )
        )  # fmt: skip
    for name in kind.logs:
        entries = [
            (device_time(e["clock"]), names.get(e.get("author") or 0, ""), words(name, e["value"]))
            for e in state["logs"].get(name, [])
        ]
        view.logs.append(LogNow(name, field_label(record_type, name, lang), entries))

    fates = _fates(ops, names)
    for op in ops:
        if op["kind"] == "set":
            writes = [
                Write(name, field_label(record_type, name, lang), words(name, value),
                      *fates[(op["id"], name)])
                for name, value in op["fields"].items()
            ]  # fmt: skip
        elif op["kind"] == "append":
            label = field_label(record_type, op["field"], lang)
            writes = [Write(op["field"], label, words(op["field"], op["value"]), "appended")]
        else:
            status = fates[(op["id"], TOMBSTONE)]
            writes = [Write(TOMBSTONE, t("record.tombstone"), t(f"record.{op['kind']}"), *status)]
        view.changes.append(
            Change(
                op_id=op["id"], kind=op["kind"], author=names.get(op["author"], f"#{op['author']}"),
                device=devices.get(op["replica"], "") or op["replica"], device_clock=device_time(op["clock"]),
                received_at=datetime.fromisoformat(op["received_at"]), writes=writes,
            )
        )  # fmt: skip
    return view
