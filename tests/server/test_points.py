"""Points 积分 (server/domain/points.py): the score of a month's counts, and the one table of rules that
docs/console.md prints (held to the code here). How the counts come from the records is tested with the
indicators (tests/server/test_console_indicators.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.domain.points import POINTS, RULES, score

DOC = (Path(__file__).resolve().parents[2] / "docs" / "console.md").read_text(encoding="utf-8")


def test_a_score_is_the_sum_of_each_kind_of_work_times_its_points() -> None:
    month = score({"visit": 3, "visit_key": 2, "curtain_closed": 20, "curtain_on_time": 18, "request": 1,
                   "return_visit": 1, "mediation": 2})  # fmt: skip

    assert month.total == 3 * 2 + 2 * 3 + 20 + 18 + 1 + 2 + 2 * 3
    assert month.points("visit_key") == 6 and month.points("mediation") == 6


def test_a_month_without_work_scores_nothing_and_keeps_no_zero_counts() -> None:
    assert score({}).total == 0
    assert dict(score({"visit": 0, "request": 2}).counts) == {"request": 2}


def test_work_without_a_rule_is_a_programming_error_that_names_the_rules() -> None:
    with pytest.raises(ValueError, match=r"no points rule for \['meeting'\]"):
        score({"meeting": 1})


def test_every_rule_is_in_the_docs_table_with_its_points() -> None:
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| (\d+) \|", DOC, re.MULTILINE))

    assert {rule.key: str(rule.points) for rule in RULES} == documented
    assert set(POINTS) == {rule.key for rule in RULES}
