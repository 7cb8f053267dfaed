"""The operators' working hours: a weekly schedule with dated exceptions, in local time.

A day's hours are intervals of wall-clock time in the company's timezone (an end of
``time.max`` is midnight, written 24:00). An exception replaces the weekly hours of its
date: ``()`` is a day closed all day (a public holiday the company keeps), other intervals a
shortened or changed day. Wall-clock times stay right across the summer-time change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]
#: The fixed prompts that say when the operators are back (``ivr.flow.hours``); required
#: when the hours are not 24/7.
PROMPTS = ("hours_today", "hours_next")
#: How far ahead the next opening is looked for (the exceptions are finite).
HORIZON_DAYS = 400


@dataclass(frozen=True)
class Opening:
    """When the operators are next at work: the local day and that interval."""

    day: date
    start: time
    end: time

    def at(self, tz: ZoneInfo) -> datetime:
        """The opening moment, aware, in ``tz``."""
        return datetime.combine(self.day, self.start, tzinfo=tz)


@dataclass(frozen=True)
class WorkingHours:
    """Weekly schedule in the company's timezone; ``always`` for 24/7 (DSO default)."""

    always: bool = True
    #: weekday (0 = Monday) -> its intervals; a weekday left out is closed
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    #: date -> its intervals instead of the weekday's; ``()`` closed all day
    exceptions: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The intervals of one local day, exceptions first."""
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    def is_open(self, moment: datetime, tz: ZoneInfo) -> bool:
        if self.always:
            return True
        local = moment.astimezone(tz)
        now = local.time()
        return any(start <= now < end for start, end in self.hours_on(local.date()))

    def next_opening(self, moment: datetime, tz: ZoneInfo) -> Opening | None:
        """The first opening after ``moment`` (None when open now, always open, or none
        within :data:`HORIZON_DAYS`)."""
        if self.always or self.is_open(moment, tz):
            return None
        local = moment.astimezone(tz)
        for offset in range(HORIZON_DAYS):
            day = local.date() + timedelta(days=offset)
            for start, end in self.hours_on(day):
                if offset or start > local.time():
                    return Opening(day, start, end)
        return None
