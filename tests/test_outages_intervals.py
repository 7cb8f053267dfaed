"""Merging off-intervals and the periods the IVR says, across midnight and summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.outages.intervals import Period, local_moment, merge, periods
from ivr.outages.model import DayStatus, OffInterval, ScheduleDay

KYIV = ZoneInfo("Europe/Kyiv")
UPDATED = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def day(d: date, *off: tuple[int, int], status=DayStatus.IN_FORCE, group="3.1") -> ScheduleDay:
    return ScheduleDay(group, d, status, tuple(OffInterval(a, b) for a, b in off), "t", UPDATED)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=KYIV)


def test_merge_joins_adjacent_and_overlapping_and_sorts():
    given = [
        OffInterval(600, 660),
        OffInterval(240, 480),
        OffInterval(480, 500),
        OffInterval(450, 520),
    ]
    assert merge(given) == (OffInterval(240, 520), OffInterval(600, 660))


def test_merge_keeps_apart_what_has_a_gap():
    assert merge([OffInterval(0, 30), OffInterval(31, 60)]) == (
        OffInterval(0, 30),
        OffInterval(31, 60),
    )


def test_an_outage_split_at_midnight_is_one_period():
    days = [day(date(2026, 12, 1), (1410, 1440)), day(date(2026, 12, 2), (0, 210), (600, 720))]
    found = periods(days, KYIV, at(2026, 12, 1, 12))
    assert found == [
        Period(at(2026, 12, 1, 23, 30), at(2026, 12, 2, 3, 30), False),
        Period(at(2026, 12, 2, 10), at(2026, 12, 2, 12), False),
    ]


def test_a_provisional_part_makes_the_merged_period_provisional():
    days = [
        day(date(2026, 12, 1), (1260, 1440)),
        day(date(2026, 12, 2), (0, 120), (480, 600), status=DayStatus.PROVISIONAL),
    ]
    found = periods(days, KYIV, at(2026, 12, 1, 0))
    assert found == [
        Period(at(2026, 12, 1, 21), at(2026, 12, 2, 2), True),
        Period(at(2026, 12, 2, 8), at(2026, 12, 2, 10), True),
    ]


def test_only_periods_ending_after_the_moment_are_given():
    days = [day(date(2026, 12, 1), (240, 480), (600, 720), (1200, 1260))]
    assert periods(days, KYIV, at(2026, 12, 1, 12)) == [
        Period(at(2026, 12, 1, 20), at(2026, 12, 1, 21), False)
    ]
    # a period running now is still given (the IVR says when it ends)
    assert periods(days, KYIV, at(2026, 12, 1, 11))[0].start == at(2026, 12, 1, 10)


def test_suspended_days_and_days_without_outages_give_no_periods():
    days = [
        day(date(2026, 12, 1), (0, 60), status=DayStatus.SUSPENDED),
        day(date(2026, 12, 2), status=DayStatus.NO_OUTAGES),
    ]
    assert periods(days, KYIV, at(2026, 11, 30)) == []


def test_days_given_out_of_order_are_sorted():
    days = [day(date(2026, 12, 2), (0, 60)), day(date(2026, 12, 1), (1380, 1440))]
    assert periods(days, KYIV, at(2026, 12, 1)) == [
        Period(at(2026, 12, 1, 23), at(2026, 12, 2, 1), False)
    ]


def test_periods_of_two_groups_at_once_are_refused():
    with pytest.raises(ValueError, match="one group at a time"):
        periods([day(date(2026, 12, 1)), day(date(2026, 12, 1), group="3.2")], KYIV, UPDATED)


def test_spring_day_of_23_hours_minutes_are_wall_clock():
    """2026-03-29 in Kyiv: 03:00 becomes 04:00. 02:00-05:00 on the clock lasts two hours."""
    spring = date(2026, 3, 29)
    (found,) = periods([day(spring, (120, 300))], KYIV, at(2026, 3, 28))
    assert found.start.isoformat() == "2026-03-29T02:00:00+02:00"
    assert found.end.isoformat() == "2026-03-29T05:00:00+03:00"
    assert found.end - found.start == (at(2026, 3, 29, 5) - at(2026, 3, 29, 2))
    assert (found.end.astimezone(UTC) - found.start.astimezone(UTC)).total_seconds() == 7200


def test_a_skipped_wall_time_is_the_moment_of_the_change():
    moment = local_moment(date(2026, 3, 29), 210, KYIV)  # 03:30 never shows
    assert moment.isoformat() == "2026-03-29T04:00:00+03:00"


def test_autumn_day_of_25_hours_the_repeated_hour_is_never_shortened():
    """2026-10-25 in Kyiv: 04:00 becomes 03:00; 03:00-04:00 on the clock passes twice."""
    autumn = date(2026, 10, 25)
    (found,) = periods([day(autumn, (180, 240))], KYIV, at(2026, 10, 24))
    assert found.start.isoformat() == "2026-10-25T03:00:00+03:00"
    assert found.end.isoformat() == "2026-10-25T04:00:00+02:00"
    assert (found.end.astimezone(UTC) - found.start.astimezone(UTC)).total_seconds() == 7200


def test_midnight_merge_across_a_summer_time_change():
    days = [day(date(2026, 3, 28), (1380, 1440)), day(date(2026, 3, 29), (0, 300))]
    (found,) = periods(days, KYIV, at(2026, 3, 28))
    assert found.start.isoformat() == "2026-03-28T23:00:00+02:00"
    assert found.end.isoformat() == "2026-03-29T05:00:00+03:00"


def test_the_next_midnight_is_minute_1440():
    assert local_moment(date(2026, 12, 31), 1440, KYIV, end=True) == at(2027, 1, 1)
