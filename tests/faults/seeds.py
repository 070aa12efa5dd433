"""Seeds for the randomized fault tests: fresh each run (more of the space over time), replayable on demand.

``LIANHU_FAULT_SEED=N`` replays a run: the same schedule of ops, batches, faults and kill delays. (The exact
instant a ``SIGKILL`` lands inside the server still depends on the machine's timing; the schedule does not.)
Every failure message carries the seed and the command that replays it.
"""

from __future__ import annotations

import os
import secrets

import pytest

__all__ = ["SEED_VARIABLE", "fault_seed", "replay_hint"]

SEED_VARIABLE = "LIANHU_FAULT_SEED"


def fault_seed() -> int:
    raw = os.environ.get(SEED_VARIABLE, "")
    if raw:
        try:
            return int(raw)
        except ValueError:
            pytest.fail(f"{SEED_VARIABLE} must be an integer, got {raw!r}")
    return secrets.randbelow(2**32)


def replay_hint(seed: int, request: pytest.FixtureRequest) -> str:
    return (
        f"seed {seed}; replay: {SEED_VARIABLE}={seed} .venv/bin/pytest -p no:cacheprovider "
        f"'{request.node.nodeid}'"
    )
