"""Visit ops shaped like the PWA's (pwa/js/visits.js, docs/sync-protocol.md §3.2–3.4), ~460 bytes each.

A new visit 走访 is one ``set`` op with every field (date, items, notes, request), as ``createVisit``
makes it; an edit is a ``set`` op with only the changed fields (``editVisit``), usually the notes. The
notes are Chinese sentences of the kind members write at the door, so an op's canonical JSON averages
about 460 bytes, as in the issue. Generation is seeded: the same arguments give the same ops.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sync import HybridClock, canonical_json, uuid7

__all__ = ["DAY_MS", "YEAR_MS", "VisitWriter", "json_bytes", "visit_notes"]

DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS
ITEMS = ("policy", "safety", "care", "opinions")

_OPENINGS = (
    "上门走访，", "入户了解情况，", "电话预约后上门，", "与楼长一同入户，", "节前走访慰问，", "例行走访，",
)  # fmt: skip
_FINDINGS = (
    "老人身体尚好，独自在家，子女每周回来一次。",
    "家中老人患有高血压，按时服药，血压控制平稳。",
    "反映楼道照明灯损坏多日，夜间出行不便。",
    "孩子在外地上学，家中只有老两口，生活基本能自理。",
    "住户对社区垃圾分类工作表示支持，建议增加分类指导。",
    "家中燃气灶使用年限较长，已提醒及时更换软管。",
    "询问了医保缴费和养老金领取情况，已现场解答。",
    "反映楼上漏水影响自家天花板，希望物业尽快处理。",
    "住户近期刚做完手术，行动不便，需要定期上门看望。",
    "邻里关系融洽，对网格员的工作表示满意。",
    "宣传了防范电信诈骗知识，发放了宣传资料。",
    "提醒冬季取暖注意用电安全，不要私拉电线。",
    "了解到家中有残疾人，已登记并告知相关补贴政策。",
    "住户希望小区增设健身器材和老年活动场所。",
    "对停车难问题意见较大，建议规划临时停车位。",
)
_FOLLOWUPS = (
    "下次走访时再了解落实情况。", "已登记，将及时向社区反映。", "约定两周后再次上门。",
    "已告知社区服务电话，有事随时联系。", "已将情况转交物业跟进。", "",
)  # fmt: skip
_REQUESTS = (
    "希望尽快维修楼道照明。", "申请办理高龄补贴。", "希望协调物业处理漏水问题。",
    "希望社区组织一次义诊活动。", "咨询廉租房申请条件。",
)  # fmt: skip


def visit_notes(rng: random.Random) -> str:
    parts = [rng.choice(_OPENINGS)]
    parts.extend(rng.sample(_FINDINGS, rng.choice((1, 2, 2, 3))))
    parts.append(rng.choice(_FOLLOWUPS))
    return "".join(parts)


def json_bytes(op: dict[str, Any]) -> int:
    """The op's size as sent: UTF-8 bytes of its canonical JSON."""
    return len(canonical_json(op).encode("utf-8"))


@dataclass
class VisitWriter:
    """One device writing visits for households of its grid, its clock running from ``start_ms``.

    ``next_op`` makes a new visit, or with probability ``edit_share`` an edit of one of this device's
    earlier visits; ``step_ms`` is the (average) time between two ops, so a year of work is spread out.
    """

    device_id: str
    households: list[str]
    seed: int
    start_ms: int
    step_ms: int
    edit_share: float = 0.15
    rng: random.Random = field(init=False)
    clock: HybridClock = field(init=False)
    now_ms: int = field(init=False)
    made: list[tuple[str, str]] = field(init=False, default_factory=list)  # (record, household)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.clock = HybridClock(self.device_id)
        self.now_ms = self.start_ms

    def next_op(self) -> dict[str, Any]:
        self.now_ms += self.rng.randint(1, 2 * self.step_ms)
        if self.made and self.rng.random() < self.edit_share:
            record, household = self.rng.choice(self.made)
            return self._op(record, household, self.edit_fields())
        record, household = uuid7(), self.rng.choice(self.households)
        self.made.append((record, household))
        return self._op(record, household, self.new_fields())

    def edit(self, record: str, household: str) -> dict[str, Any]:
        """An edit of ``record`` (of any device): new notes, as the visit form sends them."""
        self.now_ms += self.rng.randint(1, 2 * self.step_ms)
        return self._op(record, household, self.edit_fields())

    def ops(self, count: int) -> Iterator[dict[str, Any]]:
        for _ in range(count):
            yield self.next_op()

    def new_fields(self) -> dict[str, Any]:
        items = [item for item in ITEMS if self.rng.random() < 0.5] or ["policy"]
        request = self.rng.choice(_REQUESTS) if self.rng.random() < 0.25 else None
        date = datetime.fromtimestamp(self.now_ms / 1000, UTC).strftime("%Y-%m-%d")
        return {"date": date, "items": items, "notes": visit_notes(self.rng), "request": request}

    def edit_fields(self) -> dict[str, Any]:
        return {"notes": visit_notes(self.rng)}

    def _op(self, record: str, household: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": uuid7(),
            "record": record,
            "type": "visit",
            "household": household,
            "clock": self.clock.now(self.now_ms),
            "replica": self.device_id,
            "kind": "set",
            "fields": fields,
        }
