"""The area tree of a coordinator's scope, for the console's side panel and its area pickers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.console.services.permissions import ConsoleScope
from server.services.roster import in_tree_order, list_areas

__all__ = ["AreaOption", "TreeNode", "area_options", "scope_tree"]


@dataclass
class TreeNode:
    id: int
    name: str
    level: str
    context: str = ""  # the names above a root that is not a street, e.g. its community
    children: list[TreeNode] = field(default_factory=list)

    def contains(self, area_id: int | None) -> bool:
        return area_id == self.id or any(child.contains(area_id) for child in self.children)


@dataclass(frozen=True)
class AreaOption:
    id: int
    name: str
    level: str
    depth: int
    path: str  # from the coordinator's own area down, e.g. "七里河社区 · 第3网格"


async def _areas(session: AsyncSession) -> dict[int, dict[str, Any]]:
    return {area["id"]: area for area in await list_areas(session)}


def _path(areas: dict[int, dict[str, Any]], area_id: int) -> list[str]:
    names: list[str] = []
    current: int | None = area_id
    while current is not None and current in areas:
        names.append(areas[current]["name"])
        current = areas[current]["parent"]
    return names[::-1]


async def scope_tree(session: AsyncSession, scope: ConsoleScope) -> list[TreeNode]:
    """The coordinator's areas as trees: one per assigned area (for an admin, one per street)."""
    areas = await _areas(session)
    nodes = {
        area_id: TreeNode(area_id, area["name"], area["level"])
        for area_id, area in areas.items()
        if area_id in scope.areas
    }
    roots: list[TreeNode] = []
    for area in in_tree_order([areas[i] for i in nodes]):
        node = nodes[area["id"]]
        if area["parent"] in nodes:
            nodes[area["parent"]].children.append(node)
        else:
            node.context = " · ".join(_path(areas, area["id"])[:-1])
            roots.append(node)
    return roots


async def area_options(session: AsyncSession, scope: ConsoleScope) -> list[AreaOption]:
    """Every area in the coordinator's scope, in tree order, for pickers (filter, assign, move)."""
    areas = await _areas(session)
    depth = {"street": 0, "community": 1, "grid": 2}
    mine = [a for a in areas.values() if a["id"] in scope.areas]
    # The path inside the coordinator's own areas: a community's grids read "七里河社区 · 第3网格".
    return [
        AreaOption(area["id"], area["name"], area["level"], depth.get(area["level"], 0),
                   " · ".join(_path({i: a for i, a in areas.items() if i in scope.areas}, area["id"])))
        for area in in_tree_order(mine)
    ]  # fmt: skip
