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


def test_the_harness_erases_records_while_replicas_still_write_to_them() -> None:
    """Convergence holds with erasures: some runs erase records, and ops made or delivered after an erase
    are absorbed, every replica ending with the same husk."""
    simulations = [run(seed) for seed in range(40)]
    erasing = [simulation for simulation in simulations if simulation.erased]
    assert len(erasing) >= 8
    later = 0
    for simulation in erasing:
        for node in simulation.nodes.values():
            for record in simulation.erased:
                state = node.states[record]
                assert state.is_erased and state.fields == () and state.logs == ()
        erase_clocks = {op.record: op.clock for op in simulation.ops.values() if op.kind == "erase"}
        later += sum(
            1
            for op in simulation.ops.values()
            if op.kind != "erase" and op.record in erase_clocks and op.clock > erase_clocks[op.record]
        )
    assert later > 0, "no op was made after an erase: absorption was never exercised"
