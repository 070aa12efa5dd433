"""Areas as the requests board, alarms and indicators use them: which grids an area filter means for a
caller, and sums per grid rolled up to communities and streets.

A filter never widens what the caller may see: the grids of an area are intersected with the caller's own
(``Principal.grid_ids``, the grids the access rule lets them read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.console.services.permissions import ConsoleScope
from server.services.roster import in_tree_order, list_areas

__all__ = ["AreaRow", "AreaTree", "area_tree"]

T = TypeVar("T")


@dataclass(frozen=True)
class AreaRow:
    """One area of a rolled-up table: its level, depth under the shown root, and its summed value."""

    id: int
    name: str
    level: str
    depth: int
    value: Any


@dataclass(frozen=True)
class AreaTree:
    """The area tree a caller sees, with what each area stands for in grids."""

    areas: Mapping[int, Mapping[str, Any]]  # list_areas rows by id (the whole tree)
    visible: frozenset[int]  # areas in the caller's console scope
    grid_ids: frozenset[int]  # the grids the caller may read

    def parent(self, area_id: int) -> int | None:
        parent = self.areas[area_id]["parent"] if area_id in self.areas else None
        return int(parent) if parent is not None else None

    def grids_under(self, area_id: int | None) -> frozenset[int]:
        """The caller's grids at or under ``area_id`` (``None``: all of them; unknown or out of sight:
        none)."""
        if area_id is None:
            return self.grid_ids
        if area_id not in self.visible:
            return frozenset()
        return frozenset(grid for grid in self.grid_ids if area_id in self.chain(grid))

    def chain(self, area_id: int) -> list[int]:
        """``area_id`` and its ancestors, nearest first."""
        found: list[int] = []
        current: int | None = area_id
        while current is not None and current in self.areas and current not in found:
            found.append(current)
            current = self.parent(current)
        return found

    def roll_up(
        self,
        per_grid: Mapping[int, T],
        *,
        add: Callable[[T, T], T],
        zero: Callable[[], T],
        root: int | None = None,
    ) -> list[AreaRow]:
        """Each visible area (under ``root`` if given) with the sum of its grids' values, in tree order."""
        totals: dict[int, T] = {}
        for grid, value in per_grid.items():
            for area_id in self.chain(grid):
                totals[area_id] = add(totals.get(area_id, zero()), value)
        shown = [
            dict(row) for area_id, row in self.areas.items()
            if area_id in self.visible and (root is None or root in self.chain(area_id))
        ]  # fmt: skip
        rows: list[AreaRow] = []
        for area in in_tree_order(shown):
            depth = sum(1 for a in self.chain(area["id"])[1:] if a in self.visible)
            if root is not None:
                depth -= sum(1 for a in self.chain(root)[1:] if a in self.visible)
            rows.append(
                AreaRow(area["id"], area["name"], area["level"], depth, totals.get(area["id"], zero()))
            )
        return rows


async def area_tree(session: AsyncSession, scope: ConsoleScope, principal: Principal) -> AreaTree:
    areas = {area["id"]: area for area in await list_areas(session)}
    return AreaTree(areas=areas, visible=scope.areas, grid_ids=principal.grid_ids)
