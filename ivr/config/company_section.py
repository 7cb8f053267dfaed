"""The ``company`` section: role, name, numbers, timezone, working hours."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import date, time
from typing import Any, TypeVar

from ivr.config.checks import Checks
from ivr.config.hours import Interval, WorkingHours
from ivr.config.model import Company, Role
from ivr.config.schema import (
    COMPANY_ID_RE,
    COMPANY_KEYS,
    COMPANY_REQUIRED,
    DATE_RE,
    DAYS,
    DEFAULT_COMPANY_ID,
    HOURS_RE,
    WORKING_HOURS_KEYS,
    describe,
    did_you_mean,
)
from ivr.config.yamlmap import YamlPath

K = TypeVar("K")


def _by_day(entry: tuple[str, YamlPath, date, list[Interval]]) -> date:
    return entry[2]


def _hhmm(moment: time) -> str:
    return "24:00" if moment == time.max else moment.strftime("%H:%M")


class CompanySection(Checks):
    """Mixin of the loader for the ``company`` section."""

    def company(self, root: dict[str, Any]) -> Company | None:
        if "company" not in root:
            return None
        path: YamlPath = ("company",)
        data = self.mapping(path, root["company"], COMPANY_KEYS, COMPANY_REQUIRED)
        if data is None:
            return None
        role = None
        if "role" in data:
            raw = self.text((*path, "role"), data["role"], "'dso' or 'supplier'")
            roles = [r.value for r in Role]
            if raw is not None and raw not in roles:
                self.report(
                    (*path, "role"),
                    f"unknown role '{raw}': use 'dso' or 'supplier'{did_you_mean(raw, roles)}",
                )
            elif raw is not None:
                role = self.role = Role(raw)
        company_id: str | None = DEFAULT_COMPANY_ID
        if "id" in data:
            company_id = self.text((*path, "id"), data["id"], "a short company id")
            if company_id is not None and not COMPANY_ID_RE.match(company_id):
                self.report(
                    (*path, "id"),
                    f"company id '{company_id}' may contain only lowercase letters, digits, "
                    "'_' and '-' (at most 32): it is what records and reports call the company",
                )
                company_id = None
        name = None
        if "name" in data:
            name = self.text((*path, "name"), data["name"], "the company name")
        numbers = None
        if "dialled_numbers" in data:
            numbers = self.dialled_numbers((*path, "dialled_numbers"), data["dialled_numbers"])
        timezone = "Europe/Kyiv"
        if "timezone" in data:
            timezone = self.timezone((*path, "timezone"), data["timezone"]) or timezone
        hours = WorkingHours()
        if "working_hours" in data:
            hours = self.working_hours((*path, "working_hours"), data["working_hours"]) or hours
            if role is Role.DSO and not hours.always:
                self.warn(
                    (*path, "working_hours"),
                    "a DSO call centre must work 24/7 (Resolution 373): use 'always'",
                )
        if role is None or name is None or numbers is None or company_id is None:
            return None
        return Company(role, name, numbers, timezone, hours, company_id)

    def dialled_numbers(self, path: YamlPath, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.report(path, f"expected a list of phone numbers, got {describe(value)}")
            return None
        if not value:
            self.report(path, "list at least one number callers dial to reach this IVR")
            return None
        numbers = [self.phone((*path, i), item) for i, item in enumerate(value)]
        return None if None in numbers else tuple(n for n in numbers if n is not None)

    def timezone(self, path: YamlPath, value: Any) -> str | None:
        name = self.text(path, value, "a timezone name such as Europe/Kyiv")
        if name is None:
            return None
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            hint = did_you_mean(name, zoneinfo.available_timezones())
            self.report(path, f"unknown timezone '{name}'{hint}")
            return None
        return name

    def working_hours(self, path: YamlPath, value: Any) -> WorkingHours | None:
        """``always``; ``{weekly: {...}, exceptions: {...}}``; or the weekly mapping alone."""
        if value == "always":
            return WorkingHours()
        if not isinstance(value, dict):
            self.report(
                path,
                "expected 'always' or a schedule such as "
                f'{{weekly: {{mon-fri: "08:00-20:00"}}, exceptions: {{2027-01-01: closed}}}}, '
                f"got {describe(value)}",
            )
            return None
        if not any(key in value for key in WORKING_HOURS_KEYS):  # the weekly mapping alone
            weekly = self.weekly(path, value)
            return None if weekly is None else WorkingHours(always=False, weekly=weekly)
        data = self.mapping(path, value, WORKING_HOURS_KEYS, ("weekly",))
        if data is None or "weekly" not in data:
            return None
        weekly = self.weekly((*path, "weekly"), data["weekly"])
        exceptions: dict[date, tuple[Interval, ...]] | None = {}
        if data.get("exceptions") is not None:
            exceptions = self.exceptions((*path, "exceptions"), data["exceptions"])
        if weekly is None or exceptions is None:
            return None
        return WorkingHours(always=False, weekly=weekly, exceptions=exceptions)

    def weekly(self, path: YamlPath, value: Any) -> dict[int, tuple[Interval, ...]] | None:
        """Weekdays (``mon-fri``, ``sat``, ``daily``) -> hours; a day left out is closed."""
        if not isinstance(value, dict):
            self.report(
                path,
                f'expected weekdays and their hours such as {{mon-fri: "08:00-20:00"}}, '
                f"got {describe(value)}",
            )
            return None
        entries = self.hours_entries(path, value, self.days)
        weekly: dict[int, list[Interval]] = {}
        scheduled_by: dict[int, str] = {}
        ok = entries is not None
        for spec, entry, days, intervals in entries or ():
            for day in days:
                if day in scheduled_by:
                    self.report(
                        entry, f"'{DAYS[day]}' is already scheduled by '{scheduled_by[day]}'"
                    )
                    ok = False
                scheduled_by[day] = spec
                weekly[day] = intervals
        if not ok:
            return None
        if not any(weekly.values()):
            self.report(path, "no open hours at all; use 'always' for 24/7")
            return None
        return {d: tuple(v) for d, v in sorted(weekly.items()) if v}

    def exceptions(self, path: YamlPath, value: Any) -> dict[date, tuple[Interval, ...]] | None:
        """Dates (``2027-01-01``) -> ``closed`` or that day's hours instead of the weekday's.
        A date written twice is a duplicate key (reported by the YAML reader)."""
        if not isinstance(value, dict):
            self.report(
                path,
                "expected dates and their hours such as "
                f'{{2027-01-01: closed, 2026-12-31: "08:00-17:00"}}, got {describe(value)}',
            )
            return None
        entries = self.hours_entries(path, value, self.exception_date)
        if entries is None:
            return None
        return {day: tuple(intervals) for _, _, day, intervals in sorted(entries, key=_by_day)}

    def hours_entries(
        self, path: YamlPath, value: dict[str, Any], read_key: Callable[[YamlPath, str], K | None]
    ) -> list[tuple[str, YamlPath, K, list[Interval]]] | None:
        """(key, its path, the key read, its intervals) of each entry; None if any is bad."""
        entries: list[tuple[str, YamlPath, K, list[Interval]]] = []
        ok = True
        for key, hours in value.items():
            entry: YamlPath = (*path, key)
            read = read_key(entry, key)
            intervals = self.intervals(entry, hours)
            if read is None or intervals is None:
                ok = False
            else:
                entries.append((key, entry, read, intervals))
        return entries if ok else None

    def exception_date(self, path: YamlPath, key: str) -> date | None:
        if not DATE_RE.match(key):
            self.report(path, f"'{key}' is not a date: write it as YYYY-MM-DD, e.g. 2027-01-01")
            return None
        try:
            return date.fromisoformat(key)
        except ValueError as exc:
            self.report(path, f"{key} is not a date that exists: {exc}")
            return None

    def days(self, path: YamlPath, spec: str) -> list[int] | None:
        days: list[int] = []
        for part in spec.split(","):
            part = part.strip().lower()
            if part == "daily":
                days.extend(range(7))
                continue
            ends = [p.strip() for p in part.split("-")]
            for end in ends:
                if end not in DAYS:
                    hint = did_you_mean(end, DAYS) or did_you_mean(end[:3], DAYS)
                    self.report(
                        path,
                        f"unknown day '{end}': use {', '.join(DAYS)}, daily, or a "
                        f"range such as mon-fri{hint}",
                    )
                    return None
            if len(ends) > 2:
                self.report(path, f"day range '{part}' has more than two ends")
                return None
            first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
            if first > last:
                self.report(path, f"day range '{part}' goes backwards (write e.g. mon-fri)")
                return None
            days.extend(range(first, last + 1))
        return days

    def intervals(self, path: YamlPath, value: Any) -> list[tuple[time, time]] | None:
        if value is None or value == "closed":
            return []
        items = value if isinstance(value, list) else [value]
        result: list[tuple[time, time]] = []
        for i, item in enumerate(items):
            where = (*path, i) if isinstance(value, list) else path
            if not isinstance(item, str):
                self.report(
                    where, f'expected hours in quotes such as "08:00-20:00", got {describe(item)}'
                )
                return None
            interval = self.interval(where, item)
            if interval is None:
                return None
            result.append(interval)
        result.sort()
        for (start1, end1), (start2, end2) in zip(result, result[1:], strict=False):
            if start2 < end1:
                self.report(
                    path,
                    f"opening hours overlap: {_hhmm(start1)}-{_hhmm(end1)} and "
                    f"{_hhmm(start2)}-{_hhmm(end2)}",
                )
                return None
        return result

    def interval(self, path: YamlPath, text: str) -> tuple[time, time] | None:
        match = HOURS_RE.match(text)
        if not match:
            self.report(
                path,
                f'bad hours \'{text}\': write them as "HH:MM-HH:MM", e.g. "08:00-20:00", or closed',
            )
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        bounds = []
        for hour, minute, label in ((h1, m1, match.group(1)), (h2, m2, match.group(3))):
            if hour > 24 or minute > 59 or (hour == 24 and minute):
                self.report(
                    path, f"bad time '{label}:{minute:02d}' in '{text}': use 00:00 to 24:00"
                )
                return None
            bounds.append(time.max if hour == 24 else time(hour, minute))
        start, end = bounds
        if start >= end:
            self.report(
                path,
                f"opening time {h1:02d}:{m1:02d} is not before closing time "
                f"{h2:02d}:{m2:02d} (split hours past midnight over two days)",
            )
            return None
        return start, end
