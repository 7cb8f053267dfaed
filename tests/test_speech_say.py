"""``ivr say``: an admin checks how the IVR will say a value."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ivr.cli import main


def say(*args: str):
    return CliRunner().invoke(main, ["say", *args])


@pytest.mark.parametrize(
    "args, text",
    [
        (("18:30", "--as", "time"), "о вісімнадцятій тридцять"),
        (("до 18:30", "--as", "time"), "до вісімнадцятої тридцять"),
        (("об 11:05", "--as", "time"), "об одинадцятій нуль п'ять"),
        (("2025-11-27", "--as", "date", "--today", "2025-11-01"), "двадцять сьомого листопада"),
        (("27.11.2025", "--as", "date", "--today", "2025-11-27"), "сьогодні"),
        (("28.11", "--as", "date", "--today", "2025-11-27"), "завтра"),
        (
            ("4,32 грн/кВт·год", "--as", "money"),
            "чотири гривні тридцять дві копійки за кіловат-годину",
        ),
        (("4,32 грн", "--as", "money"), "чотири гривні тридцять дві копійки"),
        (("21000",), "двадцять одна тисяча"),
        (("22", "--noun", "hryvnia"), "двадцять дві гривні"),
        (("1", "--gender", "n"), "одне"),
        (("2 год 15 хв", "--as", "duration"), "дві години п'ятнадцять хвилин"),
        (("2:15", "--as", "duration"), "дві години п'ятнадцять хвилин"),
        (
            ("2611280700425", "--as", "digits"),
            "два шість один, один два вісім, нуль сім нуль, нуль чотири, два п'ять",
        ),
        (
            ("+380441234567", "--as", "phone"),
            "нуль чотири чотири, один два три, чотири п'ять, шість сім",
        ),
    ],
)
def test_say_prints_the_text_and_the_plan(args, text):
    result = say(*args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == text
    fragment_lines = [line.split(None, 1) for line in lines[1:]]
    spoken = " ".join(t for _f, t in fragment_lines if not t.startswith("("))
    assert spoken == text.replace(",", "")
    assert all("/" in f for f, _t in fragment_lines)


def test_say_json():
    result = say("18:30", "--as", "time", "--json")
    data = json.loads(result.output)
    assert data["text"] == "о вісімнадцятій тридцять"
    assert data["fragments"] == [
        {"id": "time/at_18", "text": "о вісімнадцятій"},
        {"id": "digits/30", "text": "тридцять"},
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (("1000000",), "1000000 is out of range: numbers from 0 to 999 999"),
        (("--", "-5"), "out of range"),
        (("25:00", "--as", "time"), "25:00 is not a time of day"),
        (("18-30", "--as", "time"), "is not a time"),
        (("31.02.2025", "--as", "date"), "is not a date: day is out of range for month"),
        (("1999-01-01", "--as", "date", "--today", "2025-01-01"), "year 1999 is out of range"),
        (("1000000,00", "--as", "money"), "out of range"),
        (("4,325", "--as", "money"), "at most two digits"),
        (("12a", "--as", "digits"), "is not a digit string"),
        (("1" * 40, "--as", "digits"), "at most 32 digits"),
        (("2:75", "--as", "duration"), "minutes must be 00 to 59"),
        (("soon", "--as", "duration"), "is not a duration"),
    ],
)
def test_say_rejects_bad_values_clearly(args, message):
    result = say(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
