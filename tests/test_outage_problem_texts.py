"""The outage parsers' problems in Ukrainian (the console): every bad input the parser tests
use, and more, gives a problem the table knows, with no English left but the file's values,
field names, JSON paths and known tokens; an unknown message stays as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_outages_dtek import DEC1
from test_outages_ours import HEADER
from test_outages_yasno import day, group, slot

from ivr.outages.batch import Origin
from ivr.outages.formats import PARSERS, read_file
from ivr.outages.problem_texts import MESSAGES, ukrainian, ukrainian_place
from ivr.outages.problems import BadData, Problem

#: English a Ukrainian problem may keep outside quotes and JSON paths: formats' names,
#: our files' fields and columns, the Yasno and DTEK files' own members and values.
ALLOWED = frozenset(
    {
        *("IVR", "CSV", "JSON", "UTC", "ISO", "GPV", "Unix", "Europe", "Kyiv"),
        *("null", "true", "false"),
        # our CSV and JSON (ours.CSV_FIELDS) and their values
        *("id", "kind", "settlement", "streets", "houses", "feeder", "groups", "start"),
        *("restoration", "status", "note", "revised_at", "outages", "at"),
        *("emergency", "planned", "active", "restored", "cancelled"),
        # Yasno
        *("updatedOn", "today", "tomorrow", "date", "slots", "end", "type"),
        *("Definite", "NotPlanned", "ScheduleApplies", "WaitingForSchedule"),
        *("EmergencyShutdowns", "NoOutages"),
        # DTEK
        *("data", "update", "yes", "no", "first", "second", "maybe", "mfirst", "msecond"),
    }
)
#: Text after these (a library's or the system's own words) may stay English.
FOREIGN_AFTER = ("не є коректним JSON: ", "не вдалося прочитати файл: ")

GOOD = {"id": "E-1", "kind": "emergency", "settlement": "Вишневе", "start": "2026-12-01 07:55"}
CSV_ROWS = [  # tests/test_outages_ours.py's rows, and a few more
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
    "A-10,planned,Вишневе,,,,,2026-12-01 07:55,після обіду,,",
]

#: (format, file text, known groups): every bad input, each parser's every message.
CASES: list[tuple[str, str, set[str] | None]] = [
    ("csv", "id,kind,town,start\n", None),
    ("csv", HEADER + "\n".join(CSV_ROWS), {"3.1"}),
    (
        "csv",
        HEADER.strip() + ",revised_at\nR-1,planned,Ірпінь,,,,,2026-12-01 07:55,,,,вчора\n",
        None,
    ),
    ("csv", HEADER + "G-1,emergency,Ірпінь,,,,7.7,2026-12-01 07:55,,,\n", set()),
    ("json", "{", None),
    ("json", json.dumps([]), None),
    ("json", json.dumps({"items": []}), None),
    ("json", json.dumps({"outages": {}}), None),
    (
        "json",
        json.dumps(
            {
                "outages": [
                    GOOD,
                    {**GOOD, "streets": "Садова", "town": "x"},
                    {**GOOD, "id": 7},
                    {**GOOD, "id": True, "groups": [1]},
                    {**GOOD, "restoration": [{"at": "2026-12-01 12:00", "when": "x"}]},
                    {
                        **GOOD,
                        "id": "E-3",
                        "restoration": [
                            {"at": "2026-12-01 12:00", "revised_at": "2026-12-01 09:00"},
                            {"at": "2026-12-01 13:00", "revised_at": "2026-12-01 08:00"},
                        ],
                    },
                    {**GOOD, "id": "E-4", "restoration": 5},
                    {**GOOD, "id": "E-5", "restoration": []},
                    {**GOOD, "id": "E-6", "restoration": {"at": "2026-12-01 12:00"}},
                    {**GOOD, "id": "E-7", "kind": None, "status": "fixed"},
                    GOOD,
                    "E-9",
                    None,
                ]
            }
        ),
        None,
    ),
    ("yasno", '{\n"3.1": {,}\n}', None),
    ("yasno", json.dumps([]), None),
    (
        "yasno",
        json.dumps(
            {
                "3.1": group(day([slot(0, 60), slot(60, 120, "Possible")])),
                "3.2": group(day([], status="Maybe")),
                "3.3": group(day([slot(0, 120), slot(60, 180, "NotPlanned")])),
                "3.4": group(day([slot(120, 120), slot(300, 200), slot(1400, 1500)])),
                "3.5": {
                    "today": {
                        "date": "2026-12-01T00:00:00+02:00",
                        "slots": [{"start": "0", "end": 60.5}],
                    }
                },
                "3.6": [],
                "3.7": None,
                "3.8": group(day({}, status=5)),
                "3.9": group(tomorrow=day(["x"])),
                "1.1": group(day([], "2026-12-01T00:00:00+03:00")),
                "1.2": group(day([], "2026-12-01T01:00:00+02:00")),
                "2.1": group(day([], "2026-12-01T00:00:00")),
                "2.2": group(day([], "1 December")),
                "2.3": group(day([]), updated="2026-12-01 07:32"),
                "2.4": {"updatedOn": "2026-12-01T07:32:37+00:00"},
                "2.5": group(day([slot(0, 60)], status="NoOutages")),
                "Черга 3": group(day([])),
            }
        ),
        None,
    ),
    ("yasno", json.dumps({"3.1": group(day([]))}), {"1.1"}),
    ("yasno", json.dumps({"3.1": group(day([]))}), set()),
    ("dtek", "{}", None),
    ("dtek", json.dumps({"data": [], "update": 5}), None),
    (
        "dtek",
        json.dumps(
            {
                "data": {
                    DEC1: {
                        "GPV1.1": {"3": "off", "25": "no", "x": "no", "4": 1},
                        "Q1.1": {},
                        "GPV9": {},
                        "GPV1.2": [],
                    },
                    "1796079600": {"GPV1.1": {}},
                    "tomorrow": {},
                },
                "update": "2026-12-01 09:06",
            }
        ),
        None,
    ),
    (
        "dtek",
        json.dumps(
            {"data": {DEC1: {"GPV1.1": {"0": "no"}, "GPV1.2": {"24": "no"}}}, "update": "x"}
        ),
        None,
    ),
    ("dtek", json.dumps({"data": {DEC1: {"GPV7.1": {}}}, "update": "01.12.2026 09:06"}), {"1.1"}),
]


def _problems(fmt: str, text: str, known: set[str] | None) -> list[Problem]:
    with pytest.raises(BadData) as caught:
        PARSERS[fmt](text, Origin(f"bad.{fmt}", "test", known_groups=known))
    return caught.value.problems


def _file_words(fmt: str, text: str) -> set[str]:
    """The ASCII words of a file's own keys and values."""
    try:
        document: Any = json.loads(text) if fmt != "csv" else text
    except json.JSONDecodeError:
        document = text
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            found.update(re.findall(r"[A-Za-z_]+", value))

    walk(document)
    return found


