"""The ``readings`` section: when and how callers pass meter readings (``meter_reading``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ivr.config.checks import Checks
from ivr.config.model import Readings, ReadingWindow
from ivr.config.schema import (
    READING_WINDOW,
    READINGS,
    READINGS_KEYS,
    WINDOW_KEYS,
    describe,
)
from ivr.config.yamlmap import YamlPath


class ReadingsSection(Checks):
    """Mixin of the loader for the ``readings`` section."""

    def readings(self, root: dict[str, Any]) -> Readings:
        """``readings: {window, max_digits, max_kwh_per_day, attempts}``; defaults for what
        is left out."""
        default = Readings()
        if "readings" not in root:
            return default
        path: YamlPath = ("readings",)
        data = self.mapping(path, root["readings"], READINGS_KEYS)
        if data is None:
            return default
        values: dict[str, Any] = {}
        for key in ("max_digits", "max_kwh_per_day", "attempts"):
            if key in data:
                number = self.number_of((*path, key), data[key], READINGS.number(key))
                if number is not None:
                    values[key] = int(number)
        if "window" in data:
            window = self.reading_window((*path, "window"), data["window"])
            if window is not None:
                values["window"] = window
        return dataclasses.replace(default, **values)

    def reading_window(self, path: YamlPath, value: Any) -> ReadingWindow | None:
        """``always``, or ``{last_days: N, first_days: M}``: the last N days of a month and
        the first M of the next."""
        if value == "always":
            return ReadingWindow(always=True)
        if not isinstance(value, dict):
            self.report(
                path,
                "expected 'always' or a mapping such as {last_days: 2, first_days: 3}, got "
                f"{describe(value)}",
            )
            return None
        data = self.mapping(path, value, WINDOW_KEYS)
        if data is None:
            return None
        days: dict[str, int] = {}
        ok = True
        for key in WINDOW_KEYS:
            number = self.number_of((*path, key), data.get(key, 0), READING_WINDOW.number(key))
            ok = ok and number is not None
            days[key] = int(number or 0)
        if not ok:
            return None
        if not any(days.values()):
            self.report(
                path,
                "the window has no day: give last_days or first_days above 0, or write "
                "'window: always'",
            )
            return None
        return ReadingWindow(last_days=days["last_days"], first_days=days["first_days"])
