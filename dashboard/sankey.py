"""Which page-to-page links a Sankey diagram can show: the most common ones that form no cycle.

Sessions go back and forth (home → category → home), and a Sankey of such links draws loops over itself. The
strongest links are kept greedily, each only when it closes no cycle with those kept before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    value: float


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for following in edges.get(node, ()):
            if following not in seen:
                seen.add(following)
                stack.append(following)
    return False


def acyclic_links(links: Iterable[Link], limit: int) -> list[Link]:
    """Up to `limit` links, strongest first, that together have no cycle (self-links never)."""
    kept: list[Link] = []
    edges: dict[str, set[str]] = {}
    for link in sorted(links, key=lambda link: (-link.value, link.source, link.target)):
        if len(kept) == limit:
            break
        if link.source == link.target or _reaches(edges, link.target, link.source):
            continue
        edges.setdefault(link.source, set()).add(link.target)
        kept.append(link)
    return kept
