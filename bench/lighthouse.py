"""Lighthouse performance of the app's start page (issue 8: ≥ 95): what a member's phone sees the first
time it opens the app, before anyone is enrolled on it — the page that must come up fast on a weak signal.

    python -m bench lighthouse

Lighthouse (npm, ``bench/package-lock.json``) with its defaults — mobile form factor, simulated throttling
(150 ms RTT, 1.6 Mbit/s, 4× CPU slowdown) — against a real ``lianhu serve``, each run in a fresh Chromium
profile (Debian's, ``CHROME_PATH``). Scores move by a few points between runs on a busy machine: three runs,
the median is reported with its metrics, and the spread beside it. Each run also keeps Lighthouse's own
yardstick of the machine (``benchmarkIndex``: Lighthouse expects a desktop of ~1,000–2,000 and applies its 4×
CPU slowdown on top, so a busy machine scores lower) and the server response time it saw, which it adds to
every simulated request: both say how much of a low score is this machine's load rather than the app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from statistics import median
from typing import Any

from .lib.config import BENCH_DIR, ROOT, Run
from .lib.report import Row
from .lib.servers import lianhu_env, lianhu_servers

NAME = "lighthouse"
RUNS = 3
GOAL = 95
LIGHTHOUSE = BENCH_DIR / "node_modules" / ".bin" / "lighthouse"
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}


def lighthouse(url: str, report: Path) -> dict[str, Any]:
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH_DIR, check=True)
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    done = subprocess.run(
        [str(LIGHTHOUSE), url, "--only-categories=performance", "--output=json", f"--output-path={report}",
         "--quiet", "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
        cwd=BENCH_DIR, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse exited {done.returncode}:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return result


def summary(result: dict[str, Any]) -> dict[str, Any]:
    audits = result["audits"]
    return {
        "score": round(100 * float(result["categories"]["performance"]["score"])),
        **{short: audits[key].get("displayValue", "") for key, short in METRICS.items()},
        "bytes": int(audits["total-byte-weight"]["numericValue"]),
        "requests": len(audits["network-requests"]["details"]["items"]),
        "cpu_index": round(float(result["environment"]["benchmarkIndex"])),
        "server_ms": audits["network-server-latency"].get("displayValue", ""),
    }


def run(run: Run) -> list[Row]:
    database = run.path(NAME, "empty.sqlite3")
    url = f"sqlite+aiosqlite:///{database}"
    subprocess.run(
        [sys.executable, "-m", "server.cli", "db", "upgrade"], env=lianhu_env(url, 0), cwd=ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    runs: list[dict[str, Any]] = []
    with lianhu_servers(url, run.path("logs")) as (server,):
        for n in range(RUNS):
            runs.append(summary(lighthouse(server.url + "/", run.path(NAME, f"report-{n}.json"))))
            print(f"  run {n + 1}: {runs[-1]}", flush=True)
    scores = [r["score"] for r in runs]
    middle = sorted(runs, key=lambda r: r["score"])[len(runs) // 2]
    metrics = ", ".join(f"{short} {middle[short]}" for short in METRICS.values())
    return [
        Row(
            NAME,
            "Lighthouse performance, start page (mobile, simulated throttling), median of 3",
            str(round(median(scores))),
            peer=f"runs {', '.join(map(str, scores))}",
            goal=f"≥ {GOAL}",
            met=median(scores) >= GOAL,
            numbers={"runs": runs},
        ),
        Row(
            NAME,
            "… its metrics",
            metrics,
            peer=f"{middle['requests']} requests, {middle['bytes']:,} B",
            ratio=f"machine: CPU index {middle['cpu_index']}, server {middle['server_ms']}",
        ),
    ]
