"""The ``company`` section: role, name, numbers, timezone, working hours."""

from __future__ import annotations

import zoneinfo
from datetime import time
from typing import Any

from ivr.config.checks import Checks
from ivr.config.model import (
    Company,
    Role,
    WorkingHours,
)
from ivr.config.schema import (
    COMPANY_KEYS,
    COMPANY_REQUIRED,
    DAYS,
    HOURS_RE,
    describe,
    did_you_mean,
)
from ivr.config.yamlmap import YamlPath


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
        if role is None or name is None or numbers is None:
            return None
        return Company(role, name, numbers, timezone, hours)

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
        if value == "always":
            return WorkingHours()
        if not isinstance(value, dict):
            self.report(
                path,
                "expected 'always' or a weekly schedule such as "
                f'{{mon-fri: "08:00-20:00"}}, got {describe(value)}',
            )
            return None
        weekly: dict[int, list[tuple[time, time]]] = {}
        scheduled_by: dict[int, str] = {}
        ok = True
        for spec, hours in value.items():
            entry: YamlPath = (*path, spec)
            days = self.days(entry, spec)
            intervals = self.intervals(entry, hours)
            if days is None or intervals is None:
                ok = False
                continue
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
        return WorkingHours(
            always=False, weekly={d: tuple(v) for d, v in sorted(weekly.items()) if v}
        )

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
        for (_, end), (start, _) in zip(result, result[1:], strict=False):
            if start < end:
                self.report(path, "opening hours overlap")
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
