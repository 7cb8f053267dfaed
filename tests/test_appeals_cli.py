"""``ivr appeals`` as the back office and a dispatcher run it: real processes, a real SQLite
file with the appeals a server stored (``appeal_support``), seen from now."""

from __future__ import annotations

import csv
import io
import json
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from appeal_support import KYIV, World, number, seed
from cli_support import process_env, shipped_config_in, workdir_database

from ivr.store.appeal_queries import AppealFilter, AppealQueries
from ivr.store.appeals import format_appeal_number
from ivr.store.repository import CallRepository


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return shipped_config_in(tmp_path)


@pytest.fixture
def world(workdir: Path) -> World:
    repo = CallRepository(workdir_database(workdir))
    repo.ensure_schema()
    stored = seed(repo, datetime.now(UTC))
    repo.dispose()
    return stored


def ivr(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ivr", "appeals", *args, "--config", "config.yaml"],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
        env=process_env(),
    )


def ok(workdir: Path, *args: str) -> str:
    result = ivr(workdir, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def numbers_listed(workdir: Path, *args: str) -> list[str]:
    """The NUMBER column of ``ivr appeals list ARGS``, checked against its count line."""
    lines = ok(workdir, "list", *args).splitlines()
    assert lines[0].split()[:3] == ["NUMBER", "KIND", "TOPIC"]
    assert lines[-1].startswith(f"{len(lines) - 2} appeal(s), ")
    return [line.split()[0] for line in lines[1:-1]]


def stored_history(workdir: Path, number: str) -> tuple[str, list[str]]:
    repo = CallRepository(workdir_database(workdir))
    detail = AppealQueries(repo).get(number)
    repo.dispose()
    assert detail is not None
    return detail.view.record.status, [e.status for e in detail.events]


def shown(number: str) -> str:
    return format_appeal_number(number)


# -- list -----------------------------------------------------------------------------------


def test_list_filters_the_appeals_and_names_the_overdue_ones(workdir: Path, world: World):
    everything = numbers_listed(workdir)
    assert everything == [shown(n) for n in world.real]
    overdue = ok(workdir, "list", "--overdue").splitlines()
    assert overdue[-1] == "1 appeal(s), 1 overdue"
    assert overdue[1].split()[0] == shown(world.overdue) and overdue[1].split()[-1] == "30"
    assert numbers_listed(workdir, "--overdue", "--include-test") == [
        shown(world.overdue),
        shown(world.test),
    ]
    assert numbers_listed(workdir, "--kind", "meter_reading") == [shown(world.meter)]
    assert numbers_listed(workdir, "--topic", "D5", "--status", "registered") == [
        shown(world.meter)
    ]


def test_list_by_dates_and_in_csv_and_json(workdir: Path, world: World):
    repo = CallRepository(workdir_database(workdir))
    days = {
        view.record.appeal_number: view.record.registered_at.astimezone(KYIV).date()
        for view in AppealQueries(repo).find(AppealFilter())
    }
    repo.dispose()
    day = days[world.sadova]
    on_that_day = [shown(n) for n, registered in days.items() if registered == day]
    assert shown(world.sadova) in on_that_day and shown(world.overdue) not in on_that_day
    assert numbers_listed(workdir, "--since", str(day), "--until", str(day)) == on_that_day
    assert numbers_listed(workdir, "--until", str(day))[-len(on_that_day) :] == on_that_day
    listed = ok(workdir, "list", "--since", str(day), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listed)))
    assert [r["number"] for r in rows][: len(on_that_day)] == on_that_day
    sadova = rows[on_that_day.index(shown(world.sadova))]
    assert sadova["reports"] == "3" and sadova["days_overdue"] == ""
    assert sadova["registered"].startswith(f"{day}T")  # ISO 8601, company time
    data = json.loads(ok(workdir, "list", "--overdue", "--format", "json"))
    assert [(d["number"], d["days_overdue"]) for d in data] == [(shown(world.overdue), 30)]
    assert "caller" not in listed.splitlines()[0]  # the list has no personal data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "2026-13-01"), "Invalid value for --since: '2026-13-01' is not a date"),
        (("--until", "1 Dec"), "Invalid value for --until: '1 Dec' is not a date"),
        (
            ("--since", "2026-12-02", "--until", "2026-12-01"),
            "--since 2026-12-02 is after --until 2026-12-01",
        ),
        (("--status", "done"), "Invalid value for '--status': 'done' is not one of"),
        (("--kind", "letter"), "Invalid value for '--kind': 'letter' is not one of"),
        (("--format", "xml"), "Invalid value for '--format'"),
    ],
)
def test_bad_filters_are_usage_errors(workdir: Path, world: World, args, message):
    result = ivr(workdir, "list", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_an_unknown_topic_is_noted_and_finds_nothing(workdir: Path, world: World):
    result = ivr(workdir, "list", "--topic", "S3")
    assert result.returncode == 0
    assert "note: topic 'S3' is not in the dso catalogue of the config" in result.stderr
    assert result.stdout.splitlines()[-1] == "0 appeal(s), 0 overdue"


# -- show -----------------------------------------------------------------------------------


def test_show_tells_an_appeal_s_whole_story(workdir: Path, world: World):
    text = ok(workdir, "show", shown(world.sadova))
    assert f"appeal      {shown(world.sadova)} ({world.sadova})" in text
    assert "topic       D1 Відсутність електропостачання" in text
    assert "account     2010000001" in text and "address     Вишневе, вул. Садова, 12-А" in text
    assert 'details     {"answer": "1"}' in text
    assert "reports     3 (this one and 2 linked)" in text
    assert text.count("+38050000000") == 2  # the linked reports' callers
    assert ok(workdir, "show", world.sadova) == text  # the digits alone work as well
    meter = ok(workdir, "show", world.meter)
    assert "1200, 340 kWh (ivr)" in meter and "reports" not in meter
    assert "(overdue by 30 days)" in ok(workdir, "show", world.overdue)


def test_show_refuses_a_mistyped_and_an_unknown_number(workdir: Path, world: World):
    wrong_check = world.sadova[:-1] + str((int(world.sadova[-1]) + 1) % 10)
    result = ivr(workdir, "show", wrong_check)
    assert result.returncode == 2
    assert "its check digit (the last) does not match" in result.stderr
    result = ivr(workdir, "show", "261201-01")
    assert result.returncode == 2 and "8 digits, expected 14" in result.stderr
    unknown = number(world.sadova[:6], 99999)
    result = ivr(workdir, "show", unknown)
    assert result.returncode == 1
    assert f"ivr: no appeal {shown(unknown)} in the database" in result.stderr


# -- status changes -------------------------------------------------------------------------


def test_status_and_close_move_an_appeal_forward(workdir: Path, world: World):
    out = ok(workdir, "status", shown(world.sadova), "in_progress", "--by", "Петренко О.")
    assert out.startswith(f"{shown(world.sadova)}: in_progress (by Петренко О., ")
    ok(workdir, "status", world.sadova, "answered", "--by", "Петренко О.", "--note", "відновлено")
    ok(workdir, "close", world.sadova, "--by", "Коваль І.")
    assert stored_history(workdir, world.sadova) == (
        "closed",
        ["in_progress", "answered", "closed"],
    )
    story = ok(workdir, "show", world.sadova)
    assert "answered    by Петренко О.: відновлено" in story and "closed      by Коваль І." in story

    result = ivr(workdir, "status", world.sadova, "in_progress", "--by", "Петренко О.")
    assert result.returncode == 1
    assert "is closed; it cannot go back to in_progress" in result.stderr
    assert stored_history(workdir, world.sadova)[1] == ["in_progress", "answered", "closed"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("status", "{n}", "closed", "--by", "X"), 2, "'closed' is not one of 'in_progress'"),
        (("status", "{n}", "done", "--by", "X"), 2, "'done' is not one of"),
        (("status", "{n}", "answered"), 2, "Missing option '--by'"),
        (("status", "{n}", "answered", "--by", " "), 1, "must not be empty"),
        (("close", "{n}", "--by", "X"), 1, "was never answered: closing it needs a note"),
        (("close", "{n}9", "--by", "X"), 2, "15 digits, expected 14"),
    ],
)
def test_a_bad_status_change_is_refused_and_changes_nothing(
    workdir: Path, world: World, args, code, message
):
    result = ivr(workdir, *(a.replace("{n}", world.lisova) for a in args))
    assert result.returncode == code and message in result.stderr, result.stderr
    assert stored_history(workdir, world.lisova) == ("registered", [])


