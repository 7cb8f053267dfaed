"""Dates and times as dispatchers and our files write them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_FORMATS = ("%d.%m.%Y %H:%M", "%H:%M %d.%m.%Y")


def parse_moment(text: str, tz: str) -> datetime:
    """ISO 8601 (``2026-12-01T07:55+02:00``; without an offset: local time in ``tz``) or
    ``DD.MM.YYYY HH:MM`` / ``HH:MM DD.MM.YYYY`` local time; ValueError saying what is
    expected otherwise."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for pattern in LOCAL_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError(
                f'"{text}" is not a date and time (2026-12-01T07:55+02:00, '
                "2026-12-01 07:55 or 01.12.2026 07:55)"
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))
