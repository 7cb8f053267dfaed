"""The DTEK hour-state JSON (DTEK Kyiv region, Odesa, Dnipro; republished for others).

``{"data": {"1796076000": {"GPV3.2": {"1": "yes", "5": "no", "7": "first", ...}}},
"update": "01.12.2026 09:06", "today": 1796076000}``: ``data`` keyed by the Unix time of the
day's local midnight, hours ``"1"``..``"24"`` (``"1"`` = 00:00-01:00) or ``"0"``..``"23"``
(a ``"0"`` or a ``"24"`` key decides; both in one file is an error), a missing hour is power.

Values: ``yes`` power, ``no`` none the whole hour, ``first`` none in its first half,
``second`` none in its second half. A weekly template's ``maybe``/``mfirst``/``msecond``
(possible outages) are read as off, and the day they appear on becomes provisional: a caller
is better told "possibly off, not approved" than "power" for an hour that may well be dark.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from ivr.outages.batch import Batch, Origin
from ivr.outages.groups import group_problem
from ivr.outages.intervals import merge
from ivr.outages.model import DayStatus, OffInterval, ScheduleDay
from ivr.outages.moments import LOCAL_FORMATS
from ivr.outages.problems import JsonPath, json_path
from ivr.outages.reading import Reader, load_json

#: Value -> (off from, off to) in minutes of its hour, and whether it is only possible.
VALUES: dict[str, tuple[int, int, bool] | None] = {
    "yes": None,
    "no": (0, 60, False),
    "first": (0, 30, False),
    "second": (30, 60, False),
    "maybe": (0, 60, True),
    "mfirst": (0, 30, True),
    "msecond": (30, 60, True),
}
_GROUP_KEY = re.compile(r"GPV(.+)")


def parse_dtek(text: str, origin: Origin) -> Batch:
    """The schedule days of a DTEK file; BadData with every problem when any is wrong."""
    reader = Reader(origin.file)
    zone = ZoneInfo(origin.tz)
    document = reader.object(load_json(text, origin.file), ()) or {}
    data = reader.object(reader.get(document, "data", ()), ("data",)) or {}
    updated = _update(reader, reader.get(document, "update", ()), zone)
    hour_range = _numbering(reader, data)
    days: list[ScheduleDay] = []
    for stamp, groups in data.items():
        path: JsonPath = ("data", stamp)
        day = _day(reader, stamp, path, zone)
        for key, hours in (reader.object(groups, path) or {}).items():
            group = _group(reader, key, (*path, key), origin.known_groups)
            found = _hours(reader, hours, (*path, key), hour_range)
            if day is not None and group is not None and found is not None and updated:
                off, possible = found
                status = DayStatus.PROVISIONAL if possible else DayStatus.IN_FORCE
                if not off:
                    status = DayStatus.NO_OUTAGES
                days.append(ScheduleDay(group, day, status, off, origin.source, updated))
    reader.check()
    return Batch(days=tuple(days))


def _update(reader: Reader, value: Any, tz: ZoneInfo) -> datetime | None:
    text = reader.string(value, ("update",))
    if text is None:
        return None
    for pattern in LOCAL_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=tz)
        except ValueError:
            continue
    reader.problem(("update",), f'"{text}" is not DD.MM.YYYY HH:MM or HH:MM DD.MM.YYYY')
    return None


def _numbering(reader: Reader, data: dict[str, Any]) -> tuple[int, int]:
    """The numbers of the first and last hours: 0..23 when a "0" key is used, else 1..24;
    both "0" and "24" in the file is a problem (and then 0..24 passes, said once)."""
    zero: JsonPath | None = None
    twenty_four: JsonPath | None = None
    for stamp, groups in data.items():
        for key, hours in (groups if isinstance(groups, dict) else {}).items():
            if isinstance(hours, dict) and zero is None and "0" in hours:
                zero = ("data", stamp, key, "0")
            if isinstance(hours, dict) and twenty_four is None and "24" in hours:
                twenty_four = ("data", stamp, key, "24")
    if zero and twenty_four:
        reader.problem(
            twenty_four,
            f'hour "24" with hour "0" at {json_path(zero)}: hours are numbered 1..24 '
            "or 0..23, not both",
        )
        return 0, 24
    return (0, 23) if zero else (1, 24)


def _day(reader: Reader, stamp: str, path: JsonPath, tz: ZoneInfo) -> date | None:
    """The day of a ``data`` key: the Unix time of a local midnight."""
    if not stamp.isdigit():
        reader.problem(path, f'"{stamp}" is not a Unix time')
        return None
    moment = datetime.fromtimestamp(int(stamp), tz)
    if moment.time() != time(0):
        reader.problem(
            path,
            f"{stamp} is not a midnight in {tz.key} "
            f"(it is {moment.isoformat(sep=' ', timespec='minutes')})",
        )
        return None
    return moment.date()


def _group(
    reader: Reader, key: str, path: JsonPath, known_groups: Collection[str] | None
) -> str | None:
    match = _GROUP_KEY.fullmatch(key)
    if match is None:
        reader.problem(path, f'"{key}" is not a group key like "GPV3.2"')
        return None
    wrong = group_problem(match.group(1), known_groups)
    if wrong:
        reader.problem(path, wrong)
        return None
    return match.group(1)


def _hours(
    reader: Reader, value: Any, path: JsonPath, hour_range: tuple[int, int]
) -> tuple[tuple[OffInterval, ...], bool] | None:
    """A group's day: its merged off-intervals and whether any of them is only possible."""
    hours = reader.object(value, path)
    if hours is None:
        return None
    before = len(reader.problems)
    off: list[OffInterval] = []
    possible = False
    first_hour, last = hour_range
    for key, state in hours.items():
        here = (*path, key)
        if not (key.isdigit() and first_hour <= int(key) <= last):
            reader.problem(here, f'hour "{key}" is not one of "{first_hour}".."{last}"')
            continue
        name = reader.string(state, here)
        if name is None:
            continue
        if name not in VALUES:
            reader.problem(
                here, f'unknown hour state "{name}" (expected one of {", ".join(VALUES)})'
            )
            continue
        part = VALUES[name]
        if part is not None:
            start = (int(key) - (0 if first_hour == 0 else 1)) * 60
            off.append(OffInterval(start + part[0], start + part[1]))
            possible = possible or part[2]
    if len(reader.problems) > before:
        return None
    return merge(off), possible
