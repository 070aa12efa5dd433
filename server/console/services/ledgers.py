"""Ledgers 台账: the rows an export writes, for any filtered list and for the four standard ledgers.

A ledger is a list of columns (Chinese headers, as offices report upward) and a function from one record to
one row of Python values: ``str``, ``int``, ``datetime.date`` or ``datetime.datetime`` (local, naive: a
spreadsheet has no time zones), so that the XLSX writer makes real date cells. Rows are read with the
records list's own query (:func:`server.console.services.records_list.record_rows`: columns, the access
rule, keyset batches). Where a ledger needs field values it reads the compact stored state of the rows in
the batch being written (``server.services.records.load_state``: no history replay); a request's 1-2-3
stage times come from ``request_facts``. What personal details a row shows is decided by
:mod:`server.console.services.masking`.

Which columns, and why (domain: ../shared/DOMAIN.md):

- 走访台账 — a visit's day, where, who visited and with whom, which of the 四到户 it covered (one column
  each, so an office can count them), 未遇, the notes and the request raised.
- 窗帘行动台账 — the day, the household and its phone, the outcome and when it was closed, the escalation
  steps (each with its time and result) and how many there were.
- 群众诉求台账 — when collected, category, what, urgency, source, the household and contact, the stage, to
  whom it was sent, when it was replied to and visited again, the satisfaction, and for each of the 1-2-3
  limits (受理 1 day, 办理 2 days, 反馈 3 days) whether it was met: 按时, 超时, 超时未办 or 未到期.
- 矛盾调解台账 — the day, category, parties and summary (masked below community level), mediators, the
  number and days of sessions, the outcome, follow-ups and the next one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.console.dates import OFFICE_TZ
from server.console.i18n import translator
from server.console.services.masking import Masking
from server.console.services.record_labels import stage_label, type_label, value_label
from server.console.services.records_list import LIST_COLUMNS, RecordFilter, record_rows, row_names
from server.db import Store
from server.domain.declaration import RECORD_TYPES, Workflow
from server.models import RecordRow, RequestFacts
from sync import RecordState, state_from_storage

__all__ = ["BATCH", "LEDGERS", "LIST_LEDGER", "Column", "Ledger", "ledger_rows"]

BATCH: Final = 1000
Cell = str | int | date | datetime | None


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # "text", "int", "date", "datetime"


@dataclass(frozen=True)
class Context:
    """What a row needs besides its record: names looked up for the batch, masking, the clock."""

    households: Mapping[str, Any]
    grids: Mapping[int, str]
    names: Mapping[int, str]
    facts: Mapping[str, Any]
    masking: Masking
    now_ms: int

    def household(self, row: Any) -> Any:
        return self.households.get(row.household_id)

    def address(self, row: Any) -> str:
        found = self.household(row)
        return str(found.address) if found else row.household_id

    def head(self, row: Any) -> str:
        found = self.household(row)
        return str(found.head_name) if found else ""

    def phone(self, row: Any) -> str:
        found = self.household(row)
        return self.masking.phone(found.phone) if found else ""

    def member(self, member_id: object) -> str:
        return self.names.get(member_id, f"#{member_id}") if isinstance(member_id, int) else ""

    def members(self, ids: object) -> str:
        return "、".join(self.member(i) for i in ids) if isinstance(ids, list) else ""


Row = Callable[[Any, RecordState | None, Context], list[Cell]]


@dataclass(frozen=True)
class Ledger:
    key: str
    title: str  # the sheet's name and the file's
    record_type: str | None  # None: any type (a filtered list)
    columns: tuple[Column, ...]
    row: Row
    needs_state: bool = True


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _local(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, OFFICE_TZ).replace(tzinfo=None)


def _label(record_type: str, name: str, value: object) -> str:
    if isinstance(value, list):
        return "、".join(value_label(record_type, name, v, "zh-CN") for v in value)
    return "" if value is None else value_label(record_type, name, value, "zh-CN")


def _yes(value: bool) -> str:
    return "是" if value else ""


def _values(state: RecordState | None) -> dict[str, Any]:
    return dict(state.values()) if state is not None else {}


_ZH = translator("zh-CN")


def _stage(row: Any) -> str:
    return stage_label(row.type, row.stage, "zh-CN", _ZH)


# ---- the standard ledgers ----------------------------------------------------------------------------------

ITEMS = tuple(RECORD_TYPES["visit"].fields["items"].schema["items"]["enum"])


def _visit(row: Any, state: RecordState | None, ctx: Context) -> list[Cell]:
    values = _values(state)
    found = values.get("items")
    items = found if isinstance(found, list) else []
    return [
        _day(row.record_date), ctx.grids.get(row.grid_id, ""), ctx.address(row), ctx.head(row),
        ctx.member(row.created_by), ctx.members(values.get("co_visitors")),
        *(_yes(item in items) for item in ITEMS), _yes(values.get("not_home") is True),
        ctx.masking.text(values.get("notes")), ctx.masking.text(values.get("request")),
        _local_dt(row.updated_at), row.id,
    ]  # fmt: skip


def _local_dt(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(OFFICE_TZ).replace(tzinfo=None, microsecond=0)


def _curtain(row: Any, state: RecordState | None, ctx: Context) -> list[Cell]:
    values = _values(state)
    steps = state.log("escalation") if state is not None else ()
    day, checked = _day(row.record_date), values.get("checked_at")
    closed_at = None
    if day is not None and isinstance(checked, str):
        try:
            closed_at = datetime.combine(day, time.fromisoformat(checked))
        except ValueError:
            closed_at = None
    escalation = "；".join(
        f"{e.value.get('time', '')} {_label('curtain_check', 'escalation', e.value.get('step'))}"
        f"—{_label('curtain_check', 'escalation', e.value.get('result'))}"
        for e in steps
        if isinstance(e.value, dict)
    )
    return [
        day, ctx.grids.get(row.grid_id, ""), ctx.address(row), ctx.head(row), ctx.phone(row),
        _label("curtain_check", "outcome", values.get("outcome")) or _stage(row), closed_at, len(steps),
        ctx.masking.text(escalation), ctx.masking.text(values.get("notes")), ctx.member(row.created_by),
        row.id,
    ]  # fmt: skip


def _request_workflow() -> Workflow:
    workflow = RECORD_TYPES["request"].workflow
    if workflow is None:
        raise RuntimeError("record-types.json: the request type has no workflow; its ledger needs one")
    return workflow


WORKFLOW: Final = _request_workflow()
DAY_MS: Final = 86_400_000
_REACHED = {"collect": "collected_ms", "assign": "assigned_ms", "reply": "replied_ms",
            "return_visit": "returned_ms"}  # fmt: skip


def _on_time(facts: Any, stage: str, now_ms: int) -> str:
    """One 1-2-3 limit: 按时 (reached in time), 超时 (reached late), 超时未办 (past due, not reached),
    未到期 (not yet due), or nothing when the stage it counts from was not reached."""
    after, days = WORKFLOW.due[stage]
    start, reached = getattr(facts, _REACHED[after]), getattr(facts, _REACHED[stage])
    if start is None:
        return ""
    due = start + days * DAY_MS
    if reached is not None:
        return "按时" if reached <= due else "超时"
    return "超时未办" if now_ms > due else "未到期"


def _request(row: Any, state: RecordState | None, ctx: Context) -> list[Cell]:
    values, facts = _values(state), ctx.facts.get(row.id)
    assigned = ""
    if facts is not None:
        assigned = facts.assigned_to or (ctx.member(facts.assigned_member) if facts.assigned_member else "")
    limits = [_on_time(facts, stage, ctx.now_ms) if facts else "" for stage in WORKFLOW.due]
    return [
        _local(facts.collected_ms if facts else row.started_ms), ctx.grids.get(row.grid_id, ""),
        ctx.address(row), ctx.head(row), _label("request", "category", values.get("category")),
        ctx.masking.text(values.get("description")), _label("request", "urgency", values.get("urgency")),
        _label("request", "source", values.get("source")), ctx.masking.phone(values.get("contact")),
        _stage(row), assigned, _local(facts.assigned_ms if facts else None),
        _local(facts.replied_ms if facts else None), _local(facts.returned_ms if facts else None),
        _label("request", "steps", facts.satisfaction) if facts and facts.satisfaction else "", *limits,
        "是" if row.closed else "否", ctx.member(row.created_by), row.id,
    ]  # fmt: skip


def _mediation(row: Any, state: RecordState | None, ctx: Context) -> list[Cell]:
    values = _values(state)
    sessions = state.log("sessions") if state is not None else ()
    followups = state.log("followups") if state is not None else ()
    days = "、".join(str(e.value.get("date", "")) for e in sessions if isinstance(e.value, dict))
    return [
        _day(row.record_date), ctx.grids.get(row.grid_id, ""), ctx.address(row),
        _label("mediation", "category", values.get("category")),
        ctx.masking.mediation(values.get("parties")), ctx.masking.mediation(values.get("summary")),
        ctx.members(values.get("mediators")), len(sessions), days,
        _label("mediation", "outcome", values.get("outcome")) or _stage(row), len(followups),
        _day(values.get("next_followup")), ctx.member(row.created_by), row.id,
    ]  # fmt: skip


def _listed(row: Any, state: RecordState | None, ctx: Context) -> list[Cell]:
    return [
        type_label(row.type, "zh-CN"), _day(row.record_date), ctx.grids.get(row.grid_id, ""),
        ctx.address(row), ctx.head(row), ctx.phone(row), _stage(row), "是" if row.closed else "否",
        ctx.masking.text(row.summary),
        ctx.member(row.created_by), ctx.member(row.updated_by), _local_dt(row.updated_at), row.id,
    ]  # fmt: skip


def _columns(*spec: str) -> tuple[Column, ...]:
    """``"header"`` or ``"header:kind"``."""
    return tuple(Column(*part.split(":", 1)) for part in spec)


_ITEM_HEADERS = tuple(value_label("visit", "items", item, "zh-CN") for item in ITEMS)
LEDGERS: Final[Mapping[str, Ledger]] = {
    "visit": Ledger(
        "visit", "走访台账", "visit",
        _columns("走访日期:date", "网格", "户址", "户主", "走访人", "同行人员", *_ITEM_HEADERS, "未遇",
                 "走访情况", "群众诉求", "最后修改:datetime", "记录编号"),
        _visit,
    ),
    "curtain_check": Ledger(
        "curtain_check", "窗帘行动台账", "curtain_check",
        _columns("日期:date", "网格", "户址", "户主", "联系电话", "结果", "确认时间:datetime", "处置步数:int",
                 "处置经过", "说明", "记录人", "记录编号"),
        _curtain,
    ),
    "request": Ledger(
        "request", "群众诉求台账", "request",
        _columns("收集时间:datetime", "网格", "户址", "户主", "类别", "诉求内容", "紧急程度", "来源",
                 "联系人及电话", "当前环节", "转办给", "转办时间:datetime", "答复时间:datetime",
                 "回访时间:datetime", "满意度", "受理（1日）", "办理（2日）", "反馈（3日）", "是否办结",
                 "记录人", "记录编号"),
        _request,
    ),
    "mediation": Ledger(
        "mediation", "矛盾调解台账", "mediation",
        _columns("登记日期:date", "网格", "户址", "类别", "当事人", "矛盾概况", "调解人员", "调解次数:int",
                 "调解日期", "调解结果", "回访次数:int", "下次回访:date", "记录人", "记录编号"),
        _mediation,
    ),
}  # fmt: skip
LIST_LEDGER: Final = Ledger(
    "records", "记录清单", None,
    _columns("类型", "日期:date", "网格", "户址", "户主", "联系电话", "状态", "已办结", "摘要", "记录人",
             "最后修改人", "最后修改:datetime", "记录编号"),
    _listed, needs_state=False,
)  # fmt: skip


# ---- reading -----------------------------------------------------------------------------------------------


async def _context(
    session: AsyncSession,
    rows: Sequence[Any],
    states: Sequence[RecordState | None],
    masking: Masking,
    *,
    facts: bool,
    now_ms: int,
) -> Context:
    found: dict[str, RequestFacts] = {}
    if facts:
        query = select(RequestFacts).where(RequestFacts.record_id.in_([r.id for r in rows]))
        found = {f.record_id: f for f in (await session.scalars(query)).all()}
    member_ids: set[int] = set()  # besides creators and last authors: co-visitors, mediators, assignees
    for state in states:
        if state is not None:
            values = state.values()
            for name in ("co_visitors", "mediators"):
                value = values.get(name)
                member_ids |= {v for v in value if type(v) is int} if isinstance(value, list) else set()
    member_ids |= {f.assigned_member for f in found.values() if f.assigned_member}
    looked_up = await row_names(session, rows, member_ids)
    return Context(looked_up.households, looked_up.grids, looked_up.members, found, masking, now_ms)


async def ledger_rows(
    store: Store, principal: Principal, ledger: Ledger, wanted: RecordFilter, masking: Masking, *, now_ms: int
) -> AsyncIterator[list[list[Cell]]]:
    """The ledger's rows in batches of :data:`BATCH`, in the list's order; one short read per batch (an
    export that a slow client takes minutes to download never holds a transaction open meanwhile)."""
    if ledger.record_type is not None:
        wanted = replace(wanted, type=ledger.record_type)
    columns = (*LIST_COLUMNS, RecordRow.state) if ledger.needs_state else LIST_COLUMNS
    after: str | None = None
    while True:
        async with store.read() as session:
            rows, after = await record_rows(
                session, principal, wanted, after=after, limit=BATCH, columns=columns
            )
            # The compact stored state, as server.services.records.load_state reads it: no history replay.
            states = [state_from_storage(row.state) if ledger.needs_state else None for row in rows]
            ctx = await _context(
                session, rows, states, masking, facts=ledger.record_type == "request", now_ms=now_ms
            )
        if rows:
            yield [ledger.row(row, state, ctx) for row, state in zip(rows, states, strict=True)]
        if after is None:
            return