def test_closing_an_unanswered_appeal_with_a_note(workdir: Path, world: World):
    ok(workdir, "close", world.meter, "--by", "Коваль І.", "--note", "абонент відкликав")
    assert stored_history(workdir, world.meter) == ("closed", ["closed"])
    assert numbers_listed(workdir, "--status", "closed") == [shown(world.meter)]


# -- export ---------------------------------------------------------------------------------


def test_export_has_every_column_for_the_crm(workdir: Path, world: World):
    ok(workdir, "status", world.overdue, "answered", "--by", "Петренко О.")
    result = ivr(workdir, "export", "--format", "csv", "-o", "appeals.csv")
    assert result.returncode == 0 and "6 appeal(s) written to appeals.csv" in result.stderr
    path = workdir / "appeals.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: the owner only
    rows = {r["appeal_number"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert list(rows) == world.real
    sadova = rows[world.sadova]
    assert sadova["topic_label"] == "Відсутність електропостачання"
    assert (sadova["status"], sadova["links"], sadova["reports"]) == ("registered", "2", "3")
    assert sadova["account_number"] == "2010000001"
    assert sadova["address"] == "Вишневе, вул. Садова, 12-А"
    assert json.loads(sadova["details"]) == {"answer": "1"}
    assert sadova["caller_number"] == "+380441234567" and sadova["due_at"] > sadova["registered_at"]
    late = rows[world.overdue]
    assert (late["status"], late["answered_late"], late["days_overdue"]) == ("answered", "true", "")

    data = json.loads(ok(workdir, "export", "--format", "json", "--include-test", "--overdue"))
    assert [(d["appeal_number"], d["test"], d["days_overdue"]) for d in data] == [
        (world.test, True, 30)
    ]


def test_export_needs_its_format_and_a_writable_place(workdir: Path, world: World):
    result = ivr(workdir, "export")
    assert result.returncode == 2 and "Missing option '--format'" in result.stderr
    result = ivr(workdir, "export", "--format", "csv", "-o", "missing/appeals.csv")
    assert result.returncode == 1
    assert "ivr: cannot write missing/appeals.csv: No such file or directory" in result.stderr
    assert not list(workdir.glob("**/.appeals.csv.*"))  # no temporary file left


# -- the dispatcher's reports ---------------------------------------------------------------


def test_reports_per_street_most_first(workdir: Path, world: World):
    lines = ok(workdir, "reports").splitlines()
    assert lines[0].split() == ["REPORTS", "HOUSES", "FIRST", "LAST", "STREET"]
    assert [line.split()[:2] + [line.split("  ")[-1]] for line in lines[1:3]] == [
        ["5", "2", "Вишневе, вул. Садова"],
        ["1", "1", "Вишневе, вул. Лісова"],
    ]
    assert lines[-1] == "6 report(s) from 2 street(s) in the last 24 h"
    recent = json.loads(ok(workdir, "reports", "--hours", "1", "--format", "json"))
    assert recent == []
    result = ivr(workdir, "reports", "--hours", "0")
    assert result.returncode == 2 and "0 is not in the range 1<=x<=744" in result.stderr


# -- the database -----------------------------------------------------------------------------


def test_without_the_server_s_database_nothing_is_created(workdir: Path):
    result = ivr(workdir, "list")
    assert result.returncode == 2 and "does not exist here" in result.stderr
    assert not (workdir / "ivr.sqlite3").exists()


def test_a_database_of_an_older_ivr_must_be_upgraded_first(workdir: Path):
    from alembic import command

    from ivr.store.repository import alembic_config

    repo = CallRepository(workdir_database(workdir))
    with repo.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0007")
    repo.dispose()
    result = ivr(workdir, "reports")
    assert result.returncode == 2
    assert "schema revision 0007, this ivr needs 0012: run 'ivr db upgrade'" in result.stderr
