"""Ukrainian speech for dynamic values, checked against num2words over wide ranges.

num2words (``lang="uk"``) is the independent reference for cardinals, gender, plurals and
money. Its ordinals are masculine nominative only ("вісімнадцятий"), and it fails on 0, so the
case forms used for times, dates and years are derived from them by the regular endings, and
the irregular or idiomatic ones (о/об, нульовій, третьої) are checked by hand-written cases.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from num2words import CONVERTER_CLASSES, num2words

from ivr.speech import (
    NOUNS,
    Gender,
    Plan,
    SayError,
    catalogue,
    digit_groups,
    plan_appeal_number,
    plan_count,
    plan_date,
    plan_digits,
    plan_duration,
    plan_hours,
    plan_money,
    plan_number,
    plan_phone,
    plan_time,
    plan_weekday,
    plan_year,
    plural_form,
)

UK = CONVERTER_CLASSES["uk"]
FORMS = {  # independent of the fragment catalogue: typed here from a grammar
    "thousand": ("тисяча", "тисячі", "тисяч"),
    "hryvnia": ("гривня", "гривні", "гривень"),
    "kopiyka": ("копійка", "копійки", "копійок"),
    "hour": ("година", "години", "годин"),
    "minute": ("хвилина", "хвилини", "хвилин"),
    "day": ("день", "дні", "днів"),
    "kwh": ("кіловат-година", "кіловат-години", "кіловат-годин"),
}
MONTHS = (
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
)
GENDER_WORD = {Gender.MASCULINE: "masculine", Gender.FEMININE: "feminine"}


def text(plan: Plan) -> str:
    return plan.text()


def wide_range() -> list[int]:
    """0..100 000 in full, then a stride through the rest of 0..999 999, and the ends."""
    return [*range(100_001), *range(100_003, 1_000_000, 7), 999_999]


# -- cardinals and plurals -----------------------------------------------------------------


def test_plural_form_matches_num2words_pluralize():
    for n in range(200_000):
        expected = UK.pluralize(n, ("1", "2", "5"))
        assert str(plural_form(n)) == expected, n


def test_masculine_cardinals_match_num2words():
    for n in wide_range():
        assert text(plan_number(n)) == num2words(n, lang="uk"), n


def test_feminine_cardinals_match_num2words():
    for n in [*range(30_000), *range(30_001, 1_000_000, 97)]:
        assert text(plan_number(n, "f")) == num2words(n, lang="uk", gender="feminine"), n


def test_neuter_cardinals():
    # num2words ignores gender="neuter"; the neuter differs from the masculine only in "одне"
    for n in range(0, 1_000_000, 13):
        words = num2words(n, lang="uk").split()
        if words[-1] == "один":
            words[-1] = "одне"
        assert text(plan_number(n, "n")) == " ".join(words), n
    assert text(plan_number(1, "n")) == "одне"
    assert text(plan_number(21, "n")) == "двадцять одне"
    assert text(plan_number(2, "n")) == "два"


@pytest.mark.parametrize("noun", sorted(NOUNS))
def test_counted_nouns_agree_in_gender_and_number(noun):
    gender = NOUNS[noun]
    for n in [*range(3_000), *range(3_001, 1_000_000, 331)]:
        number = num2words(n, lang="uk", gender=GENDER_WORD[gender])
        expected = f"{number} {UK.pluralize(n, FORMS[noun])}"
        assert text(plan_count(n, noun)) == expected, (noun, n)


@pytest.mark.parametrize(
    "n, noun, expected",
    [
        (1, "hour", "одна година"),
        (2, "hour", "дві години"),
        (5, "hour", "п'ять годин"),
        (1, "hryvnia", "одна гривня"),
        (22, "hryvnia", "двадцять дві гривні"),
        (1, "minute", "одна хвилина"),
        (11, "minute", "одинадцять хвилин"),
        (21, "minute", "двадцять одна хвилина"),
        (112, "minute", "сто дванадцять хвилин"),
        (1, "day", "один день"),
        (2, "day", "два дні"),
        (15, "day", "п'ятнадцять днів"),
        (21_000, "hryvnia", "двадцять одна тисяча гривень"),
        (22_001, "hryvnia", "двадцять дві тисячі одна гривня"),
        (0, "kwh", "нуль кіловат-годин"),
    ],
)
def test_counted_nouns_by_hand(n, noun, expected):
    assert text(plan_count(n, noun)) == expected


@pytest.mark.parametrize("noun", ["minute", "day"])
def test_the_accusative_after_ponad_matches_num2words(noun):
    gender = NOUNS[noun]
    for n in [*range(3_000), *range(3_001, 1_000_000, 331)]:
        number = num2words(n, lang="uk", gender=GENDER_WORD[gender], case="accusative")
        counted = UK.pluralize(n, FORMS[noun])
        if noun == "minute" and counted == "хвилина":
            counted = "хвилину"
        assert text(plan_count(n, noun, accusative=True)) == f"{number} {counted}", (noun, n)


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, "одну хвилину"),
        (2, "дві хвилини"),
        (21, "двадцять одну хвилину"),
        (30, "тридцять хвилин"),
        (1_001, "одну тисячу одну хвилину"),
    ],
)
def test_the_accusative_by_hand(n, expected):
    assert text(plan_count(n, "minute", accusative=True)) == expected


def test_no_accusative_for_a_feminine_noun_without_its_fragment():
    with pytest.raises(SayError, match="no accusative form of 'hour'"):
        plan_count(1, "hour", accusative=True)


def test_number_out_of_range_and_wrong_types():
    for bad in (-1, 1_000_000, 10**12):
        with pytest.raises(SayError, match="out of range"):
            plan_number(bad)
    for bad in (1.5, "7", True):
        with pytest.raises(SayError, match="whole number"):
            plan_number(bad)  # type: ignore[arg-type]
    with pytest.raises(SayError, match="unknown noun"):
        plan_count(3, "apple")


# -- times -------------------------------------------------------------------------------


def ordinal_stem(n: int) -> str:
    """num2words' masculine nominative ordinal without its ending, e.g. "вісімнадцят"."""
    if n == 0:
        return "нульов"  # num2words has no ordinal 0
    words = num2words(n, lang="uk", to="ordinal")
    assert words.endswith(("ий", "ій")), words
    return words[:-2]


