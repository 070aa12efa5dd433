"""A per-process sliding-window limit on authentication attempts (429 with Retry-After).

In-memory on purpose: it needs no store and resets on restart. With several server processes each keeps its
own window, so the effective limit is multiplied by the process count (docs/security.md).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from server.errors import ApiError

__all__ = ["RateLimited", "RateLimiter"]


class RateLimited(ApiError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "rate_limited",
            f"too many attempts; retry after {retry_after} s",
            "尝试过于频繁，请稍后再试",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``; raise :class:`RateLimited` if the last minute is full."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - 60:
            hits.popleft()
        if len(hits) >= self.per_minute:
            raise RateLimited(max(1, math.ceil(hits[0] + 60 - now)))
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle keys so the table cannot grow without bound
            for stale in [k for k, v in self._hits.items() if not v or v[-1] <= now - 60]:
                del self._hits[stale]
