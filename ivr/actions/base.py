"""What every action has, and what a parser and a handler are given."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ivr.flow.next import Next

if TYPE_CHECKING:
    from ivr.config.kinds import Field

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True)
class Action:
    """One option of a menu. Subclasses add their fields; ``kind`` is the YAML ``action``."""

    kind: ClassVar[str]
    #: The topic code (the caller's question, from the role's catalogue) the call is counted
    #: under once this option is chosen; None keeps the one already known.
    topic: str | None = None


class OptionChecks(Protocol):
    """What a parser may use to read an option's keys: the loader's typed getters, each of
    which reports a problem with its ``config.yaml`` line and returns None on a bad value."""

    def report(self, path: YamlPath, message: str) -> None: ...

    def text(self, path: YamlPath, value: Any, what: str = "text") -> str | None: ...

    def phone(self, path: YamlPath, value: Any) -> str | None: ...

    def topic(self, path: YamlPath, value: Any) -> str | None: ...

    def prompt(self, path: YamlPath, value: Any) -> str | None: ...

    def prompt_list(
        self, path: YamlPath, value: Any, allow_empty: bool = False
    ) -> tuple[str, ...] | None: ...

    def menu_ref(self, path: YamlPath, value: Any) -> str | None: ...

    def prompts_exist(self, path: YamlPath, ids: tuple[str, ...], user: str) -> bool: ...

    def redirect_ref(self, path: YamlPath, value: Any) -> str | None: ...

    def misrouted_role(self, path: YamlPath, topic: str | None) -> str | None: ...

    def choice(
        self, path: YamlPath, value: Any, choices: tuple[str, ...], hint: str
    ) -> str | None: ...

    def sub_option(self, path: YamlPath, value: Any) -> Action | None:
        """An option inside an option (``when_open``'s branches), checked like any other."""
        ...


#: A handler: a generator that yields AGI commands and effects, and returns what comes next.
Handler = Callable[..., Generator[Any, Any, Next]]
#: A parser: the option's mapping (keys already checked against ``required``/``optional``)
#: to the typed action, or None after reporting why not.
Parser = Callable[[OptionChecks, YamlPath, Mapping[str, Any]], Action | None]


@dataclass(frozen=True)
class ActionSpec:
    """An action kind as the registry knows it."""

    kind: str
    type: type[Action]
    parse: Parser
    handle: Handler
    required: tuple[str, ...] = ()  # option keys besides ``action`` that must be present
    optional: tuple[str, ...] = ()
    #: the outcomes its handler notes in the call's path (``ctx.step(event=...)``): what a
    #: tester's scenarios should each see once (``ivr test --coverage``)
    events: tuple[str, ...] = ()
    #: keys whose value this action reads otherwise than ``registry.OPTION_FIELDS`` says
    fields: tuple[Field, ...] = ()

    @property
    def needs_topic(self) -> bool:
        """Actions that give information or reach a person must say what the call was about."""
        return "topic" in self.required
