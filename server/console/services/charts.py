"""Charts as SVG drawn on the server (issue 7, page 5): no script, nothing from elsewhere, and they print.

One kind of chart does every indicator: horizontal bars, one row per area, member or category, one or two
series per row, the value written at the end of each bar (so the numbers survive a grey printer and a
screen reader reads them from the ``<title>`` and text). The second series is hatched, not just another
colour, so the two stay apart in black and white. Colours keep 4.5:1 against white.

Two layouts of the same chart: ``wide`` (labels left of the bars, 720 units across) for desks and paper,
and ``narrow`` (each label above its bars, 290 units across) for a phone, where the wide one would shrink
its text below legibility. The page sends both and its stylesheet shows one (``work.css``); either way the
text is 16 units, drawn at about 16 px. No ``style`` attributes (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import count
from typing import Literal

from markupsafe import Markup

__all__ = ["Bar", "bar_chart"]

FONT = 16
BAR_H = 22
GAP = 6
ROW_GAP = 14
INK = "#1f1f1f"
MUTED = "#595959"
SERIES = ("#8e1414", "#1d4f91")  # dark red, dark blue: both ≥ 7:1 on white
_ids = count(1)

Layout = Literal["wide", "narrow"]


@dataclass(frozen=True)
class _Geometry:
    width: int
    label_w: int  # wide: the label column; narrow: 0 (the label has a line of its own)
    bar_x: int
    bar_w: int
    max_label: int  # characters before the label is cut (the whole label stays in its <title>)


_GEOMETRY = {
    "wide": _Geometry(width=720, label_w=190, bar_x=200, bar_w=400, max_label=11),
    "narrow": _Geometry(width=290, label_w=0, bar_x=2, bar_w=180, max_label=17),
}


@dataclass(frozen=True)
class Bar:
    """One row: its label, one value per series (None: nothing to show) and the text written after each."""

    label: str
    values: tuple[float | None, ...]
    texts: tuple[str, ...]


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _el(tag: str, text: str | None = None, **attrs: object) -> str:
    """One SVG element; attribute names in Python spelling (``font_size`` → ``font-size``, ``class_``)."""
    pairs = " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(str(value))}"' for name, value in attrs.items()
    )
    return f"<{tag} {pairs}/>" if text is None else f"<{tag} {pairs}>{text}</{tag}>"


def _text(x: float, y: float, text: str, *, fill: str = INK, anchor: str = "start", title: str = "") -> str:
    inner = (_el("title", escape(title)) if title else "") + escape(text)
    return _el("text", inner, x=round(x, 1), y=round(y, 1), font_size=FONT, fill=fill, text_anchor=anchor)


def _hatch(chart_id: str) -> str:
    """The second series' fill: diagonal stripes, told apart from the first in black and white too."""
    stripes = _el("rect", width=8, height=8, fill="#ffffff") + _el(
        "line", x1=0, y1=0, x2=0, y2=8, stroke=SERIES[1], stroke_width=5
    )
    pattern = _el("pattern", stripes, id=f"{chart_id}-hatch", patternUnits="userSpaceOnUse", width=8,
                  height=8, patternTransform="rotate(45)")  # fmt: skip
    return f"<defs>{pattern}</defs>"


def bar_chart(
    *,
    title: str,
    bars: Sequence[Bar],
    max_value: float,
    series: Sequence[str] = (),
    empty: str = "—",
    testid: str = "chart",
    layout: Layout = "wide",
) -> Markup:
    """An SVG bar chart; ``series`` names the series for the legend (none for one unnamed series)."""
    g = _GEOMETRY[layout]
    chart_id = f"chart-{next(_ids)}"
    per_row = max((len(bar.values) for bar in bars), default=1)
    label_h = 24 if layout == "narrow" else 0
    row_h = label_h + per_row * BAR_H + (per_row - 1) * GAP
    top = 8 + (34 if len(series) > 1 else 0)
    height = top + max(1, len(bars)) * (row_h + ROW_GAP) + 8
    scale = g.bar_w / max_value if max_value > 0 else 0.0
    fills = (SERIES[0], f"url(#{chart_id}-hatch)")
    out = [
        _el("title", escape(title), id=f"{chart_id}-title"),
        _hatch(chart_id),
        _el("rect", width=g.width, height=height, fill="#ffffff"),
    ]
    x: float = g.bar_x
    for n, name in enumerate(series[:2] if len(series) > 1 else ()):
        out.append(
            _el("rect", x=x, y=8, width=22, height=22, fill=fills[n], stroke=SERIES[n], stroke_width=2)
        )
        out.append(_text(x + 30, 25, name))
        x += 40 + FONT * len(name)
    out.append(_el("line", x1=g.bar_x, y1=top - 4, x2=g.bar_x, y2=height - 6, stroke=INK, stroke_width=1.5))
    if not bars:
        out.append(_text(g.bar_x + 12, top + 22, empty, fill=MUTED))
    for row, bar in enumerate(bars):
        y = top + row * (row_h + ROW_GAP)
        label = _short(bar.label, g.max_label)
        if layout == "narrow":
            parts = [_text(g.bar_x + 8, y + FONT, label, title=bar.label)]
        else:
            parts = [_text(g.label_w, y + row_h / 2 + FONT * 0.35, label, anchor="end", title=bar.label)]
        for n, (value, text) in enumerate(zip(bar.values, bar.texts, strict=True)):
            bar_y = y + label_h + n * (BAR_H + GAP)
            width = 0.0 if value is None else max(0.0, min(value, max_value)) * scale
            if width > 0:
                parts.append(_el("rect", x=g.bar_x, y=bar_y, width=round(width, 1), height=BAR_H,
                                 fill=fills[n % 2], stroke=SERIES[n % 2], stroke_width=1.5))  # fmt: skip
            parts.append(_text(g.bar_x + width + 8, bar_y + BAR_H / 2 + FONT * 0.35, text))
        out.append(_el("g", "".join(parts), data_label=bar.label))
    svg = _el("svg", "".join(out), xmlns="http://www.w3.org/2000/svg", viewBox=f"0 0 {g.width} {height}",
              width=g.width, height=height, role="img", aria_labelledby=f"{chart_id}-title",
              class_=f"chart chart-{layout}",
              data_testid=testid if layout == "wide" else f"{testid}-narrow")  # fmt: skip
    return Markup(svg)  # every text interpolated above went through escape()
