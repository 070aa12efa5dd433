"""What lists, filters, alarms and indicators need of a record, as plain columns (issue 7).

The console must not decode every record's state to filter or sort a million of them: each time push
stores a record's merged state it also stores :func:`record_index` of it in typed columns of ``records``
(in the same transaction; ``lianhu db rebuild-records`` recomputes all of it from the op log). One small
function per record type says what its date, stage, closedness, due time and one-line summary are — the
server's side of that type's due-list rule. Summaries never carry a restricted type's sensitive text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from server.domain.declaration import RECORD_TYPES
from server.domain.workflow import progress
from sync import RecordState, decode_clock

__all__ = [
    "ERASED_STAGE",
    "EVENT_TYPES",
    "LOCAL_TZ",
    "RecordIndex",
    "local_date",
    "record_index",
    "request_facts",
    "started_ms",
    "work_events",
]

LOCAL_TZ: Final = ZoneInfo("Asia/Shanghai")
ERASED_STAGE: Final = "erased"  # an erased record's husk (server/services/erasure.py): nothing left to show
SUMMARY_CHARS: Final = 120


@dataclass(frozen=True)
class RecordIndex:
    record_date: str | None  # the day the record is about (YYYY-MM-DD, local time)
    stage: str | None  # where it stands: a workflow stage, an outcome, "visited" / "not_home" …
    closed: bool  # nothing more is expected of anyone
    due_ms: int | None  # when the next thing is due (ms since the epoch), if anything is
    started_ms: int  # the wall time of its earliest write
    updated_by: int | None  # the author of its newest write
    summary: str  # one line for lists


def local_date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TZ).date().isoformat()


def _local_midnight_ms(day: str) -> int:
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), LOCAL_TZ)
    return int(start.astimezone(UTC).timestamp() * 1000)


def _stamps(state: RecordState) -> list[tuple[str, int | None]]:
    stamps = [(w.clock, w.author) for _, register in state.fields for w in register.writes]
    stamps += [(e.clock, e.author) for _, entries in state.logs for e in entries]
    if state.deleted is not None:
        stamps += [(w.clock, w.author) for w in state.deleted.writes]
    return stamps


def started_ms(state: RecordState) -> int:
    stamps = _stamps(state)
    return decode_clock(min(stamps)[0])[0] if stamps else 0


def _text(value: object) -> str:
    return value.strip().replace("\n", " ")[:SUMMARY_CHARS] if isinstance(value, str) else ""


Parts = tuple[str | None, str | None, bool, int | None, str]  # date, stage, closed, due, summary


def _visit(state: RecordState, values: Mapping[str, object], start: int) -> Parts:
    stage = "not_home" if values.get("not_home") is True else "visited"
    return (
        _str(values.get("date")),
        stage,
        True,
        None,
        _text(values.get("notes")) or _text(values.get("request")),
    )


def _curtain_check(state: RecordState, values: Mapping[str, object], start: int) -> Parts:
    outcome = values.get("outcome")
    stage = str(outcome) if outcome else ("escalating" if state.log("escalation") else "open")
    return _str(values.get("date")), stage, bool(outcome), None, _text(values.get("notes"))


def _mediation(state: RecordState, values: Mapping[str, object], start: int) -> Parts:
    outcome = values.get("outcome")
    closed = outcome in ("agreed", "not_agreed")
    followup = values.get("next_followup")
    due = _local_midnight_ms(followup) if isinstance(followup, str) and not closed else None
    # Restricted: the summary names the category only, never parties or what the dispute is about.
    return local_date(start), str(outcome or "ongoing"), closed, due, str(values.get("category") or "")


def _request(state: RecordState, values: Mapping[str, object], start: int) -> Parts:
    workflow = RECORD_TYPES["request"].workflow
    assert workflow is not None
    entries = [{"value": e.value, "clock": e.clock} for e in state.log(workflow.log)]
    done = progress(RECORD_TYPES["request"], entries, start)
    return (
        local_date(start),
        done.stage,
        done.closed,
        done.due[1] if done.due else None,
        _text(values.get("description")),
    )


def _household(state: RecordState, values: Mapping[str, object], start: int) -> Parts:
    return None, None, True, None, ""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


_INDEXERS: dict[str, Callable[[RecordState, Mapping[str, object], int], Parts]] = {
    "visit": _visit,
    "curtain_check": _curtain_check,
    "mediation": _mediation,
    "request": _request,
    "household": _household,
}


def record_index(state: RecordState, *, known_start: int | None = None) -> RecordIndex:
    """The index columns of a record as it stands. ``known_start`` is the start recorded earlier: a state
    keeps only the most recent losing writes (sync.MAX_OVERWRITTEN), so its earliest write can drop out,
    and the start is the earliest ever seen."""
    start = started_ms(state) if known_start is None else min(known_start, started_ms(state) or known_start)
    if state.erased is not None:
        return RecordIndex(None, ERASED_STAGE, True, None, start, state.erased.author, "")
    stamps = _stamps(state)
    newest = max(stamps)[1] if stamps else None
    day, stage, closed, due, summary = _INDEXERS[state.type](state, state.values(), start)
    if state.is_deleted:
        stage, closed, due = "deleted", True, None
    return RecordIndex(day, stage, closed, due, start, newest, summary)


def request_facts(state: RecordState, *, start: int) -> dict[str, object]:
    """The columns of ``request_facts`` for a request that began at ``start`` (ms)."""
    workflow = RECORD_TYPES["request"].workflow
    assert workflow is not None
    steps = state.log(workflow.log)
    done = progress(RECORD_TYPES["request"], [{"value": e.value, "clock": e.clock} for e in steps], start)
    values = state.values()
    assigned = [e.value for e in steps if isinstance(e.value, dict) and e.value.get("step") == "assign"]
    returned = [e.value for e in steps if isinstance(e.value, dict) and e.value.get("step") == "return_visit"]
    last_assign = assigned[-1] if assigned else {}
    to_member = last_assign.get("to_member")
    return {
        "collected_ms": done.stage_times["collect"],
        "assigned_ms": done.stage_times.get("assign"),
        "replied_ms": done.stage_times.get("reply"),
        "returned_ms": done.stage_times.get("return_visit"),
        "assigned_to": _str(last_assign.get("to")),
        "assigned_member": to_member if type(to_member) is int else None,
        "satisfaction": _str(returned[-1].get("satisfaction")) if returned else None,
        "category": _str(values.get("category")),
        "urgency": _str(values.get("urgency")),
    }


# The record types whose work is counted event by event (server.models.WorkEvent).
EVENT_TYPES: Final = frozenset({"curtain_check", "request", "mediation"})


def work_events(state: RecordState, record_date: str | None) -> list[dict[str, object]]:
    """The pieces of work a record holds as it stands: ``{kind, member_id, day, at_ms, detail}`` each."""
    events: list[dict[str, object]] = []
    if state.is_deleted:
        return events
    if state.type == "curtain_check":
        outcome = state.field("outcome")
        if outcome is not None and outcome.value is not None and record_date is not None:
            checked_at = state.values().get("checked_at")
            events.append({"kind": "curtain_closed", "member_id": outcome.winner.author, "day": record_date,
                           "at_ms": decode_clock(outcome.winner.clock)[0],
                           "detail": checked_at if isinstance(checked_at, str) else None})  # fmt: skip
    elif state.type == "request":
        for entry in state.log("steps"):
            if isinstance(entry.value, dict) and entry.value.get("step") == "return_visit":
                wall = decode_clock(entry.clock)[0]
                events.append({"kind": "return_visit", "member_id": entry.author, "day": local_date(wall),
                               "at_ms": wall, "detail": None})  # fmt: skip
    elif state.type == "mediation":
        for entry in state.log("sessions"):
            day = entry.value.get("date") if isinstance(entry.value, dict) else None
            if isinstance(day, str):
                events.append({"kind": "mediation_session", "member_id": entry.author, "day": day,
                               "at_ms": decode_clock(entry.clock)[0], "detail": None})  # fmt: skip
    return events


def _check_every_type_has_an_indexer() -> None:
    missing = set(RECORD_TYPES) - set(_INDEXERS)
    if missing:
        raise RuntimeError(
            f"record types without an index rule in server/domain/indexing.py: {sorted(missing)}"
        )


_check_every_type_has_an_indexer()
