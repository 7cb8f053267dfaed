"""What the IVR says about outages at a caller's address (``ivr.outages.say``), item by item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ivr.accounts.model import Account, Address
from ivr.outages.model import (
    Area,
    DayStatus,
    OffInterval,
    Outage,
    OutageKind,
    OutageStatus,
    Restoration,
    ScheduleDay,
)
from ivr.outages.report import OutageReport
from ivr.outages.say import plan_status
from ivr.speech.grammar import plan_date, plan_number, plan_time

KYIV = ZoneInfo("Europe/Kyiv")
TODAY = date(2026, 12, 1)
TOMORROW = date(2026, 12, 2)
#: 16:00 in Kyiv (UTC+2 in winter).
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
FRESH = NOW - timedelta(minutes=5)
HOUR = timedelta(minutes=30)
ACCOUNT = Account(
    number="2000000001",
    eic=None,
    phones=(),
    address=Address("Демосело", "вул. Вигадана", "12-А"),
    groups=("3.1",),
)


def kyiv(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=KYIV)


def say(report: OutageReport) -> list:
    return plan_status(report, ACCOUNT, NOW, KYIV, HOUR)


def day(which: date, status: DayStatus, *off: tuple[int, int]) -> ScheduleDay:
    intervals = tuple(OffInterval(start, end) for start, end in off)
    return ScheduleDay("3.1", which, status, intervals, "yasno", FRESH)


def test_an_emergency_outage_with_a_revised_restoration_time():
    outage = Outage(
        id="A-17",
        kind=OutageKind.EMERGENCY,
        area=Area("Демосело", streets=("вул. Вигадана",)),
        start=kyiv(TODAY, 7, 55),
        status=OutageStatus.ACTIVE,
        restorations=(
            Restoration(kyiv(TODAY, 12, 0), kyiv(TODAY, 8, 0), "dispatch"),
            Restoration(kyiv(TODAY, 18, 30), kyiv(TODAY, 11, 40), "dispatch"),
        ),
    )
    today = plan_date(TODAY, today=TODAY)
    assert say(OutageReport((outage,), (), FRESH)) == [
        "outage_emergency_here",
        "outage_since",
        today,
        plan_time(7, 55),
        "outage_restore_at",
        today,
        plan_time(18, 30),  # "сьогодні о вісімнадцятій тридцять"
        "outage_revised",
        today,
        plan_time(11, 40),
    ]


def test_an_emergency_outage_comes_before_planned_works_and_schedules():
    planned = Outage(
        "P-1", OutageKind.PLANNED, Area("Демосело"), kyiv(TODAY, 9), OutageStatus.ACTIVE, ()
    )
    emergency = Outage(
        "A-1", OutageKind.EMERGENCY, Area("Демосело"), kyiv(TODAY, 10), OutageStatus.ACTIVE, ()
    )
    schedule = (day(TODAY, DayStatus.IN_FORCE, (1080, 1260)),)
    items = say(OutageReport((planned, emergency), schedule, FRESH))
    assert items[0] == "outage_emergency_here"
    assert items[-1] == "outage_restore_unknown"


def test_the_schedule_across_midnight_and_a_provisional_tomorrow():
    days = (
        day(TODAY, DayStatus.IN_FORCE, (480, 720), (1410, 1440)),  # 08-12 is over at 16:00
        day(TOMORROW, DayStatus.PROVISIONAL, (0, 210), (1080, 1260)),
    )
    assert say(OutageReport((), days, FRESH)) == [
        "schedule_group",
        plan_number(3),
        "schedule_point",
        plan_number(1),
        "schedule_today",
        plan_time(23, 30, "from"),  # "з двадцять третьої тридцять"
        plan_time(3, 30, "until"),  # "до третьої тридцять": one period across midnight
        "schedule_tomorrow_provisional",
        plan_time(18, 0, "from"),
        plan_time(21, 0, "until"),
    ]


def test_a_period_under_way_is_said_as_now():
    days = (day(TODAY, DayStatus.IN_FORCE, (900, 1080)), day(TOMORROW, DayStatus.NO_OUTAGES))
    assert say(OutageReport((), days, FRESH))[4:] == [
        "schedule_today",
        "schedule_now",
        plan_time(18, 0, "until"),
        "schedule_tomorrow_none",
    ]


def test_nothing_left_today_and_no_schedule_for_tomorrow_yet():
    days = (day(TODAY, DayStatus.IN_FORCE, (480, 720)),)
    assert say(OutageReport((), days, FRESH))[4:] == [
        "schedule_today_none",
        "schedule_tomorrow_unknown",
    ]


def test_suspended_schedules_are_said_as_such():
    days = (day(TODAY, DayStatus.SUSPENDED), day(TOMORROW, DayStatus.IN_FORCE, (0, 60)))
    assert say(OutageReport((), days, FRESH)) == ["schedule_suspended"]


def test_no_outage_known_at_the_address():
    assert say(OutageReport((), (), FRESH)) == ["outage_none"]


def test_old_data_is_said_to_be_old_with_its_time():
    old = kyiv(TODAY, 9, 6)
    assert say(OutageReport((), (), old)) == [
        "outage_data_stale",
        "outage_data_age",
        plan_date(TODAY, today=TODAY),
        plan_time(9, 6),
        "outage_none",
    ]
