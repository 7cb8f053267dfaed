"""What is wrong with an outage data file: each problem names its place, a JSON path
(``$["3.1"].today.slots[2].type``) or a CSV line (``outages.csv:7``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: A place in a JSON document: the keys and indexes from the root.
JsonPath = tuple[str | int, ...]


def json_path(parts: JsonPath) -> str:
    """``("3.1", "today", "slots", 2, "type")`` -> ``$["3.1"].today.slots[2].type``."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            text += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{escaped}"]'
    return text


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported; ``where`` is ``FILE:LINE`` or ``FILE: $.path``."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def at_path(file: str, parts: JsonPath, message: str) -> Problem:
    """A problem at a JSON path of ``file``."""
    return Problem(f"{file}: {json_path(parts)}", message)


def at_line(file: str, line: int, message: str) -> Problem:
    """A problem on a line of a CSV ``file``."""
    return Problem(f"{file}:{line}", message)


class BadData(Exception):
    """The file cannot be imported; ``problems`` says why, and nothing of it was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