def ordinal_case(n: int, hard: str, soft: str) -> str:
    """The ordinal with a case ending: hard stems ("-ий") and soft ones ("третій")."""
    nominative = "нульовий" if n == 0 else num2words(n, lang="uk", to="ordinal")
    return ordinal_stem(n) + (soft if nominative.endswith("ій") else hard)


def test_every_time_of_day():
    for hour in range(24):
        locative = ordinal_case(hour, "ій", "ій")  # о вісімнадцятій, о третій
        genitive = ordinal_case(hour, "ої", "ьої")  # до вісімнадцятої, до третьої
        preposition = "об" if locative.startswith(("о", "і", "у", "а", "е")) else "о"
        for minute in range(60):
            if minute == 0:
                at_tail, until_tail = " годині", " години"
            elif minute < 10:
                at_tail = until_tail = " нуль " + num2words(minute, lang="uk", gender="feminine")
            else:
                at_tail = until_tail = " " + num2words(minute, lang="uk", gender="feminine")
            assert text(plan_time(hour, minute)) == f"{preposition} {locative}{at_tail}"
            assert text(plan_time(hour, minute, "until")) == f"до {genitive}{until_tail}"


@pytest.mark.parametrize(
    "hour, minute, preposition, expected",
    [
        (18, 30, "at", "о вісімнадцятій тридцять"),
        (18, 30, "until", "до вісімнадцятої тридцять"),
        (11, 5, "at", "об одинадцятій нуль п'ять"),
        (11, 0, "until", "до одинадцятої години"),
        (0, 0, "at", "о нульовій годині"),
        (3, 21, "at", "о третій двадцять одна"),
        (3, 2, "until", "до третьої нуль дві"),
        (21, 45, "at", "о двадцять першій сорок п'ять"),
        (23, 59, "until", "до двадцять третьої п'ятдесят дев'ять"),
        (8, 0, "at", "о восьмій годині"),
        (7, 12, "at", "о сьомій дванадцять"),
        (23, 30, "from", "з двадцять третьої тридцять"),
        (11, 0, "from", "з одинадцятої години"),
        (3, 30, "until", "до третьої тридцять"),
    ],
)
def test_times_by_hand(hour, minute, preposition, expected):
    assert text(plan_time(hour, minute, preposition)) == expected


