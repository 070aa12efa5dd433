"""``make bench``: the benchmarks of issue 8, each printing its goal, Lianhu's figure, the peer or floor
measured in the same run, the ratio and whether the goal is met.

    python -m bench                       every benchmark (well under 30 minutes at full scale)
    python -m bench fanin storage         only these, in this order
    python -m bench --scale 0.1 fanin     a quick check (or LIANHU_BENCH_SCALE=0.1): too small for goals

Names: fanin, storage, first_sync, delta, save, devices, shell_bytes, lighthouse. The table is also
written as JSON to ``.tmp/bench/latest.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import time
import traceback

from .lib.config import TMP, finish, new_run
from .lib.report import Row, print_rows, save_rows

BENCHMARKS = ("fanin", "storage", "first_sync", "delta", "save", "devices", "shell_bytes", "lighthouse")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", choices=[[], *BENCHMARKS], metavar="NAME", help=", ".join(BENCHMARKS)
    )
    parser.add_argument(
        "--scale", type=float, default=None, help="size factor (default LIANHU_BENCH_SCALE or 1)"
    )
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    run = new_run(args.scale)
    print(f"lianhu bench: {', '.join(names)} at scale {run.scale:g} (files in {run.dir})", flush=True)
    started = time.monotonic()
    rows: list[Row] = []
    failed: list[str] = []
    try:
        for name in names:
            print(f"\n== {name}", flush=True)
            began = time.monotonic()
            module = importlib.import_module(f"bench.{name}")
            try:
                found = module.run(run)
            except Exception:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                failed.append(name)
                continue
            print_rows(found, title=f"{name} ({time.monotonic() - began:.0f} s)")
            rows.extend(found)
    finally:
        finish(run)
    elapsed = time.monotonic() - started
    title = f"lianhu bench — scale {run.scale:g}, {elapsed / 60:.1f} min" + (
        " (quick check)" if run.scale < 1 else ""
    )
    print_rows(rows, title=title)
    save_rows(
        rows, TMP / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json", scale=run.scale, elapsed_s=elapsed
    )
    shutil.copyfile(max(TMP.glob("results-*.json")), TMP / "latest.json")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
