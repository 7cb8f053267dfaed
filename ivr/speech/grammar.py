"""Ukrainian grammar for dynamic values, planned as sequences of speech fragments.

Rules (see ``shared/reference/speech-and-audio.md`` §4):

* plural of a counted noun, from the last two digits of n: 11-14 -> many ("годин"); else
  last digit 1 -> one ("година"); 2-4 -> few ("години"); otherwise many;
* the noun's gender sets the final 1 or 2: feminine "одна"/"дві", neuter "одне"/"два",
  masculine "один"/"два"; "тисяча" is feminine ("двадцять одна тисяча");
* the accusative (after "понад"): a feminine noun's final 1 and its one-form change ("понад
  двадцять одну хвилину", "одну тисячу"), the rest is as in the nominative ("понад дві
  хвилини", "понад тридцять хвилин"); masculine nouns are inanimate here, the same as the
  nominative;
* times: the hour is a feminine ordinal with its preposition ("о вісімнадцятій",
  "об одинадцятій", "до вісімнадцятої"); minutes follow as a feminine cardinal ("тридцять",
  "нуль п'ять", "двадцять одна"); a full hour adds "годині"/"години";
* dates: day and month in the genitive ("двадцять сьомого листопада"), the year as a
  genitive ordinal ("дві тисячі двадцять п'ятого року"); today and tomorrow by name;
* money: гривні and копійки, each counted, a zero part left out ("п'ятдесят копійок");
* digit strings: one digit at a time, in groups of three and two with a short pause between.
"""

from __future__ import annotations

import enum
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from ivr.speech.plan import Plan, SayError

MAX_NUMBER = 999_999
MAX_DIGITS = 32
YEARS = (2000, 2099)
PAUSE = "pause/group"
#: free, premium and shared numbers, said as 0800 300 100
NON_GEOGRAPHIC = ("0800", "0900", "0700")


class Gender(enum.StrEnum):
    MASCULINE = "m"
    FEMININE = "f"
    NEUTER = "n"


#: counted nouns: fragment stem and grammatical gender
NOUNS: dict[str, Gender] = {
    "thousand": Gender.FEMININE,
    "hryvnia": Gender.FEMININE,
    "kopiyka": Gender.FEMININE,
    "hour": Gender.FEMININE,
    "minute": Gender.FEMININE,
    "day": Gender.MASCULINE,
    "kwh": Gender.FEMININE,
}


#: feminine nouns with an accusative one-form fragment (``units/<noun>_acc``: "хвилину")
ACCUSATIVE = frozenset({"thousand", "minute"})


def plural_form(n: int) -> int:
    """1 (одна година), 2 (дві години) or 5 (п'ять годин): the form a count takes."""
    n = abs(n)
    if 11 <= n % 100 <= 14:
        return 5
    if n % 10 == 1:
        return 1
    if 2 <= n % 10 <= 4:
        return 2
    return 5


def _unit(n: int, gender: Gender, accusative: bool = False) -> str:
    if n == 1 and gender is Gender.FEMININE and accusative:
        return "digits/1f_acc"
    if n == 1 and gender is not Gender.MASCULINE:
        return "digits/1f" if gender is Gender.FEMININE else "digits/1n"
    if n == 2 and gender is Gender.FEMININE:
        return "digits/2f"
    return f"digits/{n}"


def _under_thousand(n: int, gender: Gender, accusative: bool = False) -> list[str]:
    parts: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        parts.append(f"digits/{hundreds * 100}")
    if rest >= 20:
        tens, rest = divmod(rest, 10)
        parts.append(f"digits/{tens * 10}")
    if rest:
        parts.append(_unit(rest, gender, accusative))
    return parts


def _noun(n: int, noun: str, accusative: bool) -> str:
    """The fragment of ``noun`` counted ``n`` times: "хвилина", "хвилину" (accusative)."""
    form = plural_form(n)
    if accusative and form == 1 and NOUNS[noun] is Gender.FEMININE:
        return f"units/{noun}_acc"
    return f"units/{noun}_{form}"


def plan_number(n: int, gender: Gender | str = Gender.MASCULINE, accusative: bool = False) -> Plan:
    """A cardinal number 0..999 999 agreeing with a noun of ``gender``; in the accusative
    ("одну") when ``accusative``."""
    gender = Gender(gender)
    if isinstance(n, bool) or not isinstance(n, int):
        raise SayError(f"expected a whole number, got {n!r}")
    if not 0 <= n <= MAX_NUMBER:
        raise SayError(f"{n} is out of range: numbers from 0 to {MAX_NUMBER:,}".replace(",", " "))
    if n == 0:
        return Plan(("digits/0",))
    thousands, rest = divmod(n, 1000)
    parts: list[str] = []
    if thousands:
        parts += _under_thousand(thousands, Gender.FEMININE, accusative)
        parts.append(_noun(thousands, "thousand", accusative))
    parts += _under_thousand(rest, gender, accusative)
    return Plan(tuple(parts))


