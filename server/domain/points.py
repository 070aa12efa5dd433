"""Points 积分: the monthly score of a member's recorded work — the rules, in this one place.

A member earns points for work the records show (DOMAIN.md: monthly score, half-year summary, yearly award).
The table below is the whole rule; ``docs/console.md`` prints it and ``tests/server/test_points.py`` holds
the two to each other.

==================  ======  ===============================================================================
work                points  counted as
==================  ======  ===============================================================================
``visit``           2       a home visit 走访 dated in the month that saw someone (not 未遇), credited to the
                            member who recorded it; one per household per day (a second visit to the same
                            door the same day adds nothing)
``visit_key``       3       … the same, to a key household 重点户 (care level not green, or any tag): 3
                            instead of 2
``curtain_closed``  1       a curtain check 窗帘行动 dated in the month and closed with an outcome, credited
                            to the member who wrote the outcome
``curtain_on_time`` 1       … and closed by its community's deadline (``checked_at`` ≤ deadline): +1
``request``         1       a resident request 群众诉求 collected in the month, credited to its collector
``return_visit``    2       a return visit 回访 step recorded in the month (its author)
``mediation``       3       a mediation session 调解 dated in the month (the member who logged it)
==================  ======  ===============================================================================

Why these weights: seeing people is the work (a visit that found nobody home earns nothing, so the score
cannot be padded with doorbells); a key household's visit is worth more because the key groups must be
visited at least monthly; the daily curtain round is small each time but adds up, and doing it before the
deadline is what keeps elderly people living alone safe; closing the loop with a resident (回访) counts more
than opening it; a mediation session is the longest piece of work.

What a coordinator sees is computed from the records *they* may read: mediation sessions count only for
those allowed to read the mediation (its mediators, its creator, community and street offices), so a grid
leader's view of a member's score may lack them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["RULES", "Rule", "Score", "score"]


@dataclass(frozen=True)
class Rule:
    key: str
    points: int
    label: Mapping[str, str]


RULES: Final = (
    Rule("visit", 2, {"zh-CN": "走访（见到人）", "en": "Home visit (someone seen)"}),
    Rule("visit_key", 3, {"zh-CN": "走访重点户", "en": "Visit to a key household"}),
    Rule("curtain_closed", 1, {"zh-CN": "窗帘行动确认", "en": "Curtain check closed"}),
    Rule("curtain_on_time", 1, {"zh-CN": "截止前确认（加分）", "en": "… by the deadline (bonus)"}),
    Rule("request", 1, {"zh-CN": "收集群众诉求", "en": "Request collected"}),
    Rule("return_visit", 2, {"zh-CN": "诉求回访", "en": "Return visit"}),
    Rule("mediation", 3, {"zh-CN": "调解一次", "en": "Mediation session"}),
)
POINTS: Final = {rule.key: rule.points for rule in RULES}


@dataclass(frozen=True)
class Score:
    """A member's month: how many of each kind of work, and the points they make."""

    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(POINTS[key] * n for key, n in self.counts.items())

    def points(self, key: str) -> int:
        return POINTS[key] * self.counts.get(key, 0)


def score(counts: Mapping[str, int]) -> Score:
    """The score of ``counts`` (work key → how many); unknown keys are a programming error."""
    unknown = set(counts) - set(POINTS)
    if unknown:
        raise ValueError(f"no points rule for {sorted(unknown)}; the rules are {sorted(POINTS)}")
    return Score(Counter({key: n for key, n in counts.items() if n}))
