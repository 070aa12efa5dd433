"""Scale and folders of one benchmark run.

``LIANHU_BENCH_SCALE`` (or ``--scale``) multiplies every size: 1 is the issue's realistic size (100,000 ops,
20,000 households, 500 devices); 0.1 is a quick check whose figures are too small to track a goal.
Each run keeps its files in ``.tmp/bench/run-PID/`` (databases, server logs, browser profiles) and deletes
them at the end unless ``LIANHU_BENCH_KEEP=1``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import server

# The tree whose server is measured: the one ``server`` is imported from (normally this checkout; for a
# clean "before" figure, a snapshot of a commit run with this bench, see bench/README.md).
ROOT = Path(server.__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent.parent  # node_modules and the JS clients live here
TMP = ROOT / ".tmp" / "bench"
SECRET_KEY = "bench-secret-key-0123456789abcdefghijklmnop"


@dataclass(frozen=True)
class Run:
    """One invocation of ``python -m bench``."""

    scale: float
    dir: Path
    keep: bool
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run at the end, last first

    def sized(self, full: int, *, minimum: int = 1) -> int:
        """``full`` (the figure at scale 1) times the scale, never below ``minimum``."""
        return max(minimum, round(full * self.scale))

    def path(self, *parts: str) -> Path:
        path = self.dir.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def new_run(scale: float | None = None) -> Run:
    if scale is None:
        scale = float(os.environ.get("LIANHU_BENCH_SCALE", "1"))
    if not 0 < scale <= 10:
        raise ValueError(f"LIANHU_BENCH_SCALE must be in (0, 10], got {scale}")
    TMP.mkdir(parents=True, exist_ok=True)
    for old in TMP.glob("run-*"):  # runs that crashed before cleaning up, older than a day
        if time.time() - old.stat().st_mtime > 86400:
            shutil.rmtree(old, ignore_errors=True)
    run_dir = TMP / f"run-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    # Chromium, PouchDB and PostgreSQL leave files in HOME and TMPDIR: keep them inside the run.
    for name, var in (("home", "HOME"), ("tmp", "TMPDIR")):
        folder = run_dir / name
        folder.mkdir(exist_ok=True)
        os.environ[var] = str(folder)
    return Run(scale=scale, dir=run_dir, keep=os.environ.get("LIANHU_BENCH_KEEP") == "1")


def finish(run: Run) -> None:
    for cleanup in reversed(run.cleanups):
        cleanup()
    if run.keep:
        print(f"kept the run's files in {run.dir}")
        return
    shutil.rmtree(run.dir, ignore_errors=True)
