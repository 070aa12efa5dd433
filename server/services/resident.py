"""A resident's request 居民申请 (PIPL arts. 45 and 47): a copy of everything about their household, and its
erasure. ``lianhu resident export`` and ``lianhu resident erase`` call these; the console can too.

- :func:`export_household`: the household's facts, every record of it — its state and its whole history
  (every op, who wrote it and when the server received it) — and the erasures already made, as JSON;
  :func:`export_xlsx` writes the same as a workbook. Audited ``resident_exported``.
- :func:`erase_household`: every record of the household erased by erase ops (``services/erasure.py``),
  then the household's personal facts cleared, with one register entry for the facts. Audited
  ``resident_erased``. Who took the request must be a coordinator (社区, 街道, admin) whose scope holds the
  household.

Audit events say who, which household, how many records — never the data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import Store
from server.domain.record_types import RECORD_TYPES
from server.models import Area, ErasureEntry, Household, Member, OpRow, RecordRow, Role
from server.services.audit import audit
from server.services.erasure import (
    ERASED_STAGE,
    clear_household_facts,
    erase_records,
    in_write,
    read_register,
)
from server.services.households import household_json
from server.services.records import op_json
from server.services.scope import grids_in_scope
from sync import state_from_storage, state_to_json

__all__ = [
    "ErasureRefused",
    "HouseholdErased",
    "erase_household",
    "export_household",
    "export_xlsx",
    "write_export",
]

CHUNK = 500


class ErasureRefused(ValueError):
    """The request cannot be carried out as given (no such household, or who took it may not)."""


@dataclass(frozen=True)
class HouseholdErased:
    household_id: str
    records: int  # records erased now
    already: int  # records erased before (retention, an earlier request)

    def to_json(self) -> dict[str, Any]:
        return {"household": self.household_id, "records": self.records, "already_erased": self.already}


async def export_household(
    session: AsyncSession, household_id: str, *, by: int | None, client: str | None, now: datetime
) -> dict[str, Any]:
    """Everything the store holds about ``household_id``, as JSON; one audit event (in ``session``, which
    must be a write session)."""
    found = (
        await session.execute(
            select(Household, Area.name)
            .join(Area, Area.id == Household.grid_id)
            .where(Household.id == household_id)
        )
    ).first()
    if found is None:
        raise ErasureRefused(f"no household {household_id!r}")
    household, grid_name = found
    rows = (
        await session.scalars(
            select(RecordRow).where(RecordRow.household_id == household_id).order_by(RecordRow.created_seq)
        )
    ).all()
    ops_by_record: dict[str, list[dict[str, Any]]] = {row.id: [] for row in rows}
    names: dict[int, str] = {
        member_id: name for member_id, name in await session.execute(select(Member.id, Member.name))
    }
    op_rows = await session.scalars(
        select(OpRow)
        .where(OpRow.household_id == household_id)
        .order_by(OpRow.clock, OpRow.replica, OpRow.op_id)
    )
    for op_row in op_rows:
        op = op_json(op_row) | {
            "author_name": names.get(op_row.author_id, ""),
            "received_at": op_row.received_at.isoformat(),
        }
        ops_by_record.setdefault(op_row.record_id, []).append(op)
    records = []
    for row in rows:
        state = state_from_storage(row.state)
        kind = RECORD_TYPES.get(row.type)
        records.append(
            {
                "id": row.id,
                "type": row.type,
                "type_label": kind.label if kind is not None else {},
                "erased": state.is_erased,
                "deleted": state.is_deleted,
                "created_by": {"id": row.created_by, "name": names.get(row.created_by, "")},
                "values": state.values(),
                "state": state_to_json(state),
                "history": ops_by_record.get(row.id, []),
            }
        )
    erasures = [
        entry.to_json() | {"op": None}
        for entry in await read_register(session)
        if entry.household_id == household_id
    ]
    await audit(
        session, "resident_exported", member_id=by, household=household_id, records=len(records),
        via="cli" if client is None else "console",
    )  # fmt: skip
    return {
        "exported_at": now.isoformat(),
        "household": household_json(household, grid_name),
        "records": records,
        "erasures": erasures,
    }


def write_export(export: dict[str, Any], path: Path) -> None:
    """Write the export to ``path``: a workbook for ``.xlsx``, else JSON (UTF-8, indented)."""
    if path.suffix.lower() == ".xlsx":
        export_xlsx(export, path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(export, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def export_xlsx(export: dict[str, Any], path: Path) -> None:
    """The export as a workbook: 住户信息 (the facts), 记录 (one row per record), 修改历史 (every op)."""
    book = Workbook()
    facts = book.active
    assert facts is not None
    facts.title = "住户信息"
    facts.append(["项目", "内容"])
    for key, value in export["household"].items():
        facts.append([key, _cell(value)])
    facts.append(["exported_at", export["exported_at"]])
    records = book.create_sheet("记录")
    records.append(["记录编号", "类型", "已删除", "已擦除", "记录人", "内容"])
    history = book.create_sheet("修改历史")
    history.append(["记录编号", "服务器收到时间", "作者", "操作", "内容"])
    for record in export["records"]:
        label = record["type_label"].get("zh-CN", record["type"])
        records.append(
            [record["id"], label, "是" if record["deleted"] else "", "是" if record["erased"] else "",
             record["created_by"]["name"], _cell({**record["values"], **_logs(record["state"])})]
        )  # fmt: skip
        for op in record["history"]:
            change = {key: op[key] for key in ("fields", "field", "value") if key in op}
            history.append([record["id"], op["received_at"], op["author_name"], op["kind"], _cell(change)])
    erasures = book.create_sheet("删除登记")
    erasures.append(["记录编号", "类型", "原因", "删除时间"])
    for entry in export["erasures"]:
        erasures.append(
            [entry["record"] or "（住户信息）", entry["type"] or "", entry["reason"], entry["erased_at"]]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _logs(state: dict[str, Any]) -> dict[str, Any]:
    return {name: [entry["value"] for entry in entries] for name, entries in state["logs"].items()}


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


async def erase_household(
    store: Store, household_id: str, *, requested_by: int, now: datetime
) -> HouseholdErased:
    """Erase every record of ``household_id`` and clear its personal facts, for a resident's request taken
    by member ``requested_by``. Safe to run again (what was erased stays erased; nothing is erased twice)."""
    async with store.read() as session:
        await _check_request(session, household_id, requested_by)
        rows = (
            await session.execute(
                select(RecordRow.id, RecordRow.stage).where(RecordRow.household_id == household_id)
            )
        ).all()
    pending = sorted(record_id for record_id, stage in rows if stage != ERASED_STAGE)
    erased = 0
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]

        async def work(session: AsyncSession, chunk: list[str] = chunk) -> int:
            return len(
                await erase_records(session, chunk, reason="resident", requested_by=requested_by, now=now)
            )

        erased += await in_write(store, work)

    async def finish(session: AsyncSession) -> None:
        await clear_household_facts(session, household_id)
        entry = ErasureEntry(
            household_id=household_id, reason="resident", requested_by=requested_by, erased_at=now
        )
        session.add(entry)
        await audit(
            session, "resident_erased", member_id=requested_by, household=household_id, records=erased,
            already_erased=len(rows) - len(pending),
        )  # fmt: skip

    await in_write(store, finish)
    return HouseholdErased(household_id, erased, len(rows) - len(pending))


async def _check_request(session: AsyncSession, household_id: str, requested_by: int) -> None:
    household = await session.get(Household, household_id)
    if household is None:
        raise ErasureRefused(f"no household {household_id!r}")
    member = await session.get(Member, requested_by)
    if member is None or not member.active or requested_by == 0:
        raise ErasureRefused(f"--by {requested_by}: no active member with that id")
    if not member.role.is_coordinator:
        raise ErasureRefused(
            f"--by {requested_by}: a resident's erasure is taken by a coordinator (community, street, "
            f"admin); {member.name} is {member.role.value}"
        )
    if member.role != Role.ADMIN:
        grids = await grids_in_scope(session, member_id=member.id, role=member.role)
        if household.grid_id not in grids:
            raise ErasureRefused(
                f"--by {requested_by}: household {household_id!r} is not in {member.name}'s areas"
            )