def plan_count(n: int, noun: str, accusative: bool = False) -> Plan:
    """``n`` and the noun in the form that agrees with it: "двадцять дві гривні"; in the
    accusative (after "понад": "двадцять одну хвилину") when ``accusative``."""
    if noun not in NOUNS:
        raise SayError(f"unknown noun '{noun}': use one of {', '.join(NOUNS)}")
    gender = NOUNS[noun]
    if accusative and gender is Gender.FEMININE and noun not in ACCUSATIVE:
        raise SayError(
            f"no accusative form of '{noun}': use one of {', '.join(sorted(ACCUSATIVE))}"
        )
    return plan_number(n, gender, accusative) + Plan((_noun(n, noun, accusative),))


def plan_time(hour: int, minute: int, preposition: str = "at") -> Plan:
    """ "о вісімнадцятій тридцять" (``at``), "до вісімнадцятої тридцять" (``until``) or
    "з вісімнадцятої тридцять" (``from``)."""
    if preposition not in ("at", "until", "from"):
        raise SayError(f"unknown preposition '{preposition}': use at, until or from")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise SayError(f"{hour}:{minute:02d} is not a time of day: use 00:00 to 23:59")
    parts = [f"time/{preposition}_{hour}"]
    if minute == 0:
        parts.append("time/hour_loc" if preposition == "at" else "units/hour_2")
    else:
        parts += _minutes(minute)
    return Plan(tuple(parts))


def _minutes(minute: int) -> list[str]:
    """The minutes after the hour: "нуль п'ять", "тридцять"; nothing on the hour."""
    if minute == 0:
        return []
    if minute < 10:
        return ["digits/0", _unit(minute, Gender.FEMININE)]
    return list(plan_number(minute, Gender.FEMININE).fragments)


def plan_hours(start: tuple[int, int], end: tuple[int, int] | None = None) -> Plan:
    """Opening hours: "з восьмої до двадцятої", "з восьмої тридцять"; ``(24, 0)`` ends at
    midnight ("до двадцять четвертої")."""
    bounds = [("from", start)] + ([("until", end)] if end is not None else [])
    parts: list[str] = []
    for preposition, (hour, minute) in bounds:
        midnight = preposition == "until" and (hour, minute) == (24, 0)
        if not midnight and not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise SayError(f"{hour}:{minute:02d} is not a time of day: use 00:00 to 24:00")
        parts += [f"time/{preposition}_{hour}", *_minutes(minute)]
    return Plan(tuple(parts))


def plan_weekday(day: date) -> Plan:
    """ "у понеділок", "у середу": on that day of the week."""
    return Plan((f"date/on_weekday_{day.weekday()}",))


def plan_duration(hours: int, minutes: int) -> Plan:
    """ "дві години п'ятнадцять хвилин"; a zero part is left out ("нуль хвилин" when both are)."""
    if hours < 0 or minutes < 0:
        raise SayError("a duration cannot be negative")
    hours, minutes = hours + minutes // 60, minutes % 60
    if hours > MAX_NUMBER:
        raise SayError(f"{hours} hours is out of range: at most {MAX_NUMBER} hours")
    plan = Plan(())
    if hours:
        plan += plan_count(hours, "hour")
    if minutes or not hours:
        plan += plan_count(minutes, "minute")
    return plan


def _ordinal_genitive(n: int) -> list[str]:
    """1..99 as a masculine genitive ordinal: "першого", "двадцять п'ятого", "сорокового"."""
    if 1 <= n <= 31:
        return [f"date/day_{n}"]
    tens, units = divmod(n, 10)
    if units == 0:
        return [f"date/ord_{n}"]
    return [f"digits/{tens * 10}", f"date/day_{units}"]


def plan_year(year: int) -> Plan:
    """ "дві тисячі двадцять п'ятого року"."""
    low, high = YEARS
    if not low <= year <= high:
        raise SayError(f"year {year} is out of range: {low} to {high}")
    if year == 2000:
        return Plan(("date/year_2000", "date/year"))
    return Plan(("digits/2f", "units/thousand_2", *_ordinal_genitive(year - 2000), "date/year"))


def plan_date(day: date, today: date | None = None, with_year: bool | None = None) -> Plan:
    """ "двадцять сьомого листопада"; "сьогодні"/"завтра" when ``today`` makes them fit.

    The year is said when ``with_year`` is true, or (by default) when there is no ``today``
    or the date falls in another year.
    """
    if today is not None:
        if day == today:
            return Plan(("date/today",))
        if day == today + timedelta(days=1):
            return Plan(("date/tomorrow",))
    plan = Plan((f"date/day_{day.day}", f"date/month_{day.month}"))
    if with_year is None:
        with_year = today is None or today.year != day.year
    if with_year:
        plan += plan_year(day.year)
    return plan


