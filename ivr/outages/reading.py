"""Reading a JSON outage file while collecting every problem with its JSON path."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ivr.outages.problems import BadData, JsonPath, Problem, at_path

#: Kyiv's time zone name, the default of every format.
KYIV = "Europe/Kyiv"


def load_json(text: str, file: str) -> Any:
    """The document in ``text``; BadData naming the line when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadData([Problem(f"{file}:{exc.lineno}", f"not JSON: {exc.msg}")]) from exc


class Missing:
    """A required member that is not there (already noted as a problem)."""


MISSING = Missing()


class Reader:
    """Typed access to a JSON document; a wrong value is noted as a problem and gives None."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, path: JsonPath, message: str) -> None:
        self.problems.append(at_path(self.file, path, message))

    def check(self) -> None:
        """Raise BadData when any problem was noted."""
        if self.problems:
            raise BadData(self.problems)

    def get(self, entry: dict[str, Any], key: str, path: JsonPath) -> Any:
        """``entry[key]``; MISSING (noted as a problem) when it is not there."""
        if key in entry:
            return entry[key]
        self.problem(path, f"{key} is missing")
        return MISSING

    def object(self, value: Any, path: JsonPath) -> dict[str, Any] | None:
        return value if isinstance(value, dict) else self._wrong(path, "an object", value)

    def array(self, value: Any, path: JsonPath) -> list[Any] | None:
        return value if isinstance(value, list) else self._wrong(path, "an array", value)

    def string(self, value: Any, path: JsonPath) -> str | None:
        return value if isinstance(value, str) else self._wrong(path, "a string", value)

    def integer(self, value: Any, path: JsonPath) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return self._wrong(path, "a whole number", value)

    def _wrong(self, path: JsonPath, expected: str, value: Any) -> Any:
        """Note a value of the wrong type (a missing one was noted by ``get``); None."""
        if value is not MISSING:
            self.problem(path, f"expected {expected}, got {describe(value)}")
        return None

    def aware_datetime(self, value: Any, path: JsonPath) -> datetime | None:
        """An ISO 8601 date and time with its UTC offset."""
        text = self.string(value, path)
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.problem(path, f'"{text}" is not an ISO 8601 date and time')
            return None
        if moment.tzinfo is None:
            self.problem(path, f'"{text}" has no UTC offset (such as +02:00)')
            return None
        return moment


def describe(value: Any) -> str:
    """A short description of a JSON value for a message: ``"abc"``, ``42``, an object."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)[:60]
