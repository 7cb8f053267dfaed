"""Our own outage CSV and JSON: every field, and every bad input with its line or path."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.outages.batch import Origin
from ivr.outages.model import Area, OutageKind, OutageStatus
from ivr.outages.ours import parse_csv, parse_json
from ivr.outages.problems import BadData

KYIV = ZoneInfo("Europe/Kyiv")
HEADER = "id,kind,settlement,streets,houses,feeder,groups,start,restoration,status,note\n"


def csv_problems(text: str, **options) -> list[str]:
    with pytest.raises(BadData) as caught:
        parse_csv(text, Origin("outages.csv", "csv", **options))
    return [str(p) for p in caught.value.problems]


def json_problems(document, **options) -> list[str]:
    with pytest.raises(BadData) as caught:
        parse_json(json.dumps(document), Origin("outages.json", "disp", **options))
    return [str(p) for p in caught.value.problems]


def test_a_csv_outage():
    text = HEADER + (
        "A-1,emergency,Вишневе,вул. Садова,12-А;14,Ф-12,3.1;3.2,2026-12-01 07:55,"
        "01.12.2026 12:00,,Пошкодження лінії\n"
    )
    (outage,) = parse_csv(text, Origin("outages.csv", "csv")).outages
    assert outage.id == "A-1" and outage.kind is OutageKind.EMERGENCY
    assert outage.area == Area("Вишневе", ("вул. Садова",), ("12-А", "14"), "Ф-12", ("3.1", "3.2"))
    assert outage.start == datetime(2026, 12, 1, 7, 55, tzinfo=KYIV)
    assert outage.restoration == datetime(2026, 12, 1, 12, 0, tzinfo=KYIV)
    assert outage.status is OutageStatus.ACTIVE and outage.note == "Пошкодження лінії"
    assert outage.source == "csv"


def test_excel_csv_with_semicolons_and_a_bom():
    text = "\ufeffid;kind;settlement;streets;start;revised_at;restoration\n"
    text += "P-7;planned;Зоряне;Лісова,Польова;2026-12-03T09:00+02:00;"
    text += "2026-12-01T10:00+02:00;2026-12-03T17:00+02:00\n"
    (outage,) = parse_csv(text, Origin("outages.csv", "csv")).outages
    assert outage.area.streets == ("Лісова", "Польова")
    assert outage.restorations[0].revised_at == datetime(2026, 12, 1, 10, tzinfo=KYIV)
    assert outage.area.feeder is None and outage.area.groups == ()


def test_csv_header_problems():
    assert csv_problems("id,kind,town,start\n") == [
        "outages.csv:1: unknown column(s) town (the columns: id, kind, settlement, streets, "
        "houses, feeder, groups, start, restoration, status, note, revised_at)",
        "outages.csv:1: missing column(s) settlement",
    ]


def test_every_csv_row_problem_names_its_line():
    text = HEADER + "\n".join(
        [
            "A-1,emergency,Вишневе,,,,,2026-12-01 07:55,2026-12-01 07:00,,",
            "A-2,storm,Вишневе,,,,,2026-12-01 07:55,,,",
            "A-3,emergency,Вишневе,,,,,1 грудня,,,",
            "A-4,emergency,Вишневе,,,,,2026-12-01 07:55,,fixed,",
            "A-5,emergency,Вишневе,,,,3;4.1,2026-12-01 07:55,,,",
            "A-6,emergency,,,,,,,,,",
            "A-7,emergency,Вишневе,Садова;Лісова,5,,,2026-12-01 07:55,,,",
            "A-8,emergency,Вишневе,,,,,2026-12-01 07:55,,,",
            "A-8,emergency,Вишневе,,,,,2026-12-01 08:55,,,",
            "A-9,emergency",
        ]
    )
    assert csv_problems(text, known_groups={"3.1"}) == [
        "outages.csv:2: restoration: 2026-12-01T07:00:00+02:00 is not after the start "
        "2026-12-01T07:55:00+02:00",
        'outages.csv:3: kind: unknown kind "storm" (expected one of emergency, planned)',
        'outages.csv:4: start: "1 грудня" is not a date and time (2026-12-01T07:55+02:00, '
        "2026-12-01 07:55 or 01.12.2026 07:55)",
        'outages.csv:5: status: unknown status "fixed" (expected one of active, restored, '
        "cancelled)",
        'outages.csv:6: groups: group "3" is not a group name like "3.1" (queue.sub-queue)',
        'outages.csv:6: groups: unknown group "4.1" (the configured groups: 3.1)',
        "outages.csv:7: settlement: settlement is required",
        "outages.csv:7: start: start is required",
        "outages.csv:8: houses: houses need exactly one street, not 2",
        'outages.csv:10: id: "A-8" is already the id of line 9',
        "outages.csv:11: 2 fields, the header has 11",
    ]


def test_a_json_outage_with_revised_restoration():
    document = {
        "outages": [
            {
                "id": "E-1",
                "kind": "emergency",
                "settlement": "Вишневе",
                "streets": ["Садова"],
                "start": "2026-12-01T07:55:00+02:00",
                "restoration": [
                    {"at": "2026-12-01T12:00:00+02:00", "revised_at": "2026-12-01T08:10:00+02:00"},
                    {"at": "2026-12-01T15:00:00+02:00", "revised_at": "2026-12-01T11:40:00+02:00"},
                ],
            },
            {
                "id": "E-2",
                "kind": "planned",
                "settlement": "Вишневе",
                "start": "2026-12-02 09:00",
                "restoration": None,
            },
        ]
    }
    first, second = parse_json(json.dumps(document), Origin("outages.json", "disp")).outages
    assert first.restoration == datetime(2026, 12, 1, 15, tzinfo=KYIV)
    assert first.revised_at == datetime(2026, 12, 1, 11, 40, tzinfo=KYIV)
    assert [r.source for r in first.restorations] == ["disp", "disp"]
    assert second.restoration is None and second.kind is OutageKind.PLANNED


def test_json_problems_name_their_paths():
    good = {"id": "E-1", "kind": "emergency", "settlement": "Вишневе", "start": "2026-12-01 07:55"}
    document = {
        "outages": [
            good,
            {**good, "streets": "Садова", "town": "x"},
            {**good, "id": 7},
            {**good, "restoration": [{"at": "2026-12-01 12:00", "when": "x"}]},
            {
                **good,
                "id": "E-3",
                "restoration": [
                    {"at": "2026-12-01 12:00", "revised_at": "2026-12-01 09:00"},
                    {"at": "2026-12-01 13:00", "revised_at": "2026-12-01 08:00"},
                ],
            },
            good,
            "E-9",
        ]
    }
    assert json_problems(document) == [
        "outages.json: $.outages[1]: unknown member(s) town (the members: id, kind, "
        "settlement, streets, houses, feeder, groups, start, restoration, status, note)",
        'outages.json: $.outages[1].streets: expected an array of strings, got "Садова"',
        "outages.json: $.outages[2].id: expected a string, got 7",
        'outages.json: $.outages[3].restoration: revision [0] is not {"at": "...", '
        '"revised_at": "..."} with strings or null',
        "outages.json: $.outages[4].restoration: revisions are not oldest first",
        'outages.json: $.outages[5].id: "E-1" is already the id of $.outages[0]',
        'outages.json: $.outages[6]: expected an object, got "E-9"',
    ]


def test_json_without_outages():
    assert json_problems({"items": []}) == ["outages.json: $: outages is missing"]
