"""Page 5, indicators 指标 and points 积分 of a month, per area and per member, with SVG charts that print."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup
from starlette.responses import Response

from server.console.context import Console, page
from server.console.dates import today
from server.console.i18n import Translator
from server.console.services.charts import Bar, Layout, bar_chart
from server.console.services.indicators import MemberStats, Stats, area_rows, member_rows
from server.console.services.labels import Labels
from server.console.services.month_work import Month, month_work
from server.console.services.tree import area_options
from server.console.services.work_areas import AreaRow, area_tree
from server.domain.points import RULES
from server.routes.common import settings_of, store_of

__all__ = ["indicators_page"]

MAX_BARS = 20
LAYOUTS: tuple[Layout, ...] = ("wide", "narrow")
TOP_MEMBERS = 15
OUTCOMES = ("ongoing", "agreed", "not_agreed")
STAGES = ("assign", "reply", "return_visit")


def _chart_rows(rows: Sequence[AreaRow]) -> list[AreaRow]:
    """The finest level that still fits a chart: grids, else communities, else the top areas."""
    for level in ("grid", "community", "street"):
        chosen = [row for row in rows if row.level == level]
        if chosen and len(chosen) <= MAX_BARS:
            return chosen
    return [row for row in rows if row.depth == 0][:MAX_BARS]


def _pct(value: float | None, part: int, whole: int) -> str:
    return "—" if value is None else f"{value:.0f}% ({part}/{whole})"


def _charts(
    t: Translator,
    labels: Labels,
    rows: Sequence[AreaRow],
    total: Stats,
    members: Sequence[MemberStats],
    layout: Layout,
) -> dict[str, Markup]:
    shown = _chart_rows(rows)
    stats: list[tuple[str, Stats]] = [(row.name, row.value) for row in shown]
    empty = t("indicators.no_data")
    hours = total.stage_hours()
    limits = (24, 48, 72)
    return {
        "coverage": bar_chart(
            title=t("indicators.coverage"),
            max_value=100,
            empty=empty,
            testid="chart-coverage",
            layout=layout,
            bars=[
                Bar(name, (s.coverage,), (_pct(s.coverage, s.key_visited, s.key_households),))
                for name, s in stats
            ],
        ),
        "curtain": bar_chart(
            title=t("indicators.curtain"),
            max_value=100,
            empty=empty,
            testid="chart-curtain",
            layout=layout,
            bars=[
                Bar(name, (s.on_time,), (_pct(s.on_time, s.curtain_on_time, s.curtain_due),))
                for name, s in stats
            ],
        ),
        "requests": bar_chart(
            title=t("indicators.requests"),
            empty=empty,
            testid="chart-requests",
            layout=layout,
            max_value=max([s.collected for _, s in stats] + [1]),
            series=(t("indicators.collected"), t("indicators.closed")),
            bars=[
                Bar(
                    f"{name}",
                    (s.collected, s.closed),
                    (
                        str(s.collected),
                        f"{s.closed}" + (f" · {s.closure:.0f}%" if s.closure is not None else ""),
                    ),
                )
                for name, s in stats
            ],
        ),
        "stages": bar_chart(
            title=t("indicators.stages"),
            empty=empty,
            testid="chart-stages",
            layout=layout,
            max_value=max([h for h in hours if h is not None] + [72]),
            bars=[
                Bar(
                    labels.stage("request", stage),
                    (h,),
                    (t("indicators.hours", h=f"{h:.1f}", limit=limit) if h is not None else "—",),
                )
                for stage, h, limit in zip(STAGES, hours, limits, strict=True)
            ],
        ),
        "mediation": bar_chart(
            title=t("indicators.mediation"),
            empty=empty,
            testid="chart-mediation",
            layout=layout,
            max_value=max([total.outcomes[o] for o in OUTCOMES] + [1]),
            bars=[
                Bar(labels.value("mediation", "outcome", o), (n,), (str(n),))
                for o, n in ((o, total.outcomes[o]) for o in OUTCOMES)
            ],
        ),
        "points": bar_chart(
            title=t("indicators.points"),
            empty=empty,
            testid="chart-points",
            layout=layout,
            max_value=max([m.points.total for m in members] + [1]),
            bars=[
                Bar(m.name, (m.points.total,), (str(m.points.total),))
                for m in members[:TOP_MEMBERS]
                if m.points.total > 0
            ],
        ),
    }


@page
async def indicators_page(console: Console) -> Response:
    params = console.request.query_params
    month = Month.parse(params.get("month", ""), today(console.now))
    raw_area = params.get("area", "")
    area = int(raw_area) if raw_area.isascii() and raw_area.isdigit() and len(raw_area) < 12 else None
    settings = settings_of(console.request)
    async with store_of(console.request).read() as session:
        tree = await area_tree(session, console.scope, console.principal)
        grids = tree.grids_under(area)
        work = await month_work(
            session, console.principal, grids=grids, month=month, now=console.now,
            default_deadline=settings.curtain_deadline,
        )  # fmt: skip
        rows = area_rows(work, tree, console.now, area)
        members = await member_rows(session, work, grids, console.now)
        options = await area_options(session, console.scope)
    total = sum((row.value for row in rows if row.depth == 0), Stats())
    labels = Labels(console.lang)
    return await console.render(
        "indicators.html", nav="indicators", month=month, area=area, options=options, rows=rows,
        members=members, total=total, labels=labels, rules=RULES, outcomes=OUTCOMES,
        charts={layout: _charts(console.t, labels, rows, total, members, layout) for layout in LAYOUTS},
        selected_area=area,
    )  # fmt: skip
