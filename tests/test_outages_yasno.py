"""The Yasno planned-outages JSON: what a person reading the file sees, and every bad input."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from ivr.outages.batch import Origin
from ivr.outages.model import DayStatus, OffInterval
from ivr.outages.problems import BadData
from ivr.outages.yasno import parse_yasno


def group(today=None, tomorrow=None, updated="2026-12-01T07:32:37+00:00") -> dict:
    entry: dict = {"updatedOn": updated}
    if today is not None:
        entry["today"] = today
    if tomorrow is not None:
        entry["tomorrow"] = tomorrow
    return entry


def day(slots, date_="2026-12-01T00:00:00+02:00", status="ScheduleApplies") -> dict:
    return {"date": date_, "status": status, "slots": slots}


def slot(start, end, kind="Definite") -> dict:
    return {"start": start, "end": end, "type": kind}


def parse(document, **options):
    return parse_yasno(json.dumps(document), Origin("yasno.json", "yasno-kyiv", **options))


def problems(document, **options) -> list[str]:
    with pytest.raises(BadData) as caught:
        parse(document, **options)
    return [str(p) for p in caught.value.problems]


def test_the_reference_example():
    document = {
        "3.1": group(
            day([slot(0, 240, "NotPlanned"), slot(240, 480), slot(480, 1440, "NotPlanned")]),
            day([slot(1260, 1440)], "2026-12-02T00:00:00+02:00", "WaitingForSchedule"),
        )
    }
    today, tomorrow = parse(document).days
    assert (today.group, today.day, today.status) == ("3.1", date(2026, 12, 1), DayStatus.IN_FORCE)
    assert today.off == (OffInterval(240, 480),)
    assert today.source == "yasno-kyiv"
    assert today.updated_at == datetime(2026, 12, 1, 7, 32, 37, tzinfo=UTC)
    assert (tomorrow.day, tomorrow.status) == (date(2026, 12, 2), DayStatus.PROVISIONAL)
    assert tomorrow.off == (OffInterval(1260, 1440),)


def test_adjacent_definite_slots_are_merged():
    (today,) = parse({"1.1": group(day([slot(240, 300), slot(300, 480), slot(600, 660)]))}).days
    assert today.off == (OffInterval(240, 480), OffInterval(600, 660))


def test_statuses():
    document = {
        "1.1": group(day([], status="EmergencyShutdowns")),
        "1.2": group(day([], status="NoOutages")),
    }
    assert [d.status for d in parse(document).days] == [DayStatus.SUSPENDED, DayStatus.NO_OUTAGES]


def test_summer_offset_is_accepted_in_summer():
    (today,) = parse({"1.1": group(day([slot(0, 60)], "2026-07-01T00:00:00+03:00"))}).days
    assert today.day == date(2026, 7, 1)


def test_unknown_slot_type_is_an_error_not_a_guess():
    assert problems({"3.1": group(day([slot(0, 60), slot(60, 120, "Possible")]))}) == [
        'yasno.json: $["3.1"].today.slots[1].type: unknown slot type "Possible" '
        "(expected Definite or NotPlanned)"
    ]


def test_unknown_status():
    assert problems({"3.1": group(day([], status="Maybe"))}) == [
        'yasno.json: $["3.1"].today.status: unknown status "Maybe" (expected one of '
        "ScheduleApplies, WaitingForSchedule, EmergencyShutdowns, NoOutages)"
    ]


def test_overlapping_slots():
    assert problems({"3.1": group(day([slot(0, 120), slot(60, 180, "NotPlanned")]))}) == [
        'yasno.json: $["3.1"].today.slots[1]: slot 60-180 overlaps slot [0] 0-120'
    ]


def test_start_not_before_end_and_outside_the_day():
    assert problems(
        {"3.1": group(day([slot(120, 120), slot(300, 200), slot(1400, 1500), slot(-30, 0)]))}
    ) == [
        'yasno.json: $["3.1"].today.slots[0]: slot starts at 120, not before its end 120',
        'yasno.json: $["3.1"].today.slots[1]: slot starts at 300, not before its end 200',
        'yasno.json: $["3.1"].today.slots[2]: slot 1400-1500 is outside the day (0..1440)',
        'yasno.json: $["3.1"].today.slots[3]: slot -30-0 is outside the day (0..1440)',
    ]


def test_wrong_types_and_missing_members():
    document = {
        "3.1": {
            "today": {"date": "2026-12-01T00:00:00+02:00", "slots": [{"start": "0", "end": 60.5}]}
        },
        "3.2": [],
    }
    assert problems(document) == [
        'yasno.json: $["3.1"]: updatedOn is missing',
        'yasno.json: $["3.1"].today: status is missing',
        'yasno.json: $["3.1"].today.slots[0].start: expected a whole number, got "0"',
        'yasno.json: $["3.1"].today.slots[0].end: expected a whole number, got 60.5',
        'yasno.json: $["3.1"].today.slots[0]: type is missing',
        'yasno.json: $["3.2"]: expected an object, got an array',
    ]


def test_dates_must_be_local_midnights_with_the_zone_offset():
    document = {
        "1.1": group(day([], "2026-12-01T00:00:00+03:00")),  # summer offset in winter
        "1.2": group(day([], "2026-12-01T01:00:00+02:00")),
        "2.1": group(day([], "2026-12-01T00:00:00")),
        "2.2": group(day([], "1 December")),
    }
    assert problems(document) == [
        'yasno.json: $["1.1"].today.date: "2026-12-01T00:00:00+03:00": the offset is not '
        "Europe/Kyiv's on 2026-12-01 (+02:00)",
        'yasno.json: $["1.2"].today.date: "2026-12-01T01:00:00+02:00" is not a midnight '
        "(expected 00:00:00)",
        'yasno.json: $["2.1"].today.date: "2026-12-01T00:00:00" has no UTC offset (such as +02:00)',
        'yasno.json: $["2.2"].today.date: "1 December" is not an ISO 8601 date and time',
    ]


def test_updated_on_needs_an_offset():
    assert problems({"1.1": group(day([]), updated="2026-12-01 07:32")}) == [
        'yasno.json: $["1.1"].updatedOn: "2026-12-01 07:32" has no UTC offset (such as +02:00)'
    ]


def test_group_names():
    document = {"Черга 3": group(day([])), "3.1": group(day([]))}
    assert problems(document, known_groups={"1.1"}) == [
        'yasno.json: $["Черга 3"]: group "Черга 3" is not a group name like "3.1" '
        "(queue.sub-queue)",
        'yasno.json: $["3.1"]: unknown group "3.1" (the configured groups: 1.1)',
    ]


def test_a_group_without_days_and_a_definite_slot_on_a_day_without_outages():
    document = {
        "1.1": {"updatedOn": "2026-12-01T07:32:37+00:00"},
        "1.2": group(day([slot(0, 60)], status="NoOutages")),
    }
    assert problems(document) == [
        'yasno.json: $["1.1"]: neither today nor tomorrow is given',
        'yasno.json: $["1.2"].today.slots[0].type: a Definite slot on a day of status NoOutages',
    ]


def test_not_json_names_the_line():
    with pytest.raises(BadData) as caught:
        parse_yasno('{\n"3.1": {,}\n}', Origin("yasno.json", "s"))
    assert [str(p) for p in caught.value.problems] == [
        "yasno.json:2: not JSON: Expecting property name enclosed in double quotes"
    ]


def test_not_an_object():
    assert problems([]) == ["yasno.json: $: expected an object, got an array"]
