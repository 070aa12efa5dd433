"""Running the Node side of the benchmarks (bench/js/*.mjs) with the packages of bench/package-lock.json."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from .config import BENCH_DIR

__all__ = ["ensure_node_modules", "run_node_json"]


def ensure_node_modules() -> None:
    """``npm ci`` once if bench/node_modules is missing (``make bench`` runs it anyway)."""
    if not (BENCH_DIR / "node_modules" / ".package-lock.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH_DIR, check=True)


def run_node_json(script: str, *args: str | Path, timeout: float = 1200) -> Any:
    """Run ``bench/js/SCRIPT`` and return the JSON of its last output line."""
    ensure_node_modules()
    done = subprocess.run(
        ["node", str(BENCH_DIR / "js" / script), *map(str, args)],
        cwd=BENCH_DIR, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"node {script} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])
