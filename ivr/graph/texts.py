"""Every word on a menu diagram (``ivr.graph``), in English (``ivr graph``'s, the default) and
in Ukrainian (the web console's). ``build_graph(config, texts)`` makes the graph with one
of them and the renderers take their words from ``MenuGraph.texts``: the words of a graph
are chosen once. The texts are ``str.format`` templates; a counted noun carries its three
Ukrainian forms (one, few, many), which English fills with one word thrice.

What comes from the config stays as it is: the prompts' texts (Ukrainian already), menu
names, keys, topic codes, queues and numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ivr.speech.grammar import plural_form

#: A counted noun's forms: (one, few, many), as ``ivr.speech.grammar.plural_form`` picks them.
Forms = tuple[str, str, str]


@dataclass(frozen=True)
class GraphTexts:
    """A diagram's texts; the names in braces are what each template is formatted with."""

    #: each ``NodeKind``'s value -> the first line of its node (a menu's is its name)
    kinds: Mapping[str, str]
    #: {company}, {company_id}, {role} (a ``roles`` name), {entry} (the entry menu)
    title: str
    roles: Mapping[str, str]  # ``Role`` values -> their names in the title
    entry: str  # after the entry menu's name
    unreachable: str  # {entry}: a menu no caller reaches
    topic: str  # {topic}: a menu's or an action's topic code
    again: str  # {fallback} (``timeout`` or ``invalid``): a row of the menu's box
    timeout: str  # {seconds} (a float): no key in time
    invalid: str  # a key the menu does not have
    failures: Forms  # the max-failures edge: ``count(max_failures, failures)``
    branches: Mapping[str, str]  # a when_open branch (``open``, ``closed``) -> its edge
    identified: str  # identify's edge to its menu
    then_hangup: str  # an announcement that hangs up after
    then_menu: str  # {menu}: where identify goes on to
    then_back: str  # identify without a menu
    asks: str  # {answers}: an outage report's question, its answers joined by ", "
    answer_operator: str  # {operator}: after an answer's key and code
    directory: str  # {role} (a ``directory_roles`` name): redirect by the directory
    #: a redirect's ``role`` ("" without one) -> its name in ``directory``
    directory_roles: Mapping[str, str]

    def count(self, n: int, forms: Forms) -> str:
        """``n`` and its noun: ``3 невдалі спроби``, ``5 невдалих спроб``."""
        return f"{n} {forms[{1: 0, 2: 1, 5: 2}[plural_form(n)]]}"


ENGLISH = GraphTexts(
    kinds=MappingProxyType(
        {
            "menu": "menu",
            "menu_operator": "operator",
            "announce": "announce",
            "operator": "operator",
            "transfer": "transfer",
            "redirect": "redirect",
            "identify": "identify",
            "outage_status": "outage status",
            "outage_report": "outage report",
            "meter_reading": "meter reading",
            "when_open": "when open",
            "back": "back",
            "main": "main menu",
            "repeat": "repeat",
            "hangup": "hang up",
        }
    ),
    title="{company} ({company_id}, {role}): menus from '{entry}'",
    roles=MappingProxyType({"supplier": "supplier", "dso": "dso"}),
    entry="(entry)",
    unreachable="UNREACHABLE from {entry}",
    topic="topic {topic}",
    again="{fallback}: the menu again",
    timeout="no key in {seconds:g} s",
    invalid="wrong key",
    failures=("failures", "failures", "failures"),
    branches=MappingProxyType({"open": "open", "closed": "closed"}),
    identified="identified",
    then_hangup="then hang up",
    then_menu="then {menu}",
    then_back="then back to this menu",
    asks="asks: {answers}",
    answer_operator="→ operator {operator}",
    directory="the caller's {role} (directory)",
    directory_roles=MappingProxyType({"dso": "DSO", "supplier": "supplier", "": "company"}),
)

UKRAINIAN = GraphTexts(
    kinds=MappingProxyType(
        {
            "menu": "меню",
            "menu_operator": "оператор",
            "announce": "оголошення",
            "operator": "оператор",
            "transfer": "переведення на номер",
            "redirect": "переадресація",
            "identify": "ідентифікація",
            "outage_status": "стан відключень",
            "outage_report": "повідомлення про відключення",
            "meter_reading": "показники лічильника",
            "when_open": "за графіком роботи",
            "back": "назад",
            "main": "головне меню",
            "repeat": "повторити",
            "hangup": "завершити дзвінок",
        }
    ),
    title="{company} ({company_id}, {role}): меню, починаючи з «{entry}»",
    roles=MappingProxyType({"supplier": "постачальник", "dso": "ОСР"}),
    entry="(початкове)",
    unreachable="НЕДОСЯЖНЕ з {entry}",
    topic="тема {topic}",
    again="{fallback}: меню ще раз",
    timeout="без натискання {seconds:g} с",
    invalid="невідома клавіша",
    failures=("невдала спроба", "невдалі спроби", "невдалих спроб"),
    branches=MappingProxyType({"open": "робочий час", "closed": "неробочий час"}),
    identified="абонента визначено",
    then_hangup="далі завершення дзвінка",
    then_menu="далі {menu}",
    then_back="далі назад до цього меню",
    asks="питає: {answers}",
    answer_operator="→ оператор {operator}",
    directory="{role} абонента (з довідника)",
    directory_roles=MappingProxyType({"dso": "ОСР", "supplier": "постачальник", "": "компанія"}),
)
