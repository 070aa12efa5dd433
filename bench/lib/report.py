"""What a benchmark hands back: rows of "measure, Lianhu's figure, the peer or floor measured in the same
run, the ratio, the goal, met or not", printed as one table at the end and kept as JSON.

Only ratios within one run mean anything on a shared 2-core machine; absolute figures are printed so a
reader can see the scale, never compared with a fixed threshold — except where the issue's goal *is* an
absolute figure for the user (seconds to usable offline, bytes on a phone's link, p99 of a push).
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Row", "fmt_bytes", "fmt_rate", "fmt_s", "percentile", "print_rows", "save_rows"]


@dataclass
class Row:
    benchmark: str
    measure: str
    lianhu: str
    peer: str = "—"
    ratio: str = "—"
    goal: str = "—"
    met: bool | None = None  # None: the issue sets no goal for this figure (reported only)
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return {True: "MET", False: "not met", None: "—"}[self.met]


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def fmt_rate(per_second: float, unit: str = "ops/s") -> str:
    return f"{per_second:,.0f} {unit}"


def fmt_bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def print_rows(rows: list[Row], *, title: str) -> None:
    headers = ("measure", "Lianhu", "peer / floor (same run)", "ratio", "goal", "met")
    table = [headers, *((r.measure, r.lianhu, r.peer, r.ratio, r.goal, r.verdict) for r in rows)]
    widths = [max(_width(line[i]) for line in table) for i in range(len(headers))]
    print(f"\n{title}")
    for n, line in enumerate(table):
        print("  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    # CJK and other wide characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def save_rows(rows: list[Row], path: Path, *, scale: float, elapsed_s: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "scale": scale,
        "elapsed_s": round(elapsed_s, 1),
        "machine": {"cpus": _cpus(), "python": platform.python_version(), "platform": platform.platform()},
        "rows": [asdict(r) | {"verdict": r.verdict} for r in rows],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
