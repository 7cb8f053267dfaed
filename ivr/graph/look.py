"""What the renderers share: the colours, how each node kind looks, the rows a
menu's box lists instead of arrows, and the check of the ids to highlight."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ivr.graph.model import NAVIGATION, Edge, EdgeKind, MenuGraph, NodeKind, menu_id

FONT = "DejaVu Sans,Arial,sans-serif"
HIGHLIGHT = "#dc2626"  # highlighted ("not covered"): red and dashed
HIGHLIGHT_FILL = "#fee2e2"
UNREACHABLE = "#c2410c"
UNREACHABLE_FILL = "#fed7aa"
GREY = "#64748b"


@dataclass(frozen=True)
class Look:
    """How a node kind is drawn."""

    title: str  # its first line (a menu's is its name)
    fill: str
    dot_shape: str  # Graphviz's shape
    mermaid: tuple[str, str]  # Mermaid's brackets of the shape


LOOKS: dict[NodeKind, Look] = {
    NodeKind.MENU: Look("menu", "#dbeafe", "box", ("(", ")")),
    NodeKind.MENU_OPERATOR: Look("operator", "#dcfce7", "ellipse", ("([", "])")),
    NodeKind.ANNOUNCE: Look("announce", "#fef9c3", "note", ("[", "]")),
    NodeKind.OPERATOR: Look("operator", "#bbf7d0", "ellipse", ("([", "])")),
    NodeKind.TRANSFER: Look("transfer", "#e0f2fe", "cds", (">", "]")),
    NodeKind.REDIRECT: Look("redirect", "#f5d0fe", "cds", (">", "]")),
    NodeKind.IDENTIFY: Look("identify", "#ede9fe", "parallelogram", ("[/", "/]")),
    NodeKind.OUTAGE_STATUS: Look("outage status", "#e0e7ff", "hexagon", ("{{", "}}")),
    NodeKind.OUTAGE_REPORT: Look("outage report", "#fce7f3", "tab", ("[[", "]]")),
    NodeKind.METER_READING: Look("meter reading", "#ccfbf1", "box3d", ("[(", ")]")),
    NodeKind.WHEN_OPEN: Look("when open", "#f1f5f9", "diamond", ("{", "}")),
    NodeKind.BACK: Look("back", "#f1f5f9", "larrow", ("[\\", "/]")),
    NodeKind.MAIN: Look("main menu", "#f1f5f9", "house", ("[\\", "/]")),
    NodeKind.REPEAT: Look("repeat", "#f1f5f9", "ellipse", ("((", "))")),
    NodeKind.HANGUP: Look("hang up", "#e5e7eb", "octagon", ("(((", ")))")),
}


def folded(graph: MenuGraph, menu: str) -> list[tuple[str, str]]:
    """The rows a menu's box lists instead of drawing them: (graph id, text)."""
    rows = []
    for edge in graph.edges:
        if edge.source != menu_id(menu):
            continue
        if edge.kind is EdgeKind.OPTION and edge.default:
            target = graph.node(edge.target)
            if target.kind in NAVIGATION:
                rows.append((edge.id, f"{edge.label}  {LOOKS[target.kind].title}"))
        elif edge.kind in (EdgeKind.TIMEOUT, EdgeKind.INVALID):
            rows.append((edge.id, f"{edge.label}: the menu again"))
    return rows


def is_folded(graph: MenuGraph, edge: Edge) -> bool:
    if edge.kind in (EdgeKind.TIMEOUT, EdgeKind.INVALID):
        return True
    return edge.default and graph.node(edge.target).kind in NAVIGATION


def check_highlight(graph: MenuGraph, highlight: Iterable[str]) -> frozenset[str]:
    """``highlight`` as a set; a ValueError names the ids the graph does not have."""
    wanted = frozenset(highlight)
    unknown = wanted - graph.ids
    if unknown:
        raise ValueError(f"not ids of this graph: {', '.join(sorted(unknown))}")
    return wanted
