"""The menu tree of one company as nodes and edges (no layout): what ``build_graph`` makes
and the renderers (``ivr.graph.dot``, ``ivr.graph.mermaid``) draw. The ids are described in
``ivr.graph``."""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Iterator, Mapping

from ivr.actions.announce import AnnounceAction
from ivr.actions.base import Action
from ivr.actions.hangup import HangupAction
from ivr.actions.identify import IdentifyAction
from ivr.actions.menu import MenuAction
from ivr.actions.operator import OperatorAction
from ivr.actions.outage_report import OutageReportAction
from ivr.actions.redirect import RedirectAction
from ivr.actions.transfer import TransferAction
from ivr.actions.when_open import BRANCHES, WhenOpenAction
from ivr.config.menu_section import reachable
from ivr.config.model import Config, Menu
from ivr.graph.texts import ENGLISH, GraphTexts

#: how many characters of a prompt's text a node shows
GREETING_CHARS = 40
ACTION_TEXT_CHARS = 32


class NodeKind(enum.StrEnum):
    """What a node stands for: a menu, the menu's own operator, or an action kind."""

    MENU = "menu"
    #: the operator a menu hands a caller to after ``max_failures`` (and for the operator
    #: key, and every operator option with the menu's own topic)
    MENU_OPERATOR = "menu_operator"
    ANNOUNCE = "announce"
    OPERATOR = "operator"
    TRANSFER = "transfer"
    REDIRECT = "redirect"
    IDENTIFY = "identify"
    OUTAGE_STATUS = "outage_status"
    OUTAGE_REPORT = "outage_report"
    METER_READING = "meter_reading"
    WHEN_OPEN = "when_open"
    BACK = "back"
    MAIN = "main"
    REPEAT = "repeat"
    HANGUP = "hangup"


class EdgeKind(enum.StrEnum):
    OPTION = "option"  # a key of the menu (its label)
    BRANCH = "branch"  # a when_open branch: "open" / "closed"
    THEN = "then"  # where an action goes on to (identify's ``menu``)
    TIMEOUT = "timeout"  # no key in time: the timeout prompt, the menu again
    INVALID = "invalid"  # a key the menu does not have: the invalid prompt, the menu again
    MAX_FAILURES = "max_failures"  # to the menu's operator


#: the action kinds drawn without an edge onwards: where they lead depends on the call
NAVIGATION = frozenset({NodeKind.BACK, NodeKind.MAIN, NodeKind.REPEAT})


@dataclasses.dataclass(frozen=True)
class Node:
    id: str
    kind: NodeKind
    menu: str  # the menu it belongs to (its own name for a menu node)
    title: str  # the menu's name, or the action's kind as in config.yaml
    #: further lines: a menu's greeting, an announcement's text, a queue, a number...
    lines: tuple[str, ...] = ()
    topic: str | None = None
    #: the default key (``defaults.keys``) this option came from; False for the menu's own
    default: bool = False
    unreachable: bool = False  # a menu no caller reaches from the entry menu
    entry: bool = False  # the entry menu


@dataclasses.dataclass(frozen=True)
class Edge:
    id: str
    kind: EdgeKind
    source: str  # node ids
    target: str
    label: str
    default: bool = False  # a default key merged into the menu


@dataclasses.dataclass(frozen=True)
class MenuGraph:
    company: str  # the company's name
    company_id: str
    role: str
    entry: str  # the entry menu's name
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    menus: tuple[str, ...]  # every menu, in the config's order
    unreachable: frozenset[str] = frozenset()  # menus no caller reaches
    #: the words of every label: the renderers take theirs from here too
    texts: GraphTexts = ENGLISH

    @property
    def ids(self) -> frozenset[str]:
        """Every id of the graph: its nodes' and its edges' (an option's are one id)."""
        return frozenset(n.id for n in self.nodes) | frozenset(e.id for e in self.edges)

    @functools.cached_property
    def by_id(self) -> Mapping[str, Node]:
        return {node.id: node for node in self.nodes}

    def node(self, node_id: str) -> Node:
        return self.by_id[node_id]

    def in_menu(self, menu: str) -> Iterator[Node]:
        return (n for n in self.nodes if n.menu == menu)


def menu_id(menu: str) -> str:
    return f"menu:{menu}"


def option_id(menu: str, key: str) -> str:
    return f"option:{menu}:{key}"


def fallback_id(menu: str, what: str) -> str:
    return f"fallback:{menu}:{what}"


def operator_id(menu: str) -> str:
    return f"operator:{menu}"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters and an
    ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:—-") + "…"


