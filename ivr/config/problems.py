"""Configuration problems reported to the admin as ``FILE:LINE: dotted.path: message``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding in a configuration file (or in a file it refers to)."""

    file: str
    line: int | None
    path: str
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"warning: {self.message}" if self.severity == "warning" else self.message
        return f"{where}: {self.path}: {what}" if self.path else f"{where}: {what}"


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` says why (one line each in ``str()``)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def dotted(path: tuple[str | int, ...]) -> str:
    """``("menus", "main", "greeting", 0)`` -> ``"menus.main.greeting[0]"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
