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
    """How a node kind is drawn (its first line, a menu's name else, is in the graph's
    texts: ``title``)."""

    fill: str
    dot_shape: str  # Graphviz's shape
    mermaid: tuple[str, str]  # Mermaid's brackets of the shape


LOOKS: dict[NodeKind, Look] = {
    NodeKind.MENU: Look("#dbeafe", "box", ("(", ")")),
    NodeKind.MENU_OPERATOR: Look("#dcfce7", "ellipse", ("([", "])")),
    NodeKind.ANNOUNCE: Look("#fef9c3", "note", ("[", "]")),
    NodeKind.OPERATOR: Look("#bbf7d0", "ellipse", ("([", "])")),
    NodeKind.TRANSFER: Look("#e0f2fe", "cds", (">", "]")),
    NodeKind.REDIRECT: Look("#f5d0fe", "cds", (">", "]")),
    NodeKind.IDENTIFY: Look("#ede9fe", "parallelogram", ("[/", "/]")),
    NodeKind.OUTAGE_STATUS: Look("#e0e7ff", "hexagon", ("{{", "}}")),
    NodeKind.OUTAGE_REPORT: Look("#fce7f3", "tab", ("[[", "]]")),
    NodeKind.METER_READING: Look("#ccfbf1", "box3d", ("[(", ")]")),
    NodeKind.WHEN_OPEN: Look("#f1f5f9", "diamond", ("{", "}")),
    NodeKind.BACK: Look("#f1f5f9", "larrow", ("[\\", "/]")),
    NodeKind.MAIN: Look("#f1f5f9", "house", ("[\\", "/]")),
    NodeKind.REPEAT: Look("#f1f5f9", "ellipse", ("((", "))")),
    NodeKind.HANGUP: Look("#e5e7eb", "octagon", ("(((", ")))")),
}


def title(graph: MenuGraph, kind: NodeKind) -> str:
    """The first line of a node of ``kind`` in the graph's words."""
    return graph.texts.kinds[kind.value]


def menu_title(graph: MenuGraph) -> str:
    """The diagram's title: the company, its role and the entry menu."""
    role = graph.texts.roles.get(graph.role, graph.role)
    return graph.texts.title.format(
        company=graph.company, company_id=graph.company_id, role=role, entry=graph.entry
    )


def folded(graph: MenuGraph, menu: str) -> list[tuple[str, str]]:
    """The rows a menu's box lists instead of drawing them: (graph id, text)."""
    rows = []
    for edge in graph.edges:
        if edge.source != menu_id(menu):
            continue
        if edge.kind is EdgeKind.OPTION and edge.default:
            target = graph.node(edge.target)
            if target.kind in NAVIGATION:
                rows.append((edge.id, f"{edge.label}  {title(graph, target.kind)}"))
        elif edge.kind in (EdgeKind.TIMEOUT, EdgeKind.INVALID):
            rows.append((edge.id, graph.texts.again.format(fallback=edge.label)))
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