def english_left(ukrainian_text: str, allowed: set[str] | frozenset[str]) -> list[str]:
    """The runs of 3+ ASCII letters outside quotes and JSON paths not ``allowed``."""
    text = ukrainian_text
    for prefix in FOREIGN_AFTER:
        text = text.split(prefix, 1)[0]
    text = re.sub(r"«[^»]*»", "", text)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", text)
    text = re.sub(r"\$\S*", "", text)
    words = re.findall(r"[A-Za-z_]*[A-Za-z]{3,}[A-Za-z_]*", text)
    return [w for w in words if w not in allowed]


def _all_problems(tmp_path: Path) -> list[tuple[Problem, set[str]]]:
    found = [
        (problem, _file_words(fmt, text))
        for fmt, text, known in CASES
        for problem in _problems(fmt, text, known)
    ]
    unreadable = tmp_path / "cp1251.csv"
    unreadable.write_bytes("Вишневе".encode("cp1251"))
    with pytest.raises(BadData) as caught:
        read_file(unreadable, "csv", Origin("cp1251.csv", "test"))
    found.extend((p, set()) for p in caught.value.problems)
    return found


def test_every_problem_of_every_parser_is_in_ukrainian(tmp_path: Path):
    problems = _all_problems(tmp_path)
    assert len(problems) > 60
    for problem, words in problems:
        text = ukrainian(problem.message)
        assert text != problem.message, f"not translated: {problem}"
        assert english_left(text, ALLOWED | words) == [], f"{problem} -> {text}"
        assert re.search("[а-яіїєґ]", text), text


