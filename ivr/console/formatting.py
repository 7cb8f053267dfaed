"""How the console writes values: local times, ages, counts (Ukrainian), masked numbers.
Jinja2 filters, by name in ``FILTERS``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from ivr.console.masking import mask_phone
from ivr.speech.fragments import fragment_text
from ivr.speech.grammar import plural_form


def local(moment: datetime | None, tz: tzinfo, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A moment in the company's time; ``—`` for none."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime(fmt)


def form_value(moment: datetime | None, tz: tzinfo) -> str:
    """A moment as an ``<input type="datetime-local">`` value."""
    return local(moment, tz, "%Y-%m-%dT%H:%M") if moment else ""


def plural(n: int, one: str, few: str, many: str) -> str:
    """``n`` with the Ukrainian form of its noun: 1 хвилина, 2 хвилини, 5 хвилин (the
    speech's own rule, ``ivr.speech.grammar.plural_form``)."""
    return f"{n} {({1: one, 2: few}).get(plural_form(n), many)}"


def age(moment: datetime | None, now: datetime) -> str:
    """How long ago: ``щойно``, ``7 хвилин тому``, ``3 години тому``, ``2 дні тому``."""
    if moment is None:
        return "невідомо"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    return "щойно" if seconds < 60 else _span(seconds) + " тому"


def _span(seconds: float) -> str:
    """A time span in the unit a person would use: minutes (at least 1) under an hour,
    hours under two days, then days (accusative: ``хвилину``, ``годину``)."""
    minutes = max(1, int(seconds // 60))
    if minutes < 60:
        return plural(minutes, "хвилину", "хвилини", "хвилин")
    hours = minutes // 60
    return plural(hours, "годину", "години", "годин") if hours < 48 else days(hours // 24)


def days(n: int) -> str:
    """``1 день``, ``3 дні``, ``30 днів``."""
    return plural(n, "день", "дні", "днів")


def until(moment: datetime, now: datetime) -> str:
    """How soon: ``за 20 хвилин``, ``за 5 годин``, ``за 2 дні``; ``вже`` for a past moment."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (moment - now).total_seconds()
    return "вже" if seconds <= 0 else "за " + _span(seconds)


def long_date(day: date) -> str:
    """``1 грудня 2026``."""
    month = fragment_text(f"date/month_{day.month}")  # the speech's genitive month names
    return f"{day.day} {month} {day.year}"


def minutes_of_day(minutes: int) -> str:
    """Minutes from local midnight as ``HH:MM`` (1440: ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} с"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def day_after(day: date, days: int = 1) -> date:
    return day + timedelta(days=days)


FILTERS: dict[str, Any] = {
    "local": local,
    "form_value": form_value,
    "age": age,
    "until": until,
    "days": days,
    "long_date": long_date,
    "hhmm": minutes_of_day,
    "duration": duration,
    "percent": percent,
    "mask": mask_phone,
    "plural": plural,
}
