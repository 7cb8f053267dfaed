"""Report periods: local calendar dates to UTC bounds, and UTC hours to local buckets.

The database keeps timezone-aware UTC timestamps. A report is asked for in the company's
calendar (``--from``/``--to`` inclusive, in ``company.timezone``). The queries group calls by
UTC hour (at most 24 rows a day per group), and Python puts each UTC hour into its local day,
ISO week or month with the zone's offset *at that hour*, so the buckets are right across
midnight and across the DST changes (Kyiv is UTC+2 in winter, UTC+3 in summer).

This is exact for zones whose offsets are whole hours (all of Ukraine, all of Europe).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Granularity(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class PeriodError(ValueError):
    """The requested date range makes no sense."""


@dataclass(frozen=True)
class ReportRange:
    """Local calendar dates ``first``..``last`` (inclusive) in ``tz``."""

    first: date
    last: date
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise PeriodError(
                f"--from {self.first.isoformat()} is after --to {self.last.isoformat()}; "
                "give the earlier date first"
            )

    @property
    def start_utc(self) -> datetime:
        """The first local midnight, in UTC (inclusive bound)."""
        return datetime.combine(self.first, time(0), self.tz).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        """The local midnight after the last day, in UTC (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), self.tz).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains_utc(self, moment: datetime) -> bool:
        return self.start_utc <= moment < self.end_utc

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def periods(self, granularity: Granularity) -> list[str]:
        """Every period label the range touches, in order (also the ones without calls)."""
        labels: list[str] = []
        day = self.first
        while day <= self.last:
            label = period_label(day, granularity)
            if not labels or labels[-1] != label:
                labels.append(label)
            day += timedelta(days=1)
        return labels


def period_label(day: date, granularity: Granularity) -> str:
    """``2026-11-27`` (day), ``2026-W48`` (ISO week, Monday to Sunday), ``2026-11`` (month)."""
    if granularity is Granularity.DAY:
        return day.isoformat()
    if granularity is Granularity.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def parse_utc_hour(value: object) -> datetime:
    """A UTC hour bucket as the database returns it: ``'2026-11-27 08'`` (SQLite) or a naive
    UTC ``datetime`` truncated to the hour (PostgreSQL)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    text = str(value)
    return datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), tzinfo=UTC)


@dataclass(frozen=True)
class LocalHour:
    """Where one UTC hour falls in the company's calendar."""

    day: date
    hour: int  # 0..23, local wall-clock hour
    period: str


def localise_hour(utc_hour: datetime, tz: ZoneInfo, granularity: Granularity) -> LocalHour:
    local = utc_hour.astimezone(tz)
    return LocalHour(local.date(), local.hour, period_label(local.date(), granularity))
