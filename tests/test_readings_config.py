"""The ``readings`` section of config.yaml (``meter_reading``): its checks with line numbers,
its defaults, and the reading window's days across months, leap years and the year's end."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from test_config import SHIPPED, SUPPLIER, errors, line_of, make_config

from ivr.actions.meter_reading import MeterReadingAction
from ivr.config import load_config
from ivr.config.model import Readings, ReadingWindow

WINDOW = """  window:                       # the days readings are taken, in company.timezone
    last_days: 2                # the last 2 days of a month
    first_days: 3               # and the first 3 of the next ('window: always': every day)
"""


def test_the_shipped_config_takes_readings_in_the_meters_menu() -> None:
    config = load_config(SHIPPED)
    assert config.readings == Readings(
        window=ReadingWindow(last_days=2, first_days=3),
        max_digits=6,
        max_kwh_per_day=150,
        attempts=3,
    )
    assert config.menus["meters"].options["5"] == MeterReadingAction(topic="D5")


def test_the_supplier_takes_no_readings_and_keeps_the_defaults() -> None:
    config = load_config(SUPPLIER)
    assert config.readings == Readings()
    actions = {type(a) for m in config.menus.values() for a in m.options.values()}
    assert MeterReadingAction not in actions  # readings go to the DSO there


@pytest.mark.parametrize(
    "old, new, needle, message",
    [
        (
            "    last_days: 2 ",
            "    last_days: 40 ",
            "last_days: 40",
            "readings.window.last_days: 40 is out of range: use 0 to 14 days",
        ),
        (
            "    first_days: 3 ",
            "    first_days: three ",
            "first_days: three",
            "readings.window.first_days: expected a whole number of days, got text 'three'",
        ),
        (
            WINDOW,
            "  window: sometimes\n",
            "window: sometimes",
            "readings.window: expected 'always' or a mapping such as "
            "{last_days: 2, first_days: 3}, got text 'sometimes'",
        ),
        (
            WINDOW,
            "  window: {last_days: 0, first_days: 0}\n",
            "window: {last_days: 0",
            "readings.window: the window has no day: give last_days or first_days above 0, "
            "or write 'window: always'",
        ),
        (
            WINDOW,
            "  window: {last_days: 2, first_day: 3}\n",
            "window: {last_days: 2",
            "readings.window.first_day: unknown key 'first_day'; did you mean 'first_days'?",
        ),
        (
            "  max_digits: 6 ",
            "  max_digits: 7 ",
            "max_digits: 7",
            "readings.max_digits: 7 is out of range: use 1 to 6 digits",
        ),
        (
            "  max_kwh_per_day: 150 ",
            "  max_kwh_per_day: lots ",
            "max_kwh_per_day: lots",
            "readings.max_kwh_per_day: expected a whole number of kWh, got text 'lots'",
        ),
        (
            "  attempts: 3                   # entries of one zone",
            "  attempts: 0                   # entries of one zone",
            "attempts: 0",
            "readings.attempts: 0 is out of range: use 1 to 5",
        ),
        (
            "  max_digits: 6 ",
            "  max_digit: 6 ",
            "max_digit: 6",
            "readings.max_digit: unknown key 'max_digit'; did you mean 'max_digits'?",
        ),
    ],
)
def test_readings_settings_are_checked(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    path = make_config(tmp_path, (old, new))
    found = errors(path)
    assert found == [f"{path}:{line_of(path, needle)}: {message}"], found


def test_a_window_of_every_day(tmp_path: Path) -> None:
    path = make_config(tmp_path, (WINDOW, "  window: always\n"))
    window = load_config(path).readings.window
    assert window.always
    assert all(window.contains(date(2026, 12, day)) for day in range(1, 32))


def test_a_meter_reading_option_needs_a_topic(tmp_path: Path) -> None:
    old = '"5": {action: meter_reading, topic: D5}'
    path = make_config(tmp_path, (old, '"5": {action: meter_reading}'))
    found = errors(path)
    line = line_of(path, '"5": {action: meter_reading}')
    assert len(found) == 1 and found[0].startswith(f"{path}:{line}: "), found
    assert "topic" in found[0]


# -- the window's days ------------------------------------------------------------------------

SHIPPED_WINDOW = ReadingWindow(last_days=2, first_days=3)


@pytest.mark.parametrize(
    "day, inside",
    [
        (date(2026, 11, 28), False),
        (date(2026, 11, 29), True),  # the last two days of November
        (date(2026, 11, 30), True),
        (date(2026, 12, 3), True),  # the first three of December
        (date(2026, 12, 4), False),
        (date(2027, 2, 26), False),
        (date(2027, 2, 27), True),  # February's last two
        (date(2028, 2, 27), False),  # a leap year: 28 and 29
        (date(2028, 2, 28), True),
    ],
)
def test_the_window_holds_the_last_and_first_days(day: date, inside: bool) -> None:
    assert SHIPPED_WINDOW.contains(day) is inside


@pytest.mark.parametrize(
    "window, day, opening",
    [
        (SHIPPED_WINDOW, date(2026, 12, 10), (date(2026, 12, 30), date(2027, 1, 3))),
        (SHIPPED_WINDOW, date(2026, 12, 4), (date(2026, 12, 30), date(2027, 1, 3))),
        (SHIPPED_WINDOW, date(2027, 2, 5), (date(2027, 2, 27), date(2027, 3, 3))),
        (SHIPPED_WINDOW, date(2028, 2, 5), (date(2028, 2, 28), date(2028, 3, 3))),
        # only the first days of a month: the next month's
        (
            ReadingWindow(last_days=0, first_days=5),
            date(2026, 12, 10),
            (date(2027, 1, 1), date(2027, 1, 5)),
        ),
        # only the last days of a month: this month's, ending with it
        (
            ReadingWindow(last_days=3, first_days=0),
            date(2026, 11, 10),
            (date(2026, 11, 28), date(2026, 11, 30)),
        ),
        # a window of one day
        (
            ReadingWindow(last_days=1, first_days=0),
            date(2026, 11, 10),
            (date(2026, 11, 30), date(2026, 11, 30)),
        ),
    ],
)
def test_the_next_window_after_a_day_outside(window, day, opening) -> None:
    assert not window.contains(day)
    assert window.next_opening(day) == opening
    first, last = opening
    assert window.contains(first) and window.contains(last)