def test_bad_times():
    for hour, minute in ((24, 0), (-1, 0), (12, 60)):
        with pytest.raises(SayError, match="not a time of day"):
            plan_time(hour, minute)
    with pytest.raises(SayError, match="preposition"):
        plan_time(12, 0, "since")


def test_durations_match_num2words():
    for hours in range(0, 200):
        for minutes in range(60):
            parts = []
            if hours:
                parts.append(
                    num2words(hours, lang="uk", gender="feminine")
                    + " "
                    + UK.pluralize(hours, FORMS["hour"])
                )
            if minutes or not hours:
                parts.append(
                    num2words(minutes, lang="uk", gender="feminine")
                    + " "
                    + UK.pluralize(minutes, FORMS["minute"])
                )
            assert text(plan_duration(hours, minutes)) == " ".join(parts)
    assert text(plan_duration(2, 15)) == "дві години п'ятнадцять хвилин"
    assert text(plan_duration(0, 135)) == "дві години п'ятнадцять хвилин"
    assert text(plan_duration(1, 1)) == "одна година одна хвилина"
    with pytest.raises(SayError):
        plan_duration(-1, 0)


# -- dates ---------------------------------------------------------------------------------


def test_every_day_of_two_years():
    day = date(2024, 1, 1)  # a leap year, then a common one
    while day.year < 2026:
        genitive = ordinal_case(day.day, "ого", "ього")
        expected = f"{genitive} {MONTHS[day.month - 1]}"
        assert text(plan_date(day, with_year=False)) == expected
        assert text(plan_date(day, today=date(2030, 1, 1), with_year=False)) == expected
        day += timedelta(days=1)


def test_years_match_num2words_ordinals():
    for year in range(2000, 2100):
        words = num2words(year, lang="uk", to="ordinal").split()
        last = words[-1]
        words[-1] = last[:-2] + ("ього" if last.endswith("ій") else "ого")
        assert text(plan_year(year)) == " ".join(words) + " року", year
    for bad in (1999, 2100):
        with pytest.raises(SayError, match="out of range"):
            plan_year(bad)


@pytest.mark.parametrize(
    "day, today, expected",
    [
        (date(2025, 11, 27), None, "двадцять сьомого листопада дві тисячі двадцять п'ятого року"),
        (date(2025, 11, 27), date(2025, 11, 1), "двадцять сьомого листопада"),
        (date(2025, 11, 27), date(2025, 11, 27), "сьогодні"),
        (date(2025, 11, 28), date(2025, 11, 27), "завтра"),
        (date(2026, 1, 1), date(2025, 12, 31), "завтра"),
        (date(2026, 1, 2), date(2025, 12, 31), "другого січня дві тисячі двадцять шостого року"),
        (date(2025, 3, 3), date(2025, 1, 1), "третього березня"),
        (date(2000, 2, 29), None, "двадцять дев'ятого лютого двохтисячного року"),
        (date(2040, 5, 31), None, "тридцять першого травня дві тисячі сорокового року"),
    ],
)
def test_dates_by_hand(day, today, expected):
    assert text(plan_date(day, today)) == expected


# -- money ---------------------------------------------------------------------------------


def reference_money(amount: Decimal) -> str:
    """num2words' UAH wording without its comma and without a "нуль" part."""
    hryvnias, kopiykas = num2words(amount, lang="uk", to="currency", currency="UAH").split(", ")
    if amount == 0:
        return hryvnias
    parts = [p for p in (hryvnias, kopiykas) if not p.startswith("нуль ")]
    return " ".join(parts)


def test_money_matches_num2words():
    amounts = [Decimal(cents) / 100 for cents in range(0, 100_000)]  # 0.00 .. 999.99
    rng = random.Random(373)
    amounts += [Decimal(rng.randrange(0, 100_000_000)) / 100 for _ in range(20_000)]
    amounts += [Decimal("999999.99"), Decimal("1000"), Decimal("21000.21")]
    for amount in amounts:
        assert text(plan_money(amount)) == reference_money(amount), amount


@pytest.mark.parametrize(
    "amount, per_kwh, expected",
    [
        ("4,32", True, "чотири гривні тридцять дві копійки за кіловат-годину"),
        ("4.32", False, "чотири гривні тридцять дві копійки"),
        ("1", False, "одна гривня"),
        ("0,50", False, "п'ятдесят копійок"),
        ("0", False, "нуль гривень"),
        ("21.21", False, "двадцять одна гривня двадцять одна копійка"),
        ("2,64", True, "дві гривні шістдесят чотири копійки за кіловат-годину"),
        ("1 234,5", False, "одна тисяча двісті тридцять чотири гривні п'ятдесят копійок"),
    ],
)
def test_money_by_hand(amount, per_kwh, expected):
    assert text(plan_money(amount, per_kwh)) == expected


