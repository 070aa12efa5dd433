"""A record's workflow, derived from its add-only log of steps (e.g. a request's 收集 → 转办 → 答复 → 回访).

Progress is never a register that two phones could overwrite: every step is an appended log entry, so
concurrent steps both survive, and the stage is a pure function of the log: the step of the last entry in
log order (clock, replica, id) — which follows causality, because a phone that saw a step stamps later
ones after it — or the first stage when no step was recorded yet. Due times count from the clock of the
step they follow (the record's first write stands for the first stage when it has no entry of its own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.domain.declaration import RecordType, Workflow
from sync import decode_clock

__all__ = ["Progress", "progress"]

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Progress:
    stage: str
    closed: bool
    stage_times: Mapping[str, int]  # stage -> ms of its first step (the record's start for the first stage)
    due: tuple[str, int] | None  # the next stage and when it is due (ms), if the workflow declares one
    entries: int


def _first_stage(workflow: Workflow) -> str:
    return next(iter(workflow.stages))


def _closed(workflow: Workflow, last: Mapping[str, Any]) -> bool:
    rule = workflow.closed_when
    if not rule or last.get(workflow.key) != rule.get("step"):
        return False
    return all(
        last.get(key) in allowed
        for key, allowed in rule.items()
        if key != "step" and isinstance(allowed, list)
    )


def progress(record_type: RecordType, entries: Sequence[Mapping[str, Any]], started_ms: int) -> Progress:
    """The workflow state of a record whose log entries (state JSON form, in log order) are ``entries``.

    ``started_ms`` is when the record began (the wall time of its earliest write).
    """
    workflow = record_type.workflow
    if workflow is None:
        raise ValueError(f"{record_type.name} has no workflow")
    times: dict[str, int] = {_first_stage(workflow): started_ms}
    last: Mapping[str, Any] = {}
    for entry in entries:
        value = entry.get("value")
        if not isinstance(value, dict) or value.get(workflow.key) not in workflow.stages:
            continue
        times.setdefault(value[workflow.key], decode_clock(entry["clock"])[0])
        last = value
    stage = last.get(workflow.key, _first_stage(workflow))
    closed = _closed(workflow, last)
    due = None
    if not closed:
        for name, (after, days) in workflow.due.items():
            if name not in times and after in times:
                due = (name, times[after] + days * DAY_MS)
                break
    return Progress(stage=stage, closed=closed, stage_times=times, due=due, entries=len(entries))
