"""Appeals in config.yaml: a topic's answer deadline, and the ``appeals`` section (holidays)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ivr.config.checks import Checks
from ivr.config.model import AppealSettings
from ivr.config.schema import (
    APPEALS_KEYS,
    DEADLINE,
    DEADLINE_KEYS,
    LONGEST_LEGAL_DAYS,
    describe,
)
from ivr.config.yamlmap import YamlPath
from ivr.store.deadlines import Deadline

DEADLINE_FORM = "{days: N} or {working_days: N}"


class AppealsSection(Checks):
    """Mixin of the loader for appeal deadlines and the ``appeals`` section."""

    def deadline(self, path: YamlPath, value: Any) -> Deadline | None:
        """``{days: N}`` (calendar days) or ``{working_days: N}`` (weekends and holidays
        skipped)."""
        data = self.mapping(path, value, DEADLINE_KEYS, what=DEADLINE_FORM)
        if data is None:
            return None
        given = [key for key in DEADLINE_KEYS if key in data]
        if len(given) > 1:
            self.report(path, f"give either days or working_days, not both ({DEADLINE_FORM})")
            return None
        if not given:
            if not data:  # otherwise its unknown keys are reported already
                self.report(path, f"expected {DEADLINE_FORM}, got an empty mapping")
            return None
        key = given[0]
        working = key == "working_days"
        count = self.number_of((*path, key), data[key], DEADLINE.number(key))
        if count is None:
            return None
        if not working and count > LONGEST_LEGAL_DAYS:
            self.warn(
                (*path, key),
                f"{count} days is longer than {LONGEST_LEGAL_DAYS}, the longest answer term "
                "of Resolution 375",
            )
        return Deadline(int(count), working)

    def appeal_settings(self, root: dict[str, Any]) -> AppealSettings:
        """``appeals: {holidays: [YYYY-MM-DD, ...]}``."""
        if "appeals" not in root:
            return AppealSettings()
        data = self.mapping(("appeals",), root["appeals"], APPEALS_KEYS)
        if data is None or "holidays" not in data:
            return AppealSettings()
        return AppealSettings(holidays=self.holidays(("appeals", "holidays"), data["holidays"]))

    def holidays(self, path: YamlPath, value: Any) -> frozenset[date]:
        if value is None:  # "holidays:" with nothing after it: none
            return frozenset()
        if not isinstance(value, list):
            self.report(
                path, f"expected a list of dates such as [2027-01-01], got {describe(value)}"
            )
            return frozenset()
        days: dict[date, int | None] = {}
        for i, item in enumerate(value):
            day = self.day((*path, i), item)
            if day is None:
                continue
            if day in days:
                self.warn((*path, i), f"{day} is listed twice (first at line {days[day]})")
            else:
                days[day] = self.doc.line((*path, i))
        return frozenset(days)

    def day(self, path: YamlPath, value: Any) -> date | None:
        """A date: ``2027-01-01`` (YAML reads it as a date) or the same text in quotes."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as exc:
                self.report(path, f"'{value}' is not a date YYYY-MM-DD: {exc}")
                return None
        self.report(path, f"expected a date YYYY-MM-DD, got {describe(value)}")
        return None