def test_the_cases_reach_every_row_of_the_table(tmp_path: Path):
    """Each English message the table knows is one the parsers really write (a row no case
    reaches is a message that changed or a case that is missing)."""
    messages = [p.message for p, _ in _all_problems(tmp_path)]
    rests = [m.split(": ", 1)[1] for m in messages if re.match(r"[a-z_]+: ", m)]
    unreached = [
        regex.pattern
        for regex, _ in MESSAGES
        if not any(regex.fullmatch(m) for m in [*messages, *rests])
    ]
    assert unreached == []


@pytest.mark.parametrize(
    ("english", "expected"),
    [
        (
            'kind: unknown kind "storm" (expected one of emergency, planned)',
            "kind: невідомий вид відключення «storm» (можливі: emergency, planned)",
        ),
        ("settlement: settlement is required", "settlement: поле settlement обов’язкове"),
        ("expected an object, got an array", "очікується об’єкт, отримано масив"),
        ('expected a whole number, got "0"', 'очікується ціле число, отримано "0"'),
        ("expected a string, got null", "очікується текстовий рядок, отримано null"),
        ("updatedOn is missing", "немає поля updatedOn"),
        (
            'unknown group "4.1" (the configured groups: none)',
            "невідома черга «4.1» (налаштовані черги: жодної)",
        ),
        (
            'groups: group "Черга 3" is not a group name like "3.1" (queue.sub-queue)',
            "groups: «Черга 3» не є назвою черги на кшталт «3.1» (черга.підчерга)",
        ),
        (
            "not JSON: Expecting property name enclosed in double quotes",
            "не є коректним JSON: Expecting property name enclosed in double quotes",
        ),
        ("2 fields, the header has 11", "у рядку полів: 2, а в заголовку: 11"),
        (
            'id: "A-8" is already the id of line 9',
            "id: «A-8» уже є номером відключення в рядку 9",
        ),
        (
            "slot 60-180 overlaps slot [0] 0-120",
            "проміжок 60-180 перетинається з проміжком [0] 0-120",
        ),
        (
            '"2026-12-01 09:06" is not DD.MM.YYYY HH:MM or HH:MM DD.MM.YYYY',
            "«2026-12-01 09:06» не має вигляду ДД.ММ.РРРР ГГ:ХХ або ГГ:ХХ ДД.ММ.РРРР",
        ),
    ],
)
def test_exact_translations(english: str, expected: str):
    assert ukrainian(english) == expected


@pytest.mark.parametrize(
    "english",
    [
        "something nobody wrote yet",
        "kind: something nobody wrote yet",
        "",
        'unknown kind "storm"',  # a known start, not the whole message
        "{not a format} {0}",
    ],
)
def test_an_unknown_message_stays_as_it_is(english: str):
    assert ukrainian(english) == english


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("feed.csv:7", "feed.csv, рядок 7"),
        ("file: $.x[2].y", "file, місце $.x[2].y"),
        ('yasno.json: $["3.1"].today.slots[2]', 'yasno.json, місце $["3.1"].today.slots[2]'),
        ("dtek.json: $", "dtek.json, місце $"),
        ("cp1251.csv", "cp1251.csv"),
    ],
)
def test_places(where: str, expected: str):
    assert ukrainian_place(where) == expected