def _money(amount: Decimal | int | str) -> tuple[int, int]:
    try:
        value = Decimal(str(amount).replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise SayError(f"'{amount}' is not an amount of money such as 4,32") from None
    if not value.is_finite():
        raise SayError(f"'{amount}' is not an amount of money such as 4,32")
    if value < 0:
        raise SayError(f"{amount}: a negative amount cannot be said")
    if value != value.quantize(Decimal("0.01")):
        raise SayError(f"{amount}: at most two digits after the comma (kopiykas)")
    kopiykas = int(value * 100)
    hryvnias, kopiykas = divmod(kopiykas, 100)
    if hryvnias > MAX_NUMBER:
        raise SayError(f"{amount} is out of range: at most {MAX_NUMBER},99 hryvnias")
    return hryvnias, kopiykas


def plan_money(amount: Decimal | int | str, per_kwh: bool = False) -> Plan:
    """ "чотири гривні тридцять дві копійки [за кіловат-годину]"."""
    hryvnias, kopiykas = _money(amount)
    plan = Plan(())
    if hryvnias or not kopiykas:
        plan += plan_count(hryvnias, "hryvnia")
    if kopiykas:
        plan += plan_count(kopiykas, "kopiyka")
    if per_kwh:
        plan += Plan(("units/per_kwh",))
    return plan


def digit_groups(length: int) -> list[int]:
    """Natural group sizes for reading ``length`` digits: threes, ending in twos, never a 1."""
    if length <= 3:
        return [length] if length else []
    twos = {0: 0, 1: 2, 2: 1}[length % 3]
    threes = (length - 2 * twos) // 3
    return [3] * threes + [2] * twos


def _digit_plan(groups: list[str]) -> Plan:
    parts: list[str] = []
    for index, group in enumerate(groups):
        if index:
            parts.append(PAUSE)
        parts += [f"digits/{d}" for d in group]
    return Plan(tuple(parts))


_SEPARATORS = re.compile(r"[\s\-./]+")


def _digit_string(value: str, what: str) -> list[str]:
    """The digit groups an admin or a caller would see in ``value`` (separators kept)."""
    text = value.strip()
    chunks = [c for c in _SEPARATORS.split(text) if c]
    if not chunks or not all(c.isascii() and c.isdigit() for c in chunks):
        raise SayError(f"'{value}' is not {what}: use digits, optionally grouped by spaces or '-'")
    total = sum(len(c) for c in chunks)
    if total > MAX_DIGITS:
        raise SayError(f"'{value}' is too long: at most {MAX_DIGITS} digits")
    return chunks


def _split(chunk: str) -> list[str]:
    groups, start = [], 0
    for size in digit_groups(len(chunk)):
        groups.append(chunk[start : start + size])
        start += size
    return groups


def _grouped(value: str, what: str) -> Plan:
    chunks = _digit_string(value, what)
    return _digit_plan([g for chunk in chunks for g in _split(chunk)])


def plan_digits(value: str) -> Plan:
    """Digits one by one in natural groups: "2611280700425" -> 261 128 070 04 25.

    Groups the writer made with spaces, '-', '.' or '/' are kept (longer ones are split).
    """
    return _grouped(value, "a digit string")


def plan_appeal_number(value: str) -> Plan:
    """An appeal (complaint) number, digit by digit in groups, for the caller to write down."""
    return _grouped(value, "an appeal number")


def plan_phone(value: str) -> Plan:
    """A Ukrainian phone number as people say it digit by digit: 044 123 45 67.

    ``+380…`` is read in the national form (0…), which a caller can dial.
    """
    text = value.strip()
    compact = re.sub(r"[\s\-()./]", "", text)
    if compact.startswith("+380") and len(compact) == 13:
        compact = "0" + compact[4:]
    elif compact.startswith("+"):
        raise SayError(f"'{value}': only Ukrainian numbers (+380…) can be said")
    chunks = _digit_string(compact, "a phone number")
    digits = "".join(chunks)
    if len(digits) == 10 and digits.startswith(NON_GEOGRAPHIC):  # 0 800 300 100
        groups = [digits[:4], digits[4:7], digits[7:]]
    elif len(digits) == 10 and digits.startswith("0"):  # 044 123 45 67
        groups = [digits[:3], digits[3:6], digits[6:8], digits[8:]]
    else:
        groups = _split(digits)
    return _digit_plan(groups)
