"""``ivr outages`` as an admin and a dispatcher run it: real processes, a real SQLite file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT

from ivr.store.outages import OutageStore
from ivr.store.repository import CallRepository

SAMPLES = ROOT / "examples" / "sample"
CSV_HEADER = "id,kind,settlement,streets,houses,feeder,groups,start,restoration,status,note"
LIST_HEADER = (
    "SOURCE/ID                KIND      STATUS    START            RESTORATION      REPORTS AREA"
)
REVISED_NOW = re.compile(r" \(revised \d\d\.\d\d\.\d{4} \d\d:\d\d\)$")


def ivr(config: Path, *args: str) -> subprocess.CompletedProcess:
    """``ivr outages ARGS`` on the config copy, run in its directory (the database's)."""
    return subprocess.run(
        [sys.executable, "-m", "ivr", "outages", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=config.parent,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def listed(config: Path, *flags: str) -> list[str]:
    """The rows ``ivr outages list`` prints, without the header and the count."""
    result = ivr(config, "list", *flags)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == LIST_HEADER and lines[-1] == f"{len(lines) - 2} outage(s)"
    return lines[1:-1]


def stored(config: Path) -> OutageStore:
    return OutageStore(CallRepository(f"sqlite:///{config.parent / 'ivr.sqlite3'}"))


# -- imports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "format_", "added", "rows"),
    [
        ("yasno.json", "yasno", 24, 0),  # 12 groups x 2 days, schedule days only
        ("dtek.json", "dtek", 24, 0),
        ("outages.json", "json", 2, 2),
        ("outages.csv", "csv", 2, 2),
    ],
)
def test_a_sample_imports_and_importing_it_again_changes_nothing(
    config_copy: Path, name: str, format_: str, added: int, rows: int
):
    sample = SAMPLES / name
    first = ivr(config_copy, "import", str(sample), "--format", format_)
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"{sample}: {added} added, 0 revised, 0 unchanged\n"
    assert len(listed(config_copy)) == rows

    again = ivr(config_copy, "import", str(sample), "--format", format_)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{sample}: 0 added, 0 revised, {added} unchanged\n"
    assert len(listed(config_copy, "--all")) == rows


def test_the_sample_outages_are_listed_with_their_revision(config_copy: Path):
    sample = SAMPLES / "outages.json"
    assert ivr(config_copy, "import", str(sample), "--format", "json").returncode == 0
    assert listed(config_copy) == [
        "outages.json/AV-2026-1201-01 emergency active    01.12.2026 07:55 01.12.2026 15:30 "
        "      0 "
        "Калинове, вул. Вигадана 1, 3-А, 5; feeder Ф-101; groups 3.1 (revised 01.12.2026 11:40)",
        "outages.json/PL-2026-1203-01 planned   active    03.12.2026 09:00 03.12.2026 17:00 "
        "      0 "
        "Калинове, вул. Уявна",
    ]


def test_the_source_option_names_the_records_source(config_copy: Path):
    sample = SAMPLES / "outages.csv"
    result = ivr(config_copy, "import", str(sample), "--format", "csv", "--source", "dispatch")
    assert result.returncode == 0, result.stderr
    assert [row.split()[0] for row in listed(config_copy)] == [
        "dispatch/AV-2026-1201-02",
        "dispatch/PL-2026-1204-01",
    ]


def refused(config: Path, bad: Path, format_: str, problems: list[str]) -> None:
    """Importing ``bad`` exits 1, names each problem in order and imports nothing."""
    result = ivr(config, "import", str(bad), "--format", format_)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        *problems,
        f"{bad}: {len(problems)} problem(s), nothing imported",
    ]


def test_a_yasno_file_with_unknown_slot_types_is_refused_whole(config_copy: Path, tmp_path: Path):
    schedule = json.loads((SAMPLES / "yasno.json").read_text(encoding="utf-8"))
    schedule["3.1"]["today"]["slots"][1]["type"] = "Maybe"
    schedule["6.2"]["tomorrow"]["slots"][0]["type"] = "Possible"
    bad = tmp_path / "yasno-bad.json"
    bad.write_text(json.dumps(schedule, ensure_ascii=False), encoding="utf-8")

    refused(
        config_copy,
        bad,
        "yasno",
        [
            'yasno-bad.json: $["3.1"].today.slots[1].type: '
            'unknown slot type "Maybe" (expected Definite or NotPlanned)',
            'yasno-bad.json: $["6.2"].tomorrow.slots[0].type: '
            'unknown slot type "Possible" (expected Definite or NotPlanned)',
        ],
    )
    assert listed(config_copy, "--all") == []
    store = stored(config_copy)
    assert store.updated_at() is None  # not one of the file's good schedule days
    assert store.schedule(["1.1", "3.1"], [date(2026, 12, 1), date(2026, 12, 2)]) == []


def test_a_csv_with_a_restoration_before_its_start_is_refused_whole(
    config_copy: Path, tmp_path: Path
):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join(
            [
                CSV_HEADER,
                "AV-1,emergency,Калинове,вул. Мрійна,,Ф-102,3.2,01.12.2026 10:20,"
                "01.12.2026 14:00,active,fine",
                "AV-2,emergency,Калинове,вул. Мрійна,,,,01.12.2026 10:20,"
                "01.12.2026 09:00,active,back before it began",
                "AV-3,planned,Вербівка,,,,,2026-12-04 08:00,2026-12-04 08:00,active,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    refused(
        config_copy,
        bad,
        "csv",
        [
            "bad.csv:3: restoration: 2026-12-01T09:00:00+02:00 is not after the start "
            "2026-12-01T10:20:00+02:00",
            "bad.csv:4: restoration: 2026-12-04T08:00:00+02:00 is not after the start "
            "2026-12-04T08:00:00+02:00",
        ],
    )
    assert listed(config_copy, "--all") == []  # not even AV-1, the good line


def test_malformed_json_is_refused_and_the_stored_outages_stay(config_copy: Path, tmp_path: Path):
    sample = SAMPLES / "outages.json"
    assert ivr(config_copy, "import", str(sample), "--format", "json").returncode == 0
    before = listed(config_copy, "--all")

    bad = tmp_path / "outages.json"
    bad.write_text('{"outages": [{"id": "AV-2026-1201-01", "start": ', encoding="utf-8")
    refused(config_copy, bad, "json", ["outages.json:1: not JSON: Expecting value"])
    assert listed(config_copy, "--all") == before


def test_importing_a_missing_file_or_an_unknown_format_is_a_usage_error(
    config_copy: Path, tmp_path: Path
):
    missing = ivr(config_copy, "import", str(tmp_path / "none.json"), "--format", "json")
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    unknown = ivr(config_copy, "import", str(SAMPLES / "outages.csv"), "--format", "xls")
    assert unknown.returncode == 2
    assert "'xls' is not one of 'csv', 'dtek', 'json', 'yasno'" in unknown.stderr
    assert not (config_copy.parent / "ivr.sqlite3").exists()


# -- the dispatchers' outages ----------------------------------------------------------------


AV7 = (
    "dispatcher/AV-7          emergency {status:<9} 01.12.2026 07:55 {back:<16}       0 "
    "Калинове, вул. Мрійна 1, 3-А; feeder Ф-7; groups 3.1"
)


def add_av7(config: Path) -> None:
    result = ivr(
        config,
        *("add", "AV-7", "--settlement", "Калинове", "--street", "вул. Мрійна"),
        *("--house", "1", "--house", "3-А", "--feeder", "Ф-7", "--group", "3.1"),
        *("--start", "01.12.2026 07:55", "--restoration", "2026-12-01 12:00"),
        *("--note", "кабель"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == AV7.format(status="active", back="01.12.2026 12:00") + "\n"


def test_add_update_and_restore_a_dispatcher_outage(config_copy: Path):
    add_av7(config_copy)
    assert listed(config_copy) == [AV7.format(status="active", back="01.12.2026 12:00")]

    updated = ivr(config_copy, "update", "AV-7", "--restoration", "2026-12-01T15:30+02:00")
    assert updated.returncode == 0, updated.stderr
    [row] = listed(config_copy)
    assert updated.stdout == row + "\n"
    assert row.startswith(AV7.format(status="active", back="01.12.2026 15:30"))
    assert REVISED_NOW.search(row), row  # the new estimate is a revision, given now

    restored = ivr(config_copy, "restore", "AV-7", "--at", "01.12.2026 14:10")
    assert restored.returncode == 0, restored.stderr
    back = AV7.format(status="restored", back="01.12.2026 14:10") + " (revised 01.12.2026 14:10)"
    assert restored.stdout == back + "\n"
    assert listed(config_copy) == []
    assert listed(config_copy, "--all") == [back]

    [outage] = stored(config_copy).list(active_only=False)
    assert [r.at.strftime("%H:%M") for r in outage.restorations] == ["10:00", "13:30", "12:10"]
    assert outage.note == "кабель" and {r.source for r in outage.restorations} == {"dispatcher"}


def test_update_sets_the_note_and_the_status(config_copy: Path):
    add_av7(config_copy)
    result = ivr(
        config_copy, "update", "AV-7", "--note", "бригада на місці", "--status", "cancelled"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == AV7.format(status="cancelled", back="01.12.2026 12:00") + "\n"
    assert listed(config_copy) == []
    [outage] = stored(config_copy).list(active_only=False)
    assert outage.note == "бригада на місці" and outage.revised_at is None


def test_an_outage_added_twice_is_refused(config_copy: Path):
    add_av7(config_copy)
    again = ivr(config_copy, "add", "AV-7", "--settlement", "Вербівка")
    assert again.returncode == 1
    assert again.stderr == 'ivr: outage "AV-7" of dispatcher already exists\n'
    assert listed(config_copy) == [AV7.format(status="active", back="01.12.2026 12:00")]


@pytest.mark.parametrize(
    "args",
    [
        ("update", "AV-8", "--restoration", "2026-12-01 15:30"),
        ("restore", "AV-8"),
        ("update", "AV-7", "--note", "x", "--source", "yasno"),
    ],
)
def test_an_unknown_outage_is_a_clear_error(config_copy: Path, args: tuple[str, ...]):
    add_av7(config_copy)
    result = ivr(config_copy, *args)
    assert result.returncode == 1
    source = "yasno" if "--source" in args else "dispatcher"
    assert result.stderr == f'ivr: no outage "{args[1]}" of {source}\n'
    assert result.stdout == ""
    assert listed(config_copy) == [AV7.format(status="active", back="01.12.2026 12:00")]


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (("add", "AV-9", "--start", "32.12.2026 07:55"), "--start", '"32.12.2026 07:55" is not'),
        (("add", "AV-9", "--restoration", "завтра"), "--restoration", '"завтра" is not'),
        (
            ("add", "AV-9", "--start", "01.12.2026 10:00", "--restoration", "01.12.2026 09:00"),
            "--restoration",
            "must be after the start",
        ),
        (
            ("add", "AV-9", "--street", "вул. А", "--street", "вул. Б", "--house", "1"),
            "--house",
            "houses need exactly one --street",
        ),
        (("add", "AV-9", "--group", "9"), "--group", 'group "9" is not a group name like "3.1"'),
        (("add", " "), "OUTAGE_ID", "must not be empty"),
        (("add", "AV-9", "--settlement", ""), "--settlement", "must not be empty"),
        (("update", "AV-7", "--restoration", "12:00"), "--restoration", '"12:00" is not'),
        (("restore", "AV-7", "--at", "2026-13-01 10:00"), "--at", '"2026-13-01 10:00" is not'),
    ],
)
def test_a_bad_option_is_a_usage_error_and_changes_nothing(
    config_copy: Path, args: tuple[str, ...], option: str, message: str
):
    add_av7(config_copy)
    if args[0] == "add" and "--settlement" not in args:
        args = (*args, "--settlement", "Калинове")
    result = ivr(config_copy, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"Error: Invalid value for {option}: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert listed(config_copy, "--all") == [AV7.format(status="active", back="01.12.2026 12:00")]


@pytest.mark.parametrize(
    "args",
    [
        ("update", "AV-7", "--restoration", "01.12.2026 07:00"),
        ("update", "AV-7", "--restoration", "01.12.2026 07:55"),
        ("restore", "AV-7", "--at", "2026-11-30 23:00"),
    ],
)
def test_a_restoration_not_after_the_start_is_refused(config_copy: Path, args: tuple[str, ...]):
    add_av7(config_copy)
    result = ivr(config_copy, *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == (
        'ivr: outage "AV-7" of dispatcher: the restoration must be after its start\n'
    )
    assert listed(config_copy, "--all") == [AV7.format(status="active", back="01.12.2026 12:00")]


def test_a_restored_outage_can_be_reopened(config_copy: Path):
    """A restore by mistake is undone with --status active (updates are not refused)."""
    add_av7(config_copy)
    assert ivr(config_copy, "restore", "AV-7", "--at", "01.12.2026 09:00").returncode == 0
    reopened = ivr(config_copy, "update", "AV-7", "--status", "active")
    assert reopened.returncode == 0, reopened.stderr
    back = AV7.format(status="active", back="01.12.2026 09:00") + " (revised 01.12.2026 09:00)"
    assert reopened.stdout == back + "\n"
    assert listed(config_copy) == [back]


def test_the_list_counts_the_callers_reports_on_the_outage(config_copy: Path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from appeal_support import appeal
    from test_storage import make_record

    from ivr.accounts.addresses import address_keys
    from ivr.accounts.model import Address
    from ivr.store.records import AppealLinkRecord

    add_av7(config_copy)
    repository = CallRepository(f"sqlite:///{config_copy.parent / 'ivr.sqlite3'}")
    at = datetime(2026, 12, 1, 7, 30, tzinfo=ZoneInfo("Europe/Kyiv"))  # before its start
    house, street = address_keys(Address("Калинове", "Мрійна", "9"))
    first = make_record("a" * 32)
    report = appeal(first, "26120101000012", "outage_report", at)
    report.address_key, report.street_key = house, street
    first.appeals = [report]
    second = make_record("b" * 32)
    second.links = [AppealLinkRecord("26120101000012", second.call_uid, None, at)]
    assert repository.save_call(first) and repository.save_call(second)
    repository.dispose()
    assert listed(config_copy) == [
        AV7.format(status="active", back="01.12.2026 12:00").replace("       0 ", "       2 ")
    ]
