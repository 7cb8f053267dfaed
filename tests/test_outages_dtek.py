"""The DTEK hour-state JSON: what a person reading the file sees, and every bad input."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.outages.batch import Origin
from ivr.outages.dtek import parse_dtek
from ivr.outages.model import DayStatus, OffInterval
from ivr.outages.problems import BadData

DEC1 = "1796076000"  # 2026-12-01 00:00 Kyiv
DEC2 = "1796162400"
KYIV = ZoneInfo("Europe/Kyiv")


def parse(data, update="01.12.2026 09:06", **options):
    document = {"data": data, "update": update, "today": int(DEC1)}
    return parse_dtek(json.dumps(document), Origin("dtek.json", "dtek-kem", **options))


def problems(data, update="01.12.2026 09:06", **options) -> list[str]:
    with pytest.raises(BadData) as caught:
        parse(data, update, **options)
    return [str(p) for p in caught.value.problems]


def test_the_reference_example():
    hours = {
        "1": "yes",
        "2": "yes",
        "5": "no",
        "6": "no",
        "7": "first",
        "13": "second",
        "14": "no",
        "24": "yes",
    }
    (day,) = parse({DEC1: {"GPV3.2": hours}}).days
    assert (day.group, day.day, day.status) == ("3.2", date(2026, 12, 1), DayStatus.IN_FORCE)
    # 04:00-06:30 (hours 5, 6 and the first half of 7), 12:30-14:00 (second half of 13, 14)
    assert day.off == (OffInterval(240, 390), OffInterval(750, 840))
    assert day.updated_at == datetime(2026, 12, 1, 9, 6, tzinfo=KYIV)
    assert day.source == "dtek-kem"


def test_a_no_hour_followed_by_first_is_one_interval():
    (day,) = parse({DEC1: {"GPV1.1": {"3": "no", "4": "first"}}}).days
    assert day.off == (OffInterval(120, 210),)


def test_second_followed_by_no_is_one_interval():
    (day,) = parse({DEC1: {"GPV1.1": {"3": "second", "4": "no", "5": "second"}}}).days
    assert day.off == (OffInterval(150, 240), OffInterval(270, 300))


def test_hours_numbered_from_zero_are_detected():
    (day,) = parse({DEC1: {"GPV1.1": {"0": "no", "23": "second", "5": "yes"}}}).days
    assert day.off == (OffInterval(0, 60), OffInterval(1410, 1440))


def test_a_zero_key_elsewhere_in_the_file_decides_for_every_day():
    days = parse({DEC1: {"GPV1.1": {"0": "yes"}}, DEC2: {"GPV1.1": {"1": "no"}}}).days
    assert days[1].off == (OffInterval(60, 120),)


def test_hour_24_is_the_last_hour():
    (day,) = parse({DEC1: {"GPV1.1": {"24": "no", "1": "first"}}}).days
    assert day.off == (OffInterval(0, 30), OffInterval(1380, 1440))


def test_mixed_numbering_is_an_error():
    assert problems({DEC1: {"GPV1.1": {"0": "no"}, "GPV1.2": {"24": "no"}}}) == [
        'dtek.json: $.data["1796076000"]["GPV1.2"]["24"]: hour "24" with hour "0" at '
        '$.data["1796076000"]["GPV1.1"]["0"]: hours are numbered 1..24 or 0..23, not both'
    ]


def test_possible_outages_are_off_and_make_the_day_provisional():
    (day,) = parse(
        {DEC1: {"GPV2.1": {"1": "maybe", "2": "mfirst", "5": "msecond", "6": "no"}}}
    ).days
    assert day.status is DayStatus.PROVISIONAL
    assert day.off == (OffInterval(0, 90), OffInterval(270, 360))


def test_a_day_with_power_all_day_has_no_outages():
    days = parse({DEC1: {"GPV2.1": {"1": "yes"}, "GPV2.2": {}}}).days
    assert [(d.group, d.status, d.off) for d in days] == [
        ("2.1", DayStatus.NO_OUTAGES, ()),
        ("2.2", DayStatus.NO_OUTAGES, ()),
    ]


def test_update_in_the_other_order():
    (day,) = parse({DEC1: {"GPV1.1": {}}}, update="09:06 01.12.2026").days
    assert day.updated_at == datetime(2026, 12, 1, 9, 6, tzinfo=KYIV)


def test_bad_update():
    assert problems({DEC1: {"GPV1.1": {}}}, update="2026-12-01 09:06") == [
        'dtek.json: $.update: "2026-12-01 09:06" is not DD.MM.YYYY HH:MM or HH:MM DD.MM.YYYY'
    ]


def test_unknown_values_hours_groups_and_days():
    data = {
        DEC1: {"GPV1.1": {"3": "off", "25": "no", "x": "no", "4": 1}, "Q1.1": {}, "GPV9": {}},
        "1796079600": {"GPV1.1": {}},  # 01:00 Kyiv
        "tomorrow": {},
    }
    assert problems(data, known_groups=None) == [
        'dtek.json: $.data["1796076000"]["GPV1.1"]["3"]: unknown hour state "off" (expected '
        "one of yes, no, first, second, maybe, mfirst, msecond)",
        'dtek.json: $.data["1796076000"]["GPV1.1"]["25"]: hour "25" is not one of "1".."24"',
        'dtek.json: $.data["1796076000"]["GPV1.1"].x: hour "x" is not one of "1".."24"',
        'dtek.json: $.data["1796076000"]["GPV1.1"]["4"]: expected a string, got 1',
        'dtek.json: $.data["1796076000"]["Q1.1"]: "Q1.1" is not a group key like "GPV3.2"',
        'dtek.json: $.data["1796076000"].GPV9: group "9" is not a group name like "3.1" '
        "(queue.sub-queue)",
        'dtek.json: $.data["1796079600"]: 1796079600 is not a midnight in Europe/Kyiv '
        "(it is 2026-12-01 01:00+02:00)",
        'dtek.json: $.data.tomorrow: "tomorrow" is not a Unix time',
    ]


def test_known_groups():
    assert problems({DEC1: {"GPV7.1": {}}}, known_groups={"1.1", "1.2"}) == [
        'dtek.json: $.data["1796076000"]["GPV7.1"]: unknown group "7.1" (the configured '
        "groups: 1.1, 1.2)"
    ]


def test_missing_data_and_update():
    with pytest.raises(BadData) as caught:
        parse_dtek("{}", Origin("dtek.json", "s"))
    assert [str(p) for p in caught.value.problems] == [
        "dtek.json: $: data is missing",
        "dtek.json: $: update is missing",
    ]


def test_a_spring_day_is_a_midnight_too():
    (day,) = parse({"1774735200": {"GPV1.1": {"4": "no"}}}, update="29.03.2026 01:00").days
    assert day.day == date(2026, 3, 29)
    assert day.off == (OffInterval(180, 240),)
