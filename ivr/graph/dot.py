"""The menu graph as Graphviz DOT: one cluster per menu (the menu, its actions and its
operator), left to right from the entry menu.

A menu's box lists below its greeting what every menu has but would only clutter the
picture as arrows: the default repeat and back keys (``defaults.keys``) and what a timeout
or a wrong key does; the default operator key and the max-failures fallback are arrows to
the menu's one operator node. Every node and edge carries its graph id as its SVG
``class``; a node's SVG ``id`` is its graph id, an edge's ``<id>:edge`` (an option's node
and edge share one graph id). A row of a menu's box has its graph id as the cell's ``ID``
in the DOT text only (Graphviz writes a cell's id to SVG for links alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ivr.graph.look import (
    FONT,
    GREY,
    HIGHLIGHT,
    HIGHLIGHT_FILL,
    LOOKS,
    UNREACHABLE,
    UNREACHABLE_FILL,
    check_highlight,
    folded,
    is_folded,
    menu_title,
    title,
)
from ivr.graph.model import NAVIGATION, Edge, EdgeKind, MenuGraph, Node, NodeKind


def quote(text: str) -> str:
    """A DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attrs(**values: str | float | None) -> str:
    """``[key="value", ...]``; an HTML label (``<...>``) stays unquoted."""
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        text = str(value)
        if key == "label" and text.startswith("<"):
            parts.append(f"{key}={text}")
        else:
            parts.append(f"{key}={quote(text)}")
    return "[" + ", ".join(parts) + "]"


def menu_label(graph: MenuGraph, node: Node, highlight: frozenset[str]) -> str:
    """The menu's name, greeting and topic, then the rows of ``folded``."""
    texts = graph.texts
    name = f"<B>{escape(node.title)}</B>"
    if node.entry:
        name += " " + escape(texts.entry)
    rows = [f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="12">{name}</FONT></TD></TR>']
    if node.unreachable:
        rows.append(
            f'<TR><TD ALIGN="LEFT"><FONT COLOR="{UNREACHABLE}"><B>'
            f"{escape(texts.unreachable.format(entry=graph.entry))}</B></FONT></TD></TR>"
        )
    for line in node.lines:
        rows.append(f'<TR><TD ALIGN="LEFT"><I>{escape(line)}</I></TD></TR>')
    if node.topic:
        topic = escape(texts.topic.format(topic=node.topic))
        rows.append(f'<TR><TD ALIGN="LEFT">{topic}</TD></TR>')
    extra = folded(graph, node.menu)
    if extra:
        rows.append("<HR/>")
    for ident, text in extra:
        colour, fill = GREY, ""
        if ident in highlight:
            colour, fill = HIGHLIGHT, f' BGCOLOR="{HIGHLIGHT_FILL}"'
        rows.append(
            f'<TR><TD ALIGN="LEFT" ID={quote(ident)}{fill}><FONT POINT-SIZE="9" '
            f'COLOR="{colour}">{escape(text)}</FONT></TD></TR>'
        )
    colour = f' COLOR="{HIGHLIGHT}"' if node.id in highlight else ""
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"{colour}>' + (
        "".join(rows) + "</TABLE>>"
    )


def action_label(graph: MenuGraph, node: Node) -> str:
    parts = [f"<B>{escape(title(graph, node.kind))}</B>"]
    parts += [escape(line) for line in node.lines]
    if node.topic:
        topic = escape(graph.texts.topic.format(topic=node.topic))
        parts.append(f'<FONT POINT-SIZE="9">{topic}</FONT>')
    return "<" + "<BR/>".join(parts) + ">"


def node_line(graph: MenuGraph, node: Node, highlight: frozenset[str]) -> str:
    shape, fill = LOOKS[node.kind].dot_shape, LOOKS[node.kind].fill
    style = ["filled"]
    colour: str | None = None
    penwidth: float | None = None
    fontcolor: str | None = None
    if node.kind is NodeKind.MENU:
        style.append("rounded")
        label = menu_label(graph, node, highlight)
        if node.unreachable:
            fill, colour, penwidth = UNREACHABLE_FILL, UNREACHABLE, 2.5
        elif node.entry:
            penwidth = 2
    else:
        label = action_label(graph, node)
    if node.id in highlight:
        style.append("dashed")
        colour, fontcolor, penwidth = HIGHLIGHT, HIGHLIGHT, 2.5
    return f"    {quote(node.id)} " + attrs(
        id=node.id,
        **{"class": node.id},
        shape=shape,
        style=",".join(style),
        fillcolor=fill,
        color=colour,
        fontcolor=fontcolor,
        penwidth=penwidth,
        margin="0.2,0.1" if shape == "cds" else None,  # its point would cut the text
        label=label,
    )


def edge_line(edge: Edge, highlight: frozenset[str]) -> str:
    grey = edge.default or edge.kind is EdgeKind.MAX_FAILURES
    if edge.kind is EdgeKind.OPTION:
        label = f"<<B>{escape(edge.label)}</B>>"
    else:
        label = f"<<I>{escape(edge.label)}</I>>"
    colour: str | None = GREY if grey else None
    fontcolor: str | None = GREY if grey else None
    style: str | None = None
    penwidth: float | None = None
    if edge.id in highlight:
        colour = fontcolor = HIGHLIGHT
        style, penwidth = "dashed", 2.5
    return f"  {quote(edge.source)} -> {quote(edge.target)} " + attrs(
        id=f"{edge.id}:edge",
        **{"class": edge.id},
        label=label,
        color=colour,
        fontcolor=fontcolor,
        style=style,
        penwidth=penwidth,
    )


def render_dot(graph: MenuGraph, highlight: Iterable[str] = frozenset()) -> str:
    """The DOT text of ``graph``; the elements whose ids are in ``highlight`` drawn red and
    dashed (e.g. what no test call covered)."""
    marked = check_highlight(graph, highlight)
    lines = [
        "digraph ivr {",
        "  "
        + attrs(
            rankdir="LR",
            fontname=FONT,
            fontsize=14,
            labelloc="t",
            label=menu_title(graph),
            nodesep=0.2,
            ranksep=0.45,
            newrank="true",
            ordering="out",
        ).join(("graph ", "")),
        "  " + attrs(fontname=FONT, fontsize=10, margin="0.1,0.04").join(("node ", "")),
        "  " + attrs(fontname=FONT, fontsize=10, arrowsize=0.7).join(("edge ", "")),
    ]
    for menu in graph.menus:
        lost = menu in graph.unreachable
        lines.append(f"  subgraph {quote('cluster_' + menu)} {{")
        lines.append(
            "    "
            + attrs(
                style="rounded,filled" + (",bold" if lost else ""),
                fillcolor="#fff7ed" if lost else "#f8fafc",
                color=UNREACHABLE if lost else "#cbd5e1",
                label="",
            ).join(("graph ", ""))
        )
        for node in graph.in_menu(menu):
            if node.default and node.kind in NAVIGATION:
                continue  # a row of the menu's box
            lines.append(node_line(graph, node, marked))
        lines.append("  }")
    # Graphviz lays a rank out left to right and turns it for rankdir=LR, which puts the
    # first of a node's out-edges (ordering=out) at the bottom: reversed, key 1 is on top.
    for edge in reversed(graph.edges):
        if not is_folded(graph, edge):
            lines.append(edge_line(edge, marked))
    lines.append("}")
    return "\n".join(lines) + "\n"
