"""Answer deadlines of appeals (Resolution 375 guaranteed standards).

A topic of the catalogue says its deadline (``deadline: {days: 45}`` or
``deadline: {working_days: 5}`` in config.yaml); without one it is 30 days. Working days skip
weekends and the company's holidays (``appeals.holidays``). The deadline is the end of its
last day in the company's timezone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Deadline:
    """How long an answer may take: ``count`` calendar days, or working days."""

    count: int = 30
    working_days: bool = False

    def __str__(self) -> str:
        return f"{self.count} working days" if self.working_days else f"{self.count} days"


#: The general term when the topic says none: 30 days.
DEFAULT_DEADLINE = Deadline()


def add_working_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The ``days``-th working day after ``start`` (weekends and ``holidays`` skipped)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days -= 1
    return current


def appeal_deadline(
    deadline: Deadline,
    registered_at: datetime,
    tz: ZoneInfo,
    holidays: Collection[date] = (),
) -> datetime:
    """When the answer is due (UTC): the end of the deadline's last day in ``tz``, counted
    from the day of registration there."""
    day = registered_at.astimezone(tz).date()
    if deadline.working_days:
        due_day = add_working_days(day, deadline.count, holidays)
    else:
        due_day = day + timedelta(days=deadline.count)
    return datetime.combine(due_day, END_OF_DAY, tz).astimezone(UTC)