@pytest.mark.parametrize(
    "amount, message",
    [
        ("-1", "negative"),
        ("1.234", "two digits"),
        ("1000000", "out of range"),
        ("abc", "not an amount"),
        ("NaN", "not an amount"),
    ],
)
def test_bad_money(amount, message):
    with pytest.raises(SayError, match=message):
        plan_money(amount)


# -- digit strings ------------------------------------------------------------------------

DIGIT_WORDS = ("нуль", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять")


def test_digit_groups_for_every_length():
    for length in range(1, 33):
        groups = digit_groups(length)
        assert sum(groups) == length
        assert all(size in (2, 3) for size in groups) or length == 1
        assert groups == sorted(groups, reverse=True)  # threes first, then twos


def test_digit_strings_are_read_digit_by_digit():
    rng = random.Random(4)
    for _ in range(2_000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 32)))
        plan = plan_digits(digits)
        spoken = text(plan).replace(",", "").split()
        assert spoken == [DIGIT_WORDS[int(d)] for d in digits]
        groups = text(plan).split(", ")
        assert [len(g.split()) for g in groups] == digit_groups(len(digits))


def test_appeal_and_phone_numbers():
    assert text(plan_appeal_number("2611280700425")) == (
        "два шість один, один два вісім, нуль сім нуль, нуль чотири, два п'ять"
    )
    assert text(plan_appeal_number("26-1128-07")) == ("два шість, один один, два вісім, нуль сім")
    assert text(plan_phone("+380 44 123 45 67")) == (
        "нуль чотири чотири, один два три, чотири п'ять, шість сім"
    )
    assert text(plan_phone("0800300100")) == ("нуль вісім нуль нуль, три нуль нуль, один нуль нуль")
    assert text(plan_phone("112")) == "один один два"
    for bad in ("", "12a4", "+1 555 0100", "1" * 33, "١٢٣"):
        with pytest.raises(SayError):
            plan_phone(bad) if bad.startswith("+") else plan_digits(bad)


def test_every_planned_fragment_is_in_the_catalogue():
    fragments = catalogue()
    plans = [plan_number(n, g) for n in range(0, 1_000_000, 101) for g in "mfn"]
    plans += [
        plan_time(h, m, p) for h in range(24) for m in range(60) for p in ("at", "until", "from")
    ]
    plans += [plan_hours((h, 0), (24, 0)) for h in range(24)]
    plans += [plan_weekday(date(2026, 11, 30) + timedelta(days=d)) for d in range(7)]
    plans += [plan_year(y) for y in range(2000, 2100)]
    plans += [plan_count(n, noun) for n in range(30) for noun in NOUNS]
    plans += [plan_count(n, "minute", accusative=True) for n in (1, 1_000)]
    plans += [plan_date(date(2025, 1, 1) + timedelta(days=d)) for d in range(365)]
    plans += [
        plan_money("4,32", True),
        plan_date(date(2025, 1, 1), date(2025, 1, 1)),
        plan_date(date(2025, 1, 2), date(2025, 1, 1)),
        plan_digits("0123456789 12"),
    ]
    used = {f for plan in plans for f in plan}
    assert used <= set(fragments)
    assert set(fragments) - used == set(), "fragments no plan uses"


def test_opening_hours_and_weekdays():
    assert text(plan_hours((8, 0), (20, 0))) == "з восьмої до двадцятої"
    assert text(plan_hours((8, 30), (17, 5))) == "з восьмої тридцять до сімнадцятої нуль п'ять"
    assert text(plan_hours((9, 0))) == "з дев'ятої"
    assert text(plan_hours((0, 0), (24, 0))) == "з нульової до двадцять четвертої"
    assert text(plan_weekday(date(2026, 12, 7))) == "у понеділок"
    assert text(plan_weekday(date(2026, 12, 9))) == "у середу"
    assert text(plan_weekday(date(2026, 12, 13))) == "у неділю"
    for bad in (((24, 0), None), ((8, 0), (24, 30)), ((8, 60), (9, 0))):
        with pytest.raises(SayError):
            plan_hours(*bad)
