"""The menu graph as a Mermaid flowchart (text; GitHub, GitLab and many wikis draw it): one
subgraph per menu, as in the DOT output (``ivr.graph.dot``), with the same rows in a
menu's box. Mermaid ids are the graph ids spelt with letters, digits and ``_`` only
(``mermaid_id``)."""

from __future__ import annotations

from collections.abc import Iterable

from ivr.graph.look import (
    GREY,
    HIGHLIGHT,
    LOOKS,
    UNREACHABLE,
    UNREACHABLE_FILL,
    check_highlight,
    folded,
    is_folded,
    menu_title,
    title,
)
from ivr.graph.model import NAVIGATION, EdgeKind, MenuGraph, Node, NodeKind

_SPELLING = {"_": "__", ":": "_c", "*": "_s", "#": "_h", "-": "_d"}


def mermaid_id(graph_id: str) -> str:
    """A graph id as a Mermaid node id: ``n_`` and the id with ``_`` doubled and ``:``,
    ``*``, ``#``, ``-`` spelt ``_c``, ``_s``, ``_h``, ``_d`` (one to one)."""
    return "n_" + "".join(_SPELLING.get(ch, ch) for ch in graph_id)


def text(value: str) -> str:
    """Text inside a quoted Mermaid label: its quotes, ``#`` and angle brackets as entities."""
    return "".join({'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;"}.get(c, c) for c in value)


def label(node: Node, graph: MenuGraph) -> str:
    texts = graph.texts
    topic = text(texts.topic.format(topic=node.topic)) if node.topic else ""
    if node.kind is NodeKind.MENU:
        lines = [f"<b>{text(node.title)}</b>" + (f" {text(texts.entry)}" if node.entry else "")]
        if node.unreachable:
            lines.append(f"<b>{text(texts.unreachable.format(entry=graph.entry))}</b>")
        lines += [f"<i>{text(line)}</i>" for line in node.lines]
        if topic:
            lines.append(topic)
        lines += [f"<small>{text(row)}</small>" for _id, row in folded(graph, node.menu)]
    else:
        lines = [f"<b>{text(title(graph, node.kind))}</b>", *map(text, node.lines)]
        if topic:
            lines.append(f"<small>{topic}</small>")
    return "<br/>".join(lines)


def render_mermaid(graph: MenuGraph, highlight: Iterable[str] = frozenset()) -> str:
    """The Mermaid text of ``graph``; the elements whose ids are in ``highlight`` drawn red
    and dashed, and every row of a menu's box with them when one of its rows is (a label
    line cannot be styled alone)."""
    marked = check_highlight(graph, highlight)
    lines = [
        "---",
        f'title: "{text(menu_title(graph))}"',
        "---",
        "flowchart LR",
        f"  classDef highlight stroke:{HIGHLIGHT},stroke-width:3px,stroke-dasharray:6 4,"
        f"color:{HIGHLIGHT}",
        f"  classDef unreachable fill:{UNREACHABLE_FILL},stroke:{UNREACHABLE},stroke-width:3px",
    ]
    classes: list[str] = []
    # Mermaid stacks the subgraphs declared last on top: the entry menu's is declared last
    for menu in reversed(graph.menus):
        cluster = mermaid_id(f"cluster:{menu}")
        lines.append(f'  subgraph {cluster} [" "]')
        lines.append("    direction LR")
        for node in graph.in_menu(menu):
            if node.default and node.kind in NAVIGATION:
                continue  # a row of the menu's box
            left, right = LOOKS[node.kind].mermaid
            lines.append(f'    {mermaid_id(node.id)}{left}"{label(node, graph)}"{right}')
            # a node's own style wins over its classes: an unreachable menu's is orange
            fill = UNREACHABLE_FILL if node.unreachable else LOOKS[node.kind].fill
            classes.append(f"  style {mermaid_id(node.id)} fill:{fill}")
            rows = {ident for ident, _row in folded(graph, menu)}
            if node.unreachable:
                classes.append(f"  class {mermaid_id(node.id)} unreachable")
            if node.id in marked or (node.kind is NodeKind.MENU and rows & marked):
                classes.append(f"  class {mermaid_id(node.id)} highlight")
        lines.append("  end")
        if menu in graph.unreachable:
            classes.append(f"  style {cluster} fill:#fff7ed,stroke:{UNREACHABLE},stroke-width:3px")
        else:
            classes.append(f"  style {cluster} fill:#f8fafc,stroke:#cbd5e1")
    index = 0
    for edge in graph.edges:
        if is_folded(graph, edge):
            continue
        name = text(edge.label)
        if edge.kind is not EdgeKind.OPTION:
            name = f"<i>{name}</i>"
        lines.append(f'  {mermaid_id(edge.source)} -->|"{name}"| {mermaid_id(edge.target)}')
        if edge.id in marked:
            classes.append(
                f"  linkStyle {index} stroke:{HIGHLIGHT},stroke-width:3px,"
                f"stroke-dasharray:6 4,color:{HIGHLIGHT}"
            )
        elif edge.default or edge.kind is EdgeKind.MAX_FAILURES:
            classes.append(f"  linkStyle {index} stroke:{GREY}")
        index += 1
    return "\n".join(lines + classes) + "\n"
