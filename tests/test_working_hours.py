"""The working-hours schedule: open or closed, the next opening (weekends, holidays,
shortened days, the summer-time change in Europe/Kyiv), and how it is said."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ivr.config.hours import Opening, WorkingHours
from ivr.flow.hours import opening_parts
from ivr.speech.plan import Plan

KYIV = ZoneInfo("Europe/Kyiv")
WEEKDAYS = ((time(8), time(20)),)
SATURDAY = ((time(9), time(15)),)
HOURS = WorkingHours(
    always=False,
    weekly={0: WEEKDAYS, 1: WEEKDAYS, 2: WEEKDAYS, 3: WEEKDAYS, 4: WEEKDAYS, 5: SATURDAY},
    exceptions={
        date(2026, 12, 31): ((time(8), time(17)),),  # Thursday, shortened
        date(2027, 1, 1): (),  # Friday, a holiday
        date(2026, 12, 8): (),  # Tuesday, closed
    },
)


def kyiv(*args: int) -> datetime:
    return datetime(*args, tzinfo=KYIV)


def said(opening: Opening, today: date) -> str:
    parts = opening_parts(opening, today)
    return " ".join(p.text() if isinstance(p, Plan) else f"[{p}]" for p in parts)


def test_open_and_closed_by_the_week_and_the_exceptions():
    assert HOURS.is_open(kyiv(2026, 12, 1, 8, 0), KYIV)  # Tuesday
    assert not HOURS.is_open(kyiv(2026, 12, 1, 20, 0), KYIV)
    assert not HOURS.is_open(kyiv(2026, 12, 6, 12, 0), KYIV)  # Sunday
    assert not HOURS.is_open(kyiv(2027, 1, 1, 12, 0), KYIV)  # the holiday
    assert HOURS.is_open(kyiv(2026, 12, 31, 16, 59), KYIV)  # the shortened day
    assert not HOURS.is_open(kyiv(2026, 12, 31, 17, 0), KYIV)
    assert HOURS.is_open(datetime(2026, 12, 1, 6, 0, tzinfo=UTC), KYIV)  # 08:00 local
    assert WorkingHours().is_open(kyiv(2027, 1, 1, 3, 0), KYIV)
    assert WorkingHours().next_opening(kyiv(2027, 1, 1, 3, 0), KYIV) is None


def test_next_opening_later_today_tomorrow_and_across_the_weekend():
    assert HOURS.next_opening(kyiv(2026, 12, 1, 12, 0), KYIV) is None  # open now
    early = HOURS.next_opening(kyiv(2026, 12, 2, 6, 30), KYIV)
    assert early == Opening(date(2026, 12, 2), time(8), time(20))
    assert said(early, date(2026, 12, 2)) == "[hours_today] з восьмої до двадцятої"
    night = HOURS.next_opening(kyiv(2026, 12, 2, 22, 0), KYIV)
    assert night == Opening(date(2026, 12, 3), time(8), time(20))
    assert said(night, date(2026, 12, 2)) == "[hours_next] завтра з восьмої до двадцятої"
    saturday = HOURS.next_opening(kyiv(2026, 12, 5, 15, 0), KYIV)
    assert saturday == Opening(date(2026, 12, 7), time(8), time(20))
    assert said(saturday, date(2026, 12, 5)) == "[hours_next] у понеділок з восьмої до двадцятої"


def test_next_opening_skips_a_holiday_and_keeps_a_shortened_day():
    monday = HOURS.next_opening(kyiv(2026, 12, 7, 21, 0), KYIV)  # Tuesday 8th is closed
    assert monday == Opening(date(2026, 12, 9), time(8), time(20))
    assert said(monday, date(2026, 12, 7)) == "[hours_next] у середу з восьмої до двадцятої"
    eve = HOURS.next_opening(kyiv(2026, 12, 30, 21, 0), KYIV)
    assert eve == Opening(date(2026, 12, 31), time(8), time(17))
    assert said(eve, date(2026, 12, 30)) == "[hours_next] завтра з восьмої до сімнадцятої"
    after = HOURS.next_opening(kyiv(2026, 12, 31, 17, 30), KYIV)  # 1 January is a holiday
    assert after == Opening(date(2027, 1, 2), time(9), time(15))
    assert said(after, date(2026, 12, 31)) == "[hours_next] у суботу з дев'ятої до п'ятнадцятої"


def test_a_long_closure_is_said_by_its_date():
    closed = {date(2027, 3, 1) + timedelta(days=d): () for d in range(14)}
    hours = WorkingHours(always=False, weekly=HOURS.weekly, exceptions=closed)
    opening = hours.next_opening(kyiv(2027, 2, 27, 16, 0), KYIV)
    assert opening == Opening(date(2027, 3, 15), time(8), time(20))
    assert said(opening, date(2027, 2, 27)) == (
        "[hours_next] п'ятнадцятого березня з восьмої до двадцятої"
    )


def test_the_summer_time_change_in_kyiv():
    # 29 March 2026, 03:00 EET -> 04:00 EEST: Monday opens at 08:00 local, now 05:00 UTC.
    sunday = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)  # Sunday 00:30 EET
    opening = HOURS.next_opening(sunday, KYIV)
    assert opening == Opening(date(2026, 3, 30), time(8), time(20))
    assert opening.at(KYIV).astimezone(UTC) == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)
    assert not HOURS.is_open(datetime(2026, 3, 30, 4, 59, tzinfo=UTC), KYIV)
    assert HOURS.is_open(datetime(2026, 3, 30, 5, 0, tzinfo=UTC), KYIV)
    # and back: 25 October 2026 (04:00 EEST -> 03:00 EET), Monday 08:00 is 06:00 UTC
    assert not HOURS.is_open(datetime(2026, 10, 26, 5, 59, tzinfo=UTC), KYIV)
    assert HOURS.is_open(datetime(2026, 10, 26, 6, 0, tzinfo=UTC), KYIV)
