"""Hybrid logical clocks (HLC) and their fixed-width string encoding.

Implements the HLC of Kulkarni, Demirbas, Madappa, Avva and Leone, *Logical Physical Clocks*
(OPODIS 2014), Figure 5: a clock is a pair ``(l, c)`` where ``l`` is the largest physical time (ms) the
replica has heard of and ``c`` counts events that share that ``l``. It stays close to physical time,
never goes backwards, and orders every send before the matching receive
(docs/sync-protocol.md §3.1).

The encoding ``"%015d-%05d" % (l, c)`` makes string order equal clock order.
"""

from __future__ import annotations

import re
from typing import Final

from sync.errors import ClockError

__all__ = ["COUNTER_LIMIT", "WALL_LIMIT", "HybridClock", "decode_clock", "encode_clock"]

WALL_LIMIT: Final = 10**15
COUNTER_LIMIT: Final = 100_000
_CLOCK_RE: Final = re.compile(r"[0-9]{15}-[0-9]{5}")
_REPLICA_RE: Final = re.compile(r"[0-9a-z]{1,32}")


def encode_clock(wall: int, counter: int) -> str:
    """Encode ``(wall, counter)`` as ``"001763712000000-00003"``; raise ``ValueError`` when out of range."""
    _check_range("wall", wall, WALL_LIMIT)
    _check_range("counter", counter, COUNTER_LIMIT)
    return f"{wall:015d}-{counter:05d}"


def decode_clock(s: str) -> tuple[int, int]:
    """Decode a clock string into ``(wall, counter)``; raise ``ValueError`` quoting ``s`` when malformed."""
    if not isinstance(s, str) or not _CLOCK_RE.fullmatch(s):
        raise ValueError(f"clock must look like '001763712000000-00003' (15 digits - 5 digits), got {s!r}")
    return int(s[:15]), int(s[16:])


def _check_range(name: str, value: int, limit: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if not 0 <= value < limit:
        raise ValueError(f"{name} must be in [0, {limit}), got {value}")


class HybridClock:
    """One replica's hybrid logical clock (Kulkarni et al., *Logical Physical Clocks*, 2014).

    ``now`` is the paper's "send or local event" and ``observe`` its "receive event of message m". Physical
    time is passed in, never read, so the clock is deterministic and testable. An event that would break
    an invariant raises :class:`~sync.errors.ClockError` and leaves the clock as it was.
    """

    __slots__ = ("_counter", "_max_drift_ms", "_replica", "_wall")

    def __init__(
        self, replica: str, *, wall: int = 0, counter: int = 0, max_drift_ms: int = 86_400_000
    ) -> None:
        if not isinstance(replica, str) or not _REPLICA_RE.fullmatch(replica):
            raise ValueError(f"replica must match [0-9a-z]{{1,32}}, got {replica!r}")
        _check_range("wall", wall, WALL_LIMIT)
        _check_range("counter", counter, COUNTER_LIMIT)
        _check_range("max_drift_ms", max_drift_ms, WALL_LIMIT)
        self._replica = replica
        self._wall = wall
        self._counter = counter
        self._max_drift_ms = max_drift_ms

    @property
    def replica(self) -> str:
        return self._replica

    @property
    def wall(self) -> int:
        """``l``: the greatest physical time, in ms, this replica has seen (its own or a remote one)."""
        return self._wall

    @property
    def counter(self) -> int:
        """``c``: how many events this replica has stamped, or seen, at wall time ``l``."""
        return self._counter

    @property
    def max_drift_ms(self) -> int:
        return self._max_drift_ms

    def __repr__(self) -> str:
        return f"HybridClock({self._replica!r}, wall={self._wall}, counter={self._counter})"

    def now(self, physical_ms: int) -> str:
        """Stamp a local or send event at physical time ``physical_ms`` and return the new clock string.

        ``l' = max(l, pt)``; ``c' = c + 1`` if ``l'`` equals ``l``, else ``0``.
        """
        _check_range("physical_ms", physical_ms, WALL_LIMIT)
        wall = max(self._wall, physical_ms)
        counter = self._counter + 1 if wall == self._wall else 0
        self._commit(wall, counter)
        return encode_clock(wall, counter)

    def observe(self, remote_clock: str, physical_ms: int) -> None:
        """Take in a received clock, so that the next local event is stamped after it.

        ``l' = max(l, l_m, pt)``; ``c'`` is ``max(c, c_m) + 1``, ``c + 1`` or ``c_m + 1`` when ``l'``
        equals both ``l`` and ``l_m``, only ``l``, or only ``l_m``, else ``0``. A remote wall more than
        ``max_drift_ms`` ahead of ``physical_ms`` raises ``clock_drift`` instead (the paper's ε bound).
        """
        remote_wall, remote_counter = decode_clock(remote_clock)
        _check_range("physical_ms", physical_ms, WALL_LIMIT)
        if remote_wall - physical_ms > self._max_drift_ms:
            raise ClockError(
                "clock_drift",
                f"remote clock {remote_clock!r} is {remote_wall - physical_ms} ms ahead of physical time "
                f"{physical_ms}; at most {self._max_drift_ms} ms is allowed",
            )
        wall = max(self._wall, remote_wall, physical_ms)
        if wall == self._wall == remote_wall:
            counter = max(self._counter, remote_counter) + 1
        elif wall == self._wall:
            counter = self._counter + 1
        elif wall == remote_wall:
            counter = remote_counter + 1
        else:
            counter = 0
        self._commit(wall, counter)

    def _commit(self, wall: int, counter: int) -> None:
        if counter >= COUNTER_LIMIT:
            raise ClockError(
                "counter_overflow",
                f"counter would reach {counter} at wall time {wall}; it must stay below {COUNTER_LIMIT}",
            )
        self._wall = wall
        self._counter = counter
