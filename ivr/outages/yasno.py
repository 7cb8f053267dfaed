"""The Yasno planned-outages JSON (DTEK Kyiv and Dnipro networks, API since October 2025).

``{"3.1": {"today": {"date": "2026-12-01T00:00:00+02:00", "status": "ScheduleApplies",
"slots": [{"start": 240, "end": 480, "type": "Definite"}, ...]}, "tomorrow": {...},
"updatedOn": "2026-12-01T07:32:37+00:00"}}``: minutes from the local midnight of ``date``
(1440 the next midnight), ``Definite`` no power, ``NotPlanned`` power.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from ivr.outages.batch import Batch, Origin
from ivr.outages.groups import group_problem
from ivr.outages.intervals import DAY_MINUTES, merge
from ivr.outages.model import DayStatus, OffInterval, ScheduleDay
from ivr.outages.problems import JsonPath
from ivr.outages.reading import Reader, load_json

STATUSES = {
    "ScheduleApplies": DayStatus.IN_FORCE,
    "WaitingForSchedule": DayStatus.PROVISIONAL,
    "EmergencyShutdowns": DayStatus.SUSPENDED,
    "NoOutages": DayStatus.NO_OUTAGES,
}
OFF, ON = "Definite", "NotPlanned"
DAY_KEYS = ("today", "tomorrow")


def parse_yasno(text: str, origin: Origin) -> Batch:
    """The schedule days of a Yasno file; BadData with every problem when any is wrong."""
    reader = Reader(origin.file)
    document = reader.object(load_json(text, origin.file), ())
    days: list[ScheduleDay] = []
    for group, value in (document or {}).items():
        days.extend(_group(reader, group, value, origin))
    reader.check()
    return Batch(days=tuple(days))


def _group(
    reader: Reader,
    group: str,
    value: Any,
    origin: Origin,
) -> list[ScheduleDay]:
    path: JsonPath = (group,)
    wrong_name = group_problem(group, origin.known_groups)
    tz = ZoneInfo(origin.tz)
    if wrong_name:
        reader.problem(path, wrong_name)
    entry = reader.object(value, path)
    if entry is None:
        return []
    updated = reader.aware_datetime(reader.get(entry, "updatedOn", path), (*path, "updatedOn"))
    if not any(key in entry for key in DAY_KEYS):
        reader.problem(path, "neither today nor tomorrow is given")
    days = []
    for key in DAY_KEYS:
        if key in entry:
            day = _day(reader, entry[key], (*path, key), tz)
            if day is not None and updated is not None and not wrong_name:
                moment, status, off = day
                days.append(ScheduleDay(group, moment.date(), status, off, origin.source, updated))
    return days


def _day(
    reader: Reader, value: Any, path: JsonPath, tz: ZoneInfo
) -> tuple[datetime, DayStatus, tuple[OffInterval, ...]] | None:
    entry = reader.object(value, path)
    if entry is None:
        return None
    before = len(reader.problems)
    moment = _midnight(reader, reader.get(entry, "date", path), (*path, "date"), tz)
    status_name = reader.string(reader.get(entry, "status", path), (*path, "status"))
    status = STATUSES.get(status_name or "")
    if status_name is not None and status is None:
        reader.problem(
            (*path, "status"),
            f'unknown status "{status_name}" (expected one of {", ".join(STATUSES)})',
        )
    slots = reader.array(entry.get("slots", []), (*path, "slots"))
    off = _slots(reader, slots or [], (*path, "slots"), status)
    if len(reader.problems) > before or moment is None or status is None:
        return None
    return moment, status, off


def _midnight(reader: Reader, value: Any, path: JsonPath, tz: ZoneInfo) -> datetime | None:
    """The ``date`` of a day: a local midnight with the zone's offset of that day."""
    moment = reader.aware_datetime(value, path)
    if moment is None:
        return None
    if moment.time() != time(0):
        reader.problem(path, f'"{value}" is not a midnight (expected 00:00:00)')
        return None
    expected = datetime.combine(moment.date(), time(0), tz).utcoffset()
    if moment.utcoffset() != expected:
        reader.problem(
            path,
            f'"{value}": the offset is not {tz.key}\'s on {moment.date()} ({_offset(expected)})',
        )
        return None
    return moment


def _offset(delta: Any) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _slots(
    reader: Reader, slots: list[Any], path: JsonPath, status: DayStatus | None
) -> tuple[OffInterval, ...]:
    """The merged off-intervals of a day's slots; every wrong slot noted."""
    seen: list[tuple[int, int, int]] = []  # start, end, index
    off: list[OffInterval] = []
    for index, value in enumerate(slots):
        here = (*path, index)
        slot = reader.object(value, here)
        if slot is None:
            continue
        start = reader.integer(reader.get(slot, "start", here), (*here, "start"))
        end = reader.integer(reader.get(slot, "end", here), (*here, "end"))
        kind = reader.string(reader.get(slot, "type", here), (*here, "type"))
        if kind is not None and kind not in (OFF, ON):
            reader.problem((*here, "type"), f'unknown slot type "{kind}" (expected {OFF} or {ON})')
        if start is None or end is None:
            continue
        if not (0 <= start <= DAY_MINUTES and 0 <= end <= DAY_MINUTES):
            reader.problem(here, f"slot {start}-{end} is outside the day (0..{DAY_MINUTES})")
            continue
        if start >= end:
            reader.problem(here, f"slot starts at {start}, not before its end {end}")
            continue
        for other_start, other_end, other in seen:
            if start < other_end and other_start < end:
                reader.problem(
                    here,
                    f"slot {start}-{end} overlaps slot [{other}] {other_start}-{other_end}",
                )
        seen.append((start, end, index))
        if kind == OFF:
            if status is DayStatus.NO_OUTAGES:
                reader.problem((*here, "type"), "a Definite slot on a day of status NoOutages")
            off.append(OffInterval(start, end))
    return merge(off)
