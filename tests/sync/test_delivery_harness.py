"""Replicas converge whatever the network does: the seeded delivery harness (see harness.py).

``LIANHU_HARNESS_SEED=1234`` runs just that seed; ``LIANHU_HARNESS_RUNS=5000`` runs more seeds.
"""

from __future__ import annotations

import os

import pytest

from tests.sync.harness import HarnessFailure, run


def seeds() -> list[int]:
    if "LIANHU_HARNESS_SEED" in os.environ:
        return [int(os.environ["LIANHU_HARNESS_SEED"])]
    return list(range(int(os.environ.get("LIANHU_HARNESS_RUNS", "200"))))


@pytest.mark.parametrize("seed", seeds(), ids=lambda seed: f"seed={seed}")
def test_replicas_converge_to_the_state_of_the_whole_op_set(seed: int) -> None:
    simulation = run(seed)
    assert simulation.ops, "the simulation created no ops"


def test_the_harness_reports_divergence_with_the_seed_and_replay_command() -> None:
    with pytest.raises(HarnessFailure, match=r"(?s)seed 7: .*diverged.*LIANHU_HARNESS_SEED=7 "):
        run(7, anti_entropy=False, drop=0.6)


def test_the_harness_overflows_registers_merges_states_and_restarts_replicas() -> None:
    """Convergence above is only worth something if writes really drop out on the way."""
    simulations = [run(seed) for seed in range(20)]
    assert sum(simulation.dropped_writes() > 0 for simulation in simulations) >= 15
    assert sum(simulation.merges for simulation in simulations) >= 20
    assert sum(simulation.restarts for simulation in simulations) >= 20