class _Builder:
    def __init__(self, config: Config, texts: GraphTexts) -> None:
        self.config = config
        self.texts = texts
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.leads_to: dict[str, set[str]] = {name: set() for name in config.menus}

    def text(self, prompt: str, limit: int) -> str:
        """The first words of a prompt's Ukrainian text, in «»; the id when it has none."""
        words = self.config.prompts.texts.get(prompt)
        return f"«{shorten(words, limit)}»" if words else prompt

    def fallback_topic(self, menu: Menu) -> str:
        return menu.topic or self.config.operator.topic

    def build(self) -> MenuGraph:
        config = self.config
        for menu in config.menus.values():
            self.menu(menu)
        seen = reachable(config.entry_menu, self.leads_to)
        unreachable = frozenset(name for name in config.menus if name not in seen)
        nodes = tuple(
            dataclasses.replace(
                n,
                unreachable=n.kind is NodeKind.MENU and n.menu in unreachable,
                entry=n.kind is NodeKind.MENU and n.menu == config.entry_menu,
            )
            for n in self.nodes
        )
        return MenuGraph(
            company=config.company.name,
            company_id=config.company.id,
            role=config.company.role.value,
            entry=config.entry_menu,
            nodes=nodes,
            edges=tuple(self.edges),
            menus=tuple(config.menus),
            unreachable=unreachable,
            texts=self.texts,
        )

    def menu(self, menu: Menu) -> None:
        name = menu.name
        greeting = self.text(menu.greeting[0], GREETING_CHARS) if menu.greeting else ""
        self.nodes.append(
            Node(menu_id(name), NodeKind.MENU, name, name, (greeting,), topic=menu.topic)
        )
        for key, action in menu.options.items():
            default = key in menu.default_keys
            ident = option_id(name, key)
            target = self.action(menu, ident, action, default)
            self.edges.append(
                Edge(ident, EdgeKind.OPTION, menu_id(name), target, key, default=default)
            )
        topic = self.fallback_topic(menu)
        queue = self.config.operator.queue_for(topic)
        self.nodes.append(
            Node(operator_id(name), NodeKind.MENU_OPERATOR, name, "operator", (queue,), topic)
        )
        texts = self.texts
        timeout = texts.timeout.format(seconds=menu.timeout_ms / 1000)
        failures = texts.count(menu.max_failures, texts.failures)
        for what, kind, label, target in (
            ("timeout", EdgeKind.TIMEOUT, timeout, menu_id(name)),
            ("invalid", EdgeKind.INVALID, texts.invalid, menu_id(name)),
            ("max_failures", EdgeKind.MAX_FAILURES, failures, operator_id(name)),
        ):
            self.edges.append(Edge(fallback_id(name, what), kind, menu_id(name), target, label))

    def action(self, menu: Menu, ident: str, action: Action, default: bool = False) -> str:
        """The node ``action`` leads to (added here unless it is a menu's or the menu's
        operator); ``ident`` is the option's id, the node's when it has one of its own."""
        if isinstance(action, MenuAction):
            self.leads_to[menu.name].add(action.menu)
            return menu_id(action.menu)
        if isinstance(action, OperatorAction) and (
            action.topic or self.config.operator.topic
        ) == self.fallback_topic(menu):
            return operator_id(menu.name)
        kind = NodeKind(action.kind)
        self.nodes.append(
            Node(
                ident,
                kind,
                menu.name,
                action.kind,
                self.details(action),
                action.topic,
                default,
            )
        )
        if isinstance(action, WhenOpenAction):
            for branch in BRANCHES:
                branch_id = f"{ident}:{branch}"
                target = self.action(menu, branch_id, getattr(action, branch))
                label = self.texts.branches[branch]
                self.edges.append(Edge(branch_id, EdgeKind.BRANCH, ident, target, label))
        elif isinstance(action, IdentifyAction) and action.menu is not None:
            self.leads_to[menu.name].add(action.menu)
            self.edges.append(
                Edge(
                    f"{ident}:then",
                    EdgeKind.THEN,
                    ident,
                    menu_id(action.menu),
                    self.texts.identified,
                )
            )
        return ident

    def details(self, action: Action) -> tuple[str, ...]:
        """What a node of ``action`` says besides its kind and topic."""
        config, texts = self.config, self.texts
        if isinstance(action, AnnounceAction):
            lines = [self.text(action.prompts[0], ACTION_TEXT_CHARS)]
            if action.then == "hangup":
                lines.append(texts.then_hangup)
            return tuple(lines)
        if isinstance(action, OperatorAction):
            return (config.operator.queue_for(action.topic or config.operator.topic),)
        if isinstance(action, TransferAction):
            return (action.number,)
        if isinstance(action, RedirectAction):
            if action.redirect is not None:
                redirect = config.redirects[action.redirect]
                return (redirect.company, redirect.number)
            role = texts.directory_roles.get(action.role or "", action.role or "")
            return (texts.directory.format(role=role),)
        if isinstance(action, IdentifyAction):
            if action.menu is None:
                return (texts.then_back,)
            return (texts.then_menu.format(menu=action.menu),)
        if isinstance(action, OutageReportAction) and action.question is not None:
            answers = [
                f"{key} {a.code}"
                + (" " + texts.answer_operator.format(operator=a.operator) if a.operator else "")
                for key, a in action.question.answers.items()
            ]
            return (texts.asks.format(answers=", ".join(answers)),)
        if isinstance(action, HangupAction):
            return (self.text((action.prompts or (config.farewell_prompt,))[0], 24),)
        return ()


def build_graph(config: Config, texts: GraphTexts = ENGLISH) -> MenuGraph:
    """The menu tree of ``config``'s own company (not its profiles: each is a graph), its
    labels in ``texts`` (``ivr.graph.texts``: English, the command line's, or Ukrainian)."""
    return _Builder(config, texts).build()
