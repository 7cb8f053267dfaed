"""Read a value as an admin types it (``ivr say "до 18:30" --as time``) and plan its speech."""

from __future__ import annotations

import re
from datetime import date

from ivr.speech.grammar import (
    NOUNS,
    Gender,
    plan_count,
    plan_date,
    plan_digits,
    plan_duration,
    plan_money,
    plan_number,
    plan_phone,
    plan_time,
)
from ivr.speech.plan import Plan, SayError

KINDS = ("number", "time", "date", "money", "digits", "phone", "duration")

_TIME = re.compile(r"^\s*(?:(о|об|at|до|until)\s+)?(\d{1,2})[:.](\d{2})\s*$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DOTTED_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?\s*$")
_PER_KWH = re.compile(
    r"\s*(?:/|за)\s*(?:квт[·.\-\s]?год(?:ину)?|кіловат-годину|kwh)\.?\s*$", re.IGNORECASE
)
_CURRENCY = re.compile(r"\s*(?:грн\.?|гривень|uah)\s*$", re.IGNORECASE)
_CLOCK_DURATION = re.compile(r"^\s*(\d{1,6}):(\d{2})\s*$")
_WORD_DURATION = re.compile(
    r"^\s*(?:(\d{1,6})\s*(?:h|год\.?|години|годин|година))?\s*"
    r"(?:(\d{1,6})\s*(?:m|min|хв\.?|хвилин[аи]?))?\s*$",
    re.IGNORECASE,
)


def parse_time(value: str) -> tuple[int, int, str]:
    match = _TIME.match(value)
    if not match:
        raise SayError(
            f"'{value}' is not a time: write HH:MM, optionally after 'о' or 'до' "
            '(e.g. "до 18:30")'
        )
    word, hour, minute = match.group(1), int(match.group(2)), int(match.group(3))
    preposition = "until" if word and word.lower() in ("до", "until") else "at"
    return hour, minute, preposition


def parse_date(value: str, today: date | None = None) -> date:
    iso = _ISO_DATE.match(value)
    dotted = _DOTTED_DATE.match(value)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif dotted:
        day, month = int(dotted.group(1)), int(dotted.group(2))
        year = int(dotted.group(3)) if dotted.group(3) else (today or date.today()).year
    else:
        raise SayError(f"'{value}' is not a date: write YYYY-MM-DD, DD.MM.YYYY or DD.MM")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise SayError(f"'{value}' is not a date: {exc}") from None


def parse_money(value: str) -> tuple[str, bool]:
    """``"4,32 грн/кВт·год"`` -> ("4,32", per kWh)."""
    text, per_kwh = value, False
    match = _PER_KWH.search(text)
    if match:
        text, per_kwh = text[: match.start()], True
    text = _CURRENCY.sub("", text).strip()
    if not re.fullmatch(r"[\d\s\u00a0]*\d(?:[.,]\d+)?", text):
        raise SayError(f"'{value}' is not an amount such as 4,32 or \"4,32 грн/кВт·год\"")
    return text, per_kwh


def parse_number(value: str) -> int:
    text = value.replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"-?\d+", text):
        raise SayError(f"'{value}' is not a whole number")
    return int(text)


def parse_duration(value: str) -> tuple[int, int]:
    clock = _CLOCK_DURATION.match(value)
    if clock:
        hours, minutes = int(clock.group(1)), int(clock.group(2))
        if minutes > 59:
            raise SayError(f"'{value}': minutes must be 00 to 59")
        return hours, minutes
    words = _WORD_DURATION.match(value)
    if words and (words.group(1) or words.group(2)):
        return int(words.group(1) or 0), int(words.group(2) or 0)
    raise SayError(f'\'{value}\' is not a duration: write H:MM, "2 год 15 хв" or "2h15m"')


def plan_value(
    value: str,
    kind: str,
    *,
    gender: str | None = None,
    noun: str | None = None,
    today: date | None = None,
) -> Plan:
    """The plan for ``value`` read as ``kind`` (one of :data:`KINDS`)."""
    if kind == "number":
        n = parse_number(value)
        if noun is not None:
            if noun not in NOUNS:
                raise SayError(f"unknown noun '{noun}': use one of {', '.join(NOUNS)}")
            return plan_count(n, noun)
        return plan_number(n, Gender(gender or "m"))
    if kind == "time":
        return plan_time(*parse_time(value))
    if kind == "date":
        return plan_date(parse_date(value, today), today)
    if kind == "money":
        amount, per_kwh = parse_money(value)
        return plan_money(amount, per_kwh)
    if kind == "digits":
        return plan_digits(value)
    if kind == "phone":
        return plan_phone(value)
    if kind == "duration":
        return plan_duration(*parse_duration(value))
    raise SayError(f"unknown kind '{kind}': use one of {', '.join(KINDS)}")
