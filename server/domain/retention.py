"""How long each kind of record is kept (PIPL art. 19: no longer than the purpose needs), and the setting
that overrides it, ``LIANHU_RETENTION_DAYS`` (e.g. ``visit=1095,curtain_check=400``).

When a record's time is up, the server erases it (``server/services/retention.py``): an erase op that
every replica applies, its other ops deleted from the op log. The clock starts, per rule:

=================  =========  ===============================================================================
rule               default    counted from
=================  =========  ===============================================================================
``curtain_check``  400 days   the check's date. A daily welfare signal about one elderly resident; its use
                              is the day itself, then the month's indicators and the year's points and
                              award (年度评优), which the offices compile in January: a year and a month.
``visit``          1095 days  the visit's date. Three years of visits show a household's care over a
                              community committee's term and answer the 台账 checks that look back that far.
``request``        1095 days  the request's closing (its last change while closed). Open requests are kept:
                              they are an obligation still owed. Three years keep 办结率 comparable.
``mediation``      1825 days  the mediation's last change (a session, a follow-up, its outcome). Disputes
                              recur (三必联: they must be followed up), so the history of one is kept five
                              years after it last moved.
``deleted``        30 days    the last change of a record a member deleted (its tombstone): a deletion is
                              made final after a month in which it can still be undone.
=================  =========  ===============================================================================

``0`` keeps that kind for ever. A household's own record (住户信息) has no rule: it is the household's
current facts, kept while the household is served, and erased on the resident's request
(``lianhu resident erase``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["DEFAULT_RETENTION_DAYS", "RULES", "parse_retention"]

DEFAULT_RETENTION_DAYS: Final[Mapping[str, int]] = {
    "curtain_check": 400,
    "visit": 1095,
    "request": 1095,
    "mediation": 1825,
    "deleted": 30,
}
RULES: Final = tuple(DEFAULT_RETENTION_DAYS)


def parse_retention(text: str) -> dict[str, int]:
    """The days per rule: the defaults, overridden by ``text`` (``"visit=1095,deleted=30"``; empty: none).

    Raises ``ValueError`` naming the offending entry.
    """
    days = dict(DEFAULT_RETENTION_DAYS)
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        rule, _, value = entry.partition("=")
        rule = rule.strip()
        if rule == "household":
            raise ValueError(
                "LIANHU_RETENTION_DAYS cannot name household: a household's own record is kept while the "
                "household is served and erased on the resident's request (lianhu resident erase)"
            )
        if rule not in DEFAULT_RETENTION_DAYS:
            raise ValueError(
                f"LIANHU_RETENTION_DAYS: unknown rule {rule!r}; expected one of {', '.join(RULES)}"
            )
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            raise ValueError(
                f"LIANHU_RETENTION_DAYS: {rule} must be a whole number of days (0: keep), got {value!r}"
            )
        days[rule] = int(value)
    return days
