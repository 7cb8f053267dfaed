"""What a value in the YAML files is, declared once: the loader reads these definitions for its
unknown-key, required-key and range checks, and ``ivr.config.json_schema`` turns the same
objects into the published JSON Schema (``ivr schema``) that editors use.

A kind says what the value is; a :class:`Field` names a key of a :class:`Section` (a mapping
with fixed keys) and carries the short description an editor shows on hover. Validation stays
the loader's (its messages carry FILE:LINE); nothing here checks a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Kind:
    """A value's kind; ``description`` is for the editor (the field's own comes first)."""

    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Text(Kind):
    """Non-empty text, optionally matching ``pattern`` (the loader's own regex)."""

    pattern: re.Pattern[str] | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PromptId(Kind):
    """A prompt id: its text is in the prompt texts file (prompts/uk.yaml)."""


@dataclass(frozen=True, kw_only=True)
class PromptList(Kind):
    """A list of prompt ids, played in order."""

    allow_empty: bool = False


@dataclass(frozen=True, kw_only=True)
class Phone(Kind):
    """A phone number in quotes (YAML drops the leading zeros of unquoted numbers)."""


@dataclass(frozen=True, kw_only=True)
class KeypadKey(Kind):
    """A keypad key in quotes ("0", "*", "#"); an unquoted digit 0-9 is taken too."""


@dataclass(frozen=True, kw_only=True)
class TopicCode(Kind):
    """A topic code of the company's catalogue (``topics``)."""


@dataclass(frozen=True, kw_only=True)
class Flag(Kind):
    """true or false."""


@dataclass(frozen=True, kw_only=True)
class Date(Kind):
    """A date YYYY-MM-DD."""


@dataclass(frozen=True, kw_only=True)
class Number(Kind):
    """A number within ``bounds`` (inclusive); ``unit`` as the loader's messages say it."""

    bounds: tuple[int, int]
    unit: str = ""
    integer: bool = True


@dataclass(frozen=True, kw_only=True)
class Choice(Kind):
    """One of fixed words."""

    values: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Const(Kind):
    """Exactly this word (``always``)."""

    value: str


@dataclass(frozen=True, kw_only=True)
class Nothing(Kind):
    """An empty value (``key:`` with nothing after it)."""


@dataclass(frozen=True, kw_only=True)
class ListOf(Kind):
    item: Kind
    min_items: int = 0


@dataclass(frozen=True, kw_only=True)
class Keyed(Kind):
    """A mapping of names the admin chooses (``keys``) to values of one kind."""

    keys: Kind
    values: Kind
    min_items: int = 0


@dataclass(frozen=True, kw_only=True)
class AnyOf(Kind):
    """Any of several kinds (``always`` or a schedule)."""

    options: tuple[Kind, ...]


@dataclass(frozen=True, kw_only=True)
class Option(Kind):
    """A menu option: ``{action: NAME, ...}`` with the keys of that action's ``SPEC``;
    ``branch``: inside ``when_open`` (which cannot hold another ``when_open``)."""

    branch: bool = False


@dataclass(frozen=True)
class Field:
    """One key of a section."""

    name: str
    kind: Kind
    description: str = ""
    required: bool = False
    default: Any = None


@dataclass(frozen=True, kw_only=True)
class Section(Kind):
    """A mapping with fixed keys: any other key is an error ("unknown key")."""

    fields: tuple[Field, ...]
    #: at least one and at most this many of the keys (``deadline``: days or working_days)
    max_keys: int | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def number(self, name: str) -> Number:
        """The :class:`Number` kind of key ``name``."""
        kind = self.field(name).kind
        assert isinstance(kind, Number), name
        return kind

    def section(self, name: str) -> Section:
        """The :class:`Section` kind of key ``name`` (or the section among its options)."""
        kind = self.field(name).kind
        if isinstance(kind, AnyOf):
            kind = next(k for k in kind.options if isinstance(k, Section))
        assert isinstance(kind, Section), name
        return kind
