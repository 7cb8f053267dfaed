"""Off-intervals: merging them, and turning schedule days into the periods the IVR says.

A schedule's minutes are wall-clock minutes of the day's local time (``HH*60 + MM``;
1440 is the next midnight), as the DSOs publish them: on a day of 23 or 25 hours (the
change to or from summer time) minute 300 is still 05:00 local. A wall-clock time the
clock passes twice (03:30 on the autumn day) is read as the first passing for a start and the
second for an end, so a period is never said shorter than published. A skipped wall time
(03:30 on the spring day in Kyiv, when 03:00 becomes 04:00) is the moment of the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from ivr.outages.model import DayStatus, OffInterval, ScheduleDay

DAY_MINUTES = 1440


class Period(NamedTuple):
    """No power from ``start`` to ``end`` (aware, local time); ``provisional``: not approved."""

    start: datetime
    end: datetime
    provisional: bool


def merge(intervals: Iterable[OffInterval]) -> tuple[OffInterval, ...]:
    """Sorted, with overlapping and adjacent intervals joined (240-480 + 480-600 = 240-600)."""
    merged: list[OffInterval] = []
    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = OffInterval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return tuple(merged)


def local_moment(day: date, minute: int, tz: tzinfo, *, end: bool = False) -> datetime:
    """The moment of wall-clock ``minute`` of ``day`` in ``tz`` (1440: the next midnight)."""
    days, minutes = divmod(minute, DAY_MINUTES)
    wall = datetime.combine(day + timedelta(days=days), time(minutes // 60, minutes % 60))
    while _skipped(wall, tz):  # at most the length of the change, a minute at a time
        wall += timedelta(minutes=1)
    return wall.replace(tzinfo=tz, fold=1 if end else 0).astimezone(UTC).astimezone(tz)


def _skipped(wall: datetime, tz: tzinfo) -> bool:
    """Whether the clocks of ``tz`` never show ``wall`` (the spring change's gap)."""
    there = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return there.replace(tzinfo=None) != wall


def periods(days: Sequence[ScheduleDay], tz: tzinfo, after: datetime) -> list[Period]:
    """The off-periods of one group's schedule days, merged across midnight, that end after
    ``after``; a period is provisional when any part of it is. Suspended days and days
    without outages give none."""
    groups = {d.group for d in days}
    if len(groups) > 1:
        raise ValueError(f"periods of one group at a time, not {sorted(groups)}")
    found: list[Period] = []
    for day in sorted(days, key=lambda d: d.day):
        if day.status in (DayStatus.SUSPENDED, DayStatus.NO_OUTAGES):
            continue
        provisional = day.status is DayStatus.PROVISIONAL
        for interval in merge(day.off):
            start = local_moment(day.day, interval.start, tz)
            end = local_moment(day.day, interval.end, tz, end=True)
            if found and start <= found[-1].end:
                last = found[-1]
                found[-1] = Period(last.start, max(last.end, end), last.provisional or provisional)
            else:
                found.append(Period(start, end, provisional))
    return [p for p in found if p.end > after]
