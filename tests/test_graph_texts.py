"""The menu diagram's words (``ivr.graph.texts``): the console draws it in Ukrainian, every
word of it, while ``ivr graph`` keeps English (``tests/test_graph.py`` holds its output)."""

from __future__ import annotations

import dataclasses
import html
import re
import string
from collections.abc import Iterator

import pytest
from conftest import SHIPPED_CONFIG

from ivr.config import Config, load_config
from ivr.graph.dot import render_dot
from ivr.graph.mermaid import render_mermaid
from ivr.graph.model import MenuGraph, NodeKind, build_graph
from ivr.graph.texts import ENGLISH, UKRAINIAN, GraphTexts

#: Latin words a Ukrainian template may have (none yet: IVR would be one)
LATIN_ALLOWED = frozenset({"IVR"})
LATIN = re.compile(r"[A-Za-z][\w-]*")


def texts_of(texts: GraphTexts) -> Iterator[tuple[str, str]]:
    """(field, text) of every text of ``texts``: a mapping's entry and a form are one each."""
    for field in dataclasses.fields(texts):
        value = getattr(texts, field.name)
        if isinstance(value, str):
            yield field.name, value
        elif isinstance(value, tuple):
            for index, form in enumerate(value):
                yield f"{field.name}[{index}]", form
        else:
            for key, text in value.items():
                yield f"{field.name}[{key!r}]", text


def placeholders(template: str) -> list[tuple[str, str]]:
    """The template's fields and their format specs, in order."""
    return [
        (name, spec or "")
        for _literal, name, spec, _conversion in string.Formatter().parse(template)
        if name is not None
    ]


def literal(template: str) -> str:
    """The template without its placeholders."""
    return "".join(part for part, *_rest in string.Formatter().parse(template))


def test_every_ukrainian_text_is_filled_and_differs_from_english():
    english, ukrainian = dict(texts_of(ENGLISH)), dict(texts_of(UKRAINIAN))
    assert english.keys() == ukrainian.keys()  # the same mapping keys too
    for field, text in ukrainian.items():
        assert text.strip(), field
        assert text != english[field], field
        assert placeholders(text) == placeholders(english[field]), field


def test_ukrainian_texts_have_no_latin_words():
    for field, text in texts_of(UKRAINIAN):
        latin = set(LATIN.findall(literal(text))) - LATIN_ALLOWED
        assert not latin, (field, latin)


def test_every_node_kind_has_a_title_in_both():
    for texts in (ENGLISH, UKRAINIAN):
        assert set(texts.kinds) == {kind.value for kind in NodeKind}


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 невдала спроба"),
        (2, "2 невдалі спроби"),
        (4, "4 невдалі спроби"),
        (5, "5 невдалих спроб"),
        (11, "11 невдалих спроб"),
        (21, "21 невдала спроба"),
        (22, "22 невдалі спроби"),
    ],
)
def test_failures_are_counted_in_ukrainian(n: int, expected: str):
    assert UKRAINIAN.count(n, UKRAINIAN.failures) == expected
    assert ENGLISH.count(n, ENGLISH.failures) == f"{n} failures"


def test_the_max_failures_edge_is_counted(shipped: Config):
    for menu in ("main", "outages"):
        shipped.menus[menu] = dataclasses.replace(shipped.menus[menu], max_failures=5)
    graph = build_graph(shipped, UKRAINIAN)
    labels = {e.id: e.label for e in graph.edges}
    assert labels["fallback:main:max_failures"] == "5 невдалих спроб"
    assert labels["fallback:quality:max_failures"] == "3 невдалі спроби"


# -- the diagram ------------------------------------------------------------------------------


def dot_labels(dot: str) -> list[str]:
    """Every label of a DOT text as the reader sees it: HTML labels without their tags."""
    labels = [html.unescape(m) for m in re.findall(r'label="((?:[^"\\]|\\.)*)"', dot)]
    for start in (m.end() for m in re.finditer(r"label=<", dot)):
        depth, end = 1, start
        while depth:
            depth += {"<": 1, ">": -1}.get(dot[end], 0)
            end += 1
        labels.append(html.unescape(re.sub(r"<[^>]*>", " ", dot[start : end - 1])))
    return labels


def mermaid_labels(mermaid: str) -> list[str]:
    """Every quoted text of a Mermaid flowchart (its labels and title), without tags."""
    entities = {"#quot;": '"', "#35;": "#", "#lt;": "<", "#gt;": ">"}
    found = []
    for quoted in re.findall(r'"([^"]*)"', mermaid):
        text = re.sub(r"<[^>]*>", " ", quoted)
        for entity, char in entities.items():
            text = text.replace(entity, char)
        found.append(text)
    return found


def config_words(graph: MenuGraph) -> set[str]:
    """Latin words the config itself puts on the diagram: menu names (``main``)."""
    return set(graph.menus)


def english_words() -> set[str]:
    return {w for _f, text in texts_of(ENGLISH) for w in LATIN.findall(literal(text))}


@pytest.fixture
def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def diagrams(config: Config, texts: GraphTexts) -> Iterator[tuple[MenuGraph, list[str]]]:
    for company in config.companies:
        graph = build_graph(company, texts)
        yield graph, dot_labels(render_dot(graph)) + mermaid_labels(render_mermaid(graph))


def test_the_shipped_diagrams_in_ukrainian_have_no_english_word(shipped: Config):
    words = english_words()
    assert {"menus", "operator", "topic", "again", "failures", "directory"} <= words
    for graph, labels in diagrams(shipped, UKRAINIAN):
        text = "\n".join(labels)
        found = set(LATIN.findall(text)) & (words - config_words(graph))
        assert not found, (graph.company_id, found)
        # and what the Ukrainian texts say is there
        for expected in ("меню, починаючи з «main»", "тема ", "меню ще раз", "невдалі спроби"):
            assert expected in text, expected


def test_the_english_diagrams_have_those_words(shipped: Config):
    """The check above can fail: the same labels in English are full of them."""
    words = english_words()
    for graph, labels in diagrams(shipped, ENGLISH):
        found = set(LATIN.findall("\n".join(labels))) & (words - config_words(graph))
        assert {"menus", "from", "topic", "again", "operator"} <= found


def test_the_ukrainian_diagram_keeps_what_the_config_says(shipped: Config):
    """Prompt texts, menu names, topic codes, keys and queues are the config's own."""
    english = build_graph(shipped, ENGLISH)
    ukrainian = build_graph(shipped, UKRAINIAN)
    assert english.ids == ukrainian.ids
    assert [n.title for n in english.nodes] == [n.title for n in ukrainian.nodes]
    assert [n.topic for n in english.nodes] == [n.topic for n in ukrainian.nodes]
    greeting = english.node("menu:main").lines
    assert greeting == ukrainian.node("menu:main").lines and greeting[0].startswith("«")
    keys = {e.id: e.label for e in english.edges if e.kind == "option"}
    assert keys == {e.id: e.label for e in ukrainian.edges if e.kind == "option"}
