"""Retention 保存期限: find the records whose time is up and erase them (``lianhu retention run``).

The rules and their defaults are ``server/domain/retention.py`` (``LIANHU_RETENTION_DAYS`` overrides them).
Every rule is one query over the ``records`` index columns — a record's own date for visits and curtain
checks (its local day, Asia/Shanghai), and for the rest the time the server received the record's last op
(``ops.received_at`` of ``records.updated_seq``: the server's clock, not a phone's). Records already erased
are never picked again; a household's own record never by retention.

A run erases in chunks of :data:`CHUNK` records, each chunk one transaction with its register entries
(``services/erasure.py``), and writes one audit event with the counts per rule. With ``dry_run`` it only
counts. Running it again finds nothing new: it is safe to run daily (cron, a systemd timer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import Store
from server.domain.indexing import LOCAL_TZ
from server.domain.retention import RULES
from server.models import OpRow, RecordRow
from server.services.audit import audit
from server.services.erasure import ERASED_STAGE, erase_records, in_write

__all__ = ["CHUNK", "RetentionReport", "expired_records", "run_retention"]

CHUNK: Final = 500


@dataclass(frozen=True)
class RetentionReport:
    """What a run found (``dry_run``) or erased, per rule."""

    counts: dict[str, int]
    dry_run: bool
    erased: list[str] = field(default_factory=list)  # record ids, in the order they were erased

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "counts": self.counts, "total": self.total}


def _rule(rule: str, days: int, now: datetime) -> ColumnElement[bool]:
    live = RecordRow.stage.is_distinct_from(ERASED_STAGE)
    if rule in ("visit", "curtain_check"):
        last_day = (now.astimezone(LOCAL_TZ).date() - timedelta(days=days)).isoformat()
        return and_(live, RecordRow.type == rule, RecordRow.record_date < last_day)
    cutoff = now - timedelta(days=days)
    received = select(OpRow.received_at).where(OpRow.seq == RecordRow.updated_seq).scalar_subquery()
    if rule == "request":
        which = and_(RecordRow.type == "request", RecordRow.closed.is_(True))  # a deleted one is closed too
    elif rule == "mediation":
        which = RecordRow.type == "mediation"
    elif rule == "deleted":
        which = and_(RecordRow.deleted.is_(True), RecordRow.type != "household")
    else:
        raise ValueError(f"unknown retention rule {rule!r}; expected one of {', '.join(RULES)}")
    return and_(live, which, received < cutoff)


async def expired_records(
    session: AsyncSession, days: Mapping[str, int], *, now: datetime
) -> dict[str, list[str]]:
    """Rule → the ids of the records that rule erases at ``now`` (ascending; a rule of 0 days: none). A
    record two rules would erase is counted under the first of :data:`~server.domain.retention.RULES`."""
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    for rule in RULES:
        if days.get(rule, 0) <= 0:
            found[rule] = []
            continue
        query = select(RecordRow.id).where(_rule(rule, days[rule], now)).order_by(RecordRow.id)
        found[rule] = [
            record_id for record_id in (await session.scalars(query)).all() if record_id not in seen
        ]
        seen.update(found[rule])
    return found


async def run_retention(
    store: Store, days: Mapping[str, int], *, now: datetime, dry_run: bool = False
) -> RetentionReport:
    """Erase every record whose retention period is over at ``now`` (or, with ``dry_run``, count them)."""
    async with store.read() as session:
        found = await expired_records(session, days, now=now)
    counts = {rule: len(ids) for rule, ids in found.items()}
    if dry_run:
        return RetentionReport(counts, dry_run=True)
    reasons = {record_id: rule for rule, ids in found.items() for record_id in ids}
    pending = sorted(reasons)
    erased: list[str] = []
    done = dict.fromkeys(counts, 0)
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        by_rule: dict[str, list[str]] = {}
        for record_id in chunk:
            by_rule.setdefault(reasons[record_id], []).append(record_id)
        for rule, ids in by_rule.items():

            async def work(session: AsyncSession, ids: list[str] = ids, rule: str = rule) -> list[str]:
                items = await erase_records(
                    session, ids, reason="deleted" if rule == "deleted" else "retention", requested_by=None,
                    now=now,
                )  # fmt: skip
                return [item.record_id for item in items]

            got = await in_write(store, work)
            erased += got
            done[rule] += len(got)
    if erased:
        async with store.write() as session:
            await audit(
                session, "retention_erased", counts={k: v for k, v in done.items() if v}, total=len(erased),
                days={rule: days.get(rule, 0) for rule in RULES}, at=now.isoformat(),
            )  # fmt: skip
    return RetentionReport(done, dry_run=False, erased=erased)
