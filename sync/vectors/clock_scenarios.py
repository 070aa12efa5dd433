"""Hand-written hybrid logical clock scenarios; every ``expect`` is computed with the library."""

from __future__ import annotations

from typing import Final

from sync.clock import HybridClock, encode_clock
from sync.errors import ClockError
from sync.json_value import JSON

__all__ = ["clock_vectors"]

T0: Final = 1_763_712_000_000
REPLICA: Final = "k3v9x2m1p8q4r7t0"
DAY: Final = 86_400_000

Step = tuple[str, int] | tuple[str, int, str]


def now(physical: int) -> Step:
    return ("now", physical)


def observe(remote_wall: int, remote_counter: int, physical: int) -> Step:
    return ("observe", physical, encode_clock(remote_wall, remote_counter))


def scenario(
    name: str, steps: list[Step], *, wall: int = 0, counter: int = 0, max_drift_ms: int = DAY
) -> dict[str, JSON]:
    clock = HybridClock(REPLICA, wall=wall, counter=counter, max_drift_ms=max_drift_ms)
    out: list[JSON] = []
    for step in steps:
        event, physical = step[0], step[1]
        record: dict[str, JSON] = {"event": event, "physical": physical}
        try:
            if len(step) == 3:
                record["remote"] = step[2]
                clock.observe(step[2], physical)
                result = encode_clock(clock.wall, clock.counter)
            else:
                result = clock.now(physical)
        except ClockError as exc:
            record["expect_error"] = exc.code
        else:
            record["expect"] = result
        out.append(record)
    return {
        "name": name,
        "replica": REPLICA,
        "max_drift_ms": max_drift_ms,
        "start": {"wall": wall, "counter": counter},
        "steps": out,
    }


def clock_vectors() -> list[dict[str, JSON]]:
    t = T0
    return [
        scenario("local events in the same ms count up", [now(t), now(t), now(t), now(t + 1), now(t + 1)]),
        scenario("first event from the zero clock", [now(0), now(1), now(t)]),
        scenario(
            "physical time going backwards keeps the wall and counts up",
            [now(t + 5000), now(t + 4000), now(t + 3000), now(t + 5000), now(t + 5001)],
        ),
        scenario(
            "observe a remote clock ahead: adopt its wall and counter + 1",
            [observe(t + 2000, 5, t + 1500), now(t + 1600), now(t + 2000), now(t + 2001)],
            wall=t + 1000,
            counter=3,
        ),
        scenario(
            "observe a remote clock behind: keep the local wall, counter + 1",
            [observe(t + 3000, 9, t + 4000), observe(t + 5000, 0, t + 4500)],
            wall=t + 5000,
            counter=2,
        ),
        scenario(
            "observe a remote clock with an equal wall: max of counters + 1",
            [observe(t + 5000, 7, t + 4000), observe(t + 5000, 1, t + 4000), now(t + 4000)],
            wall=t + 5000,
            counter=2,
        ),
        scenario(
            "observe when physical time is ahead of both: counter resets",
            [observe(t + 900, 2, t + 2000), observe(t + 3000, 4, t + 3000)],
            wall=t + 1000,
            counter=4,
        ),
        scenario(
            "clock_drift: a remote wall too far ahead is refused and the clock is unchanged",
            [now(t), observe(t + 1001, 0, t), now(t), observe(t + 1001, 0, t + 1), now(t + 1)],
            max_drift_ms=1000,
        ),
        scenario(
            "counter_overflow on observe and on a local event; the clock is unchanged after each",
            [observe(t, 99_999, t), now(t), now(t), now(t + 1)],
            wall=t,
            counter=99_998,
        ),
    ]
