"""Retention of the appeals database: at least three years, enforced in one place."""

from __future__ import annotations

import re
from datetime import datetime

MINIMUM_YEARS = 3
_PERIOD = re.compile(r"^\s*(\d+)\s*([ymd])\s*$", re.IGNORECASE)


class RetentionError(ValueError):
    pass


def subtract_months(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(
        moment.day,
        [
            31,
            29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][month],
    )
    return moment.replace(year=year, month=month + 1, day=day)


def cutoff_for(period: str, now: datetime) -> datetime:
    """The moment before which records may go, for ``3y``, ``40m`` or ``1200d``.

    Refuses any period shorter than three calendar years before ``now``.
    """
    match = _PERIOD.match(period)
    if not match:
        raise RetentionError(f"period {period!r} not understood: use e.g. 3y, 40m or 1200d")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if unit == "y":
        cutoff = subtract_months(now, 12 * amount)
    elif unit == "m":
        cutoff = subtract_months(now, amount)
    else:
        from datetime import timedelta

        cutoff = now - timedelta(days=amount)
    minimum = subtract_months(now, 12 * MINIMUM_YEARS)
    if cutoff > minimum:
        raise RetentionError(
            f"refusing to purge records younger than {MINIMUM_YEARS} years: {period!r} would "
            f"delete records from after {minimum.date().isoformat()}"
        )
    return cutoff
