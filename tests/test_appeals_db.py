"""The appeals database: appeal numbers, deadlines, migrations, journal, retention."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from test_storage import make_record

from ivr.store.appeals import (
    AppealNumberAllocator,
    format_appeal_number,
    is_valid_appeal_number,
    luhn_digit,
)
from ivr.store.audit import AuditLog, audit_event
from ivr.store.deadlines import DEFAULT_DEADLINE, Deadline, appeal_deadline
from ivr.store.journal import Journal, decode_entry, encode, owner_alive, process_owner
from ivr.store.recorder import DATABASE, JOURNAL, LOST, CallRecorder, JournalRecorder
from ivr.store.records import AppealRecord, CallRecord, Outcome
from ivr.store.repository import CallRepository, StorageError
from ivr.store.retention import RetentionError, cutoff_for

KYIV = ZoneInfo("Europe/Kyiv")


def appeal_for(record, number="26112701000016", topic="D1"):
    return AppealRecord(
        appeal_number=number,
        call_uid=record.call_uid,
        kind="operator",
        channel="phone",
        role="dso",
        topic_code=topic,
        topic_label="Відсутність електропостачання",
        caller_number=record.caller_number,
        caller_raw=record.caller_raw,
        registered_at=record.ended_at,
        due_at=record.ended_at + timedelta(days=30),
    )


# -- appeal numbers ----------------------------------------------------------------------


def test_luhn_reference_values():
    assert luhn_digit("7992739871") == "3"  # the classic Luhn example
    assert is_valid_appeal_number("26112801000012")
    assert not is_valid_appeal_number("26112801000013")
    assert format_appeal_number("26112801000012") == "261128-01-00001-2"


def test_numbers_are_unique_sortable_and_restart_each_day(tmp_path):
    allocator = AppealNumberAllocator(tmp_path, 7, KYIV)
    day1 = datetime(2026, 11, 27, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    day2 = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 00:30 next day in Kyiv
    first = [allocator.next(day1) for _ in range(3)]
    second = allocator.next(day2)
    assert [n[:13] for n in first] == ["2611270700001", "2611270700002", "2611270700003"]
    assert second.startswith("26112807" + "00001")
    assert sorted(first + [second]) == first + [second]
    assert all(is_valid_appeal_number(n) for n in first + [second])
    # a new allocator (a restarted server, another process) continues the sequence
    assert AppealNumberAllocator(tmp_path, 7, KYIV).next(day2)[8:13] == "00002"


def test_two_servers_never_collide(tmp_path):
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    a = AppealNumberAllocator(tmp_path, 1, KYIV)
    b = AppealNumberAllocator(tmp_path, 2, KYIV)
    numbers = {a.next(now) for _ in range(50)} | {b.next(now) for _ in range(50)}
    assert len(numbers) == 100


def test_concurrent_allocation_in_threads(tmp_path):
    allocator = AppealNumberAllocator(tmp_path, 3, KYIV)
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    numbers: list[str] = []

    def take():
        for _ in range(100):
            numbers.append(allocator.next(now))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(numbers)) == 400


def test_deadlines():
    registered = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday

    def due(deadline: Deadline, holidays=()) -> str:
        return appeal_deadline(deadline, registered, KYIV, holidays).astimezone(KYIV).isoformat()

    assert due(DEFAULT_DEADLINE) == "2026-12-27T23:59:59+02:00"
    assert due(Deadline(45)) == "2027-01-11T23:59:59+02:00"
    # bill check: 5 working days from Friday -> the next Friday
    assert due(Deadline(5, working_days=True)) == "2026-12-04T23:59:59+02:00"
    # a holiday on Tuesday and one on Saturday (skipped anyway) -> one working day later
    holidays = {date(2026, 12, 1), date(2026, 12, 5)}
    assert due(Deadline(5, working_days=True), holidays) == "2026-12-07T23:59:59+02:00"
    assert due(Deadline(30), holidays) == "2026-12-27T23:59:59+02:00"  # calendar days


def test_the_day_of_registration_is_the_company_s_day():
    """23:30 UTC on 31 January is 1 February in Kyiv: the term counts from 1 February, and
    the deadline is the end of its last day in Kyiv (summer time there by then)."""
    registered = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    assert appeal_deadline(Deadline(45), registered, KYIV) == datetime(
        2027, 3, 18, 21, 59, 59, tzinfo=UTC
    )
    summer = appeal_deadline(Deadline(60), registered, KYIV)
    assert summer.astimezone(KYIV).isoformat() == "2027-04-02T23:59:59+03:00"


def test_the_shipped_catalogues_carry_the_resolution_375_terms(shipped_config):
    from conftest import SUPPLIER_CONFIG

    from ivr.config import Role, load_config

    for config in (shipped_config, load_config(SUPPLIER_CONFIG)):
        terms = {t.code: str(t.deadline) for topics in config.catalogues.values() for t in topics}
        assert {code: term for code, term in terms.items() if term != "30 days"} == {
            "D2": "45 days",
            "D4": "45 days",
            "D6": "45 days",
            "S3": "5 working days",
            "S7": "5 working days",
        }
        assert config.appeals.holidays == frozenset()
        assert set(config.catalogues) == {Role.DSO, Role.SUPPLIER}


# -- schema and storage, on SQLite and PostgreSQL ----------------------------------------


def test_upgrade_creates_the_schema_and_is_repeatable(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    repo.ensure_schema()
    assert repo.schema_revision() == "0012"
    tables = set(sa.inspect(repo.engine).get_table_names())
    assert {"calls", "appeals", "topics", "alembic_version"} <= tables


def test_an_installed_database_upgrades_in_place_and_keeps_its_calls(db_url):
    """A database of revision 0001 with calls in it: upgrading adds the test flag (false
    for every call already there) and loses nothing."""
    from alembic import command

    from ivr.store.repository import alembic_config

    repo = CallRepository(db_url)
    with repo.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    with repo.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO calls (call_uid, started_at, ended_at, caller_raw, caller_name, "
                "dialled_number, unique_id, channel, transport, role, outcome, path, duration_ms) "
                "VALUES ('old', '2026-11-27 08:30:00', '2026-11-27 08:31:00', '0441234567', '', "
                "'0800000373', '1.1', 'PJSIP/x', 'fastagi', 'dso', 'operator', '[]', 60000)"
            )
        )
    repo.ensure_schema()
    assert repo.schema_revision() == "0012"
    old = repo.get_call("old")
    assert old is not None and old.test is False and old.duration_ms == 60000
    repo.dispose()


def test_call_with_appeal_round_trip(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    record = make_record()
    record.appeals = [appeal_for(record)]
    assert repo.save_call(record) is True
    assert repo.save_call(record) is False  # idempotent: replays never write twice
    stored = repo.get_call(record.call_uid)
    assert stored.appeals == record.appeals
    assert repo.count_appeals() == 1


def test_linked_reports_and_readings_round_trip_and_are_purged(db_url):
    from ivr.store.records import AppealLinkRecord, MeterReadingRecord

    repo = CallRepository(db_url)
    repo.ensure_schema()
    first = make_record()
    appeal = appeal_for(first)
    appeal.kind, appeal.account_number = "outage_report", "1000000001"
    appeal.address, appeal.address_key = "Вишневе, вул. Садова, 12-А", "вишневе|садова|12а"
    appeal.details = {"answer": "1"}
    first.appeals = [appeal]
    first.readings = [
        MeterReadingRecord("1000000001", first.started_at, [1200, 340], "ivr", appeal.appeal_number)
    ]
    second = make_record("b" * 32)
    second.links = [
        AppealLinkRecord(appeal.appeal_number, second.call_uid, "+380501112233", second.ended_at)
    ]
    assert repo.save_call(first) and repo.save_call(second)
    stored, linked = repo.get_call(first.call_uid), repo.get_call(second.call_uid)
    assert stored.appeals == first.appeals and stored.readings == first.readings
    assert linked.links == second.links
    assert CallRecord.from_json(json.loads(json.dumps(first.to_json()))) == first
    assert CallRecord.from_json(json.loads(json.dumps(second.to_json()))) == second
    counts = repo.purge(datetime.now(UTC) + timedelta(days=1))
    assert counts["calls"] == 2 and repo.count_calls() == 0


def test_topic_labels_keep_their_history(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    t1 = datetime(2026, 1, 1, tzinfo=UTC)
    t2 = datetime(2026, 6, 1, tzinfo=UTC)
    assert repo.sync_topics({"dso": [("D1", "Перерви"), ("D2", "Якість")]}, t1) == 2
    assert repo.sync_topics({"dso": [("D1", "Перерви"), ("D2", "Якість")]}, t2) == 0
    assert repo.sync_topics({"dso": [("D1", "Відключення"), ("D2", "Якість")]}, t2) == 1
    assert repo.topic_label("dso", "D1", datetime(2026, 3, 1, tzinfo=UTC)) == "Перерви"
    assert repo.topic_label("dso", "D1", datetime(2026, 7, 1, tzinfo=UTC)) == "Відключення"


def test_purge_deletes_only_older_records(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    now = datetime(2030, 1, 15, tzinfo=UTC)
    old = make_record(
        "o" * 32,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        ended_at=datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
    )
    old.appeals = [appeal_for(old, "26010101000013")]
    young = make_record(
        "y" * 32,
        started_at=datetime(2027, 2, 1, tzinfo=UTC),
        ended_at=datetime(2027, 2, 1, 0, 1, tzinfo=UTC),
    )
    repo.save_call(old)
    repo.save_call(young)
    with Session(repo.engine) as session, session.begin():  # the audit log: as long as appeals
        for at in (old.started_at, young.started_at):
            session.add(audit_event(at, "olena", "outage.status", "dispatcher/A-1", None, None))
    cutoff = cutoff_for("3y", now)
    expected = {"calls": 1, "appeals": 1, "audit_events": 1}
    assert repo.purge(cutoff, dry_run=True) == expected
    assert repo.count_calls() == 2
    assert repo.purge(cutoff) == expected
    assert repo.count_calls() == 1 and repo.count_appeals() == 0
    assert repo.get_call(young.call_uid) is not None
    assert [e.at for e in AuditLog(repo).events()] == [young.started_at]


@pytest.mark.parametrize("period", ["2y", "35m", "1095d", "0d", "1y"])
def test_purge_refuses_less_than_three_years(period):
    with pytest.raises(RetentionError, match="refusing"):
        cutoff_for(period, datetime(2030, 1, 15, tzinfo=UTC))


@pytest.mark.parametrize("period", ["3y", "36m", "1097d", "10y"])
def test_purge_accepts_three_years_or_more(period):
    now = datetime(2030, 1, 15, tzinfo=UTC)
    assert cutoff_for(period, now) <= datetime(2027, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize("period", ["three years", "3", "-3y", ""])
def test_purge_period_must_be_understood(period):
    with pytest.raises(RetentionError, match="not understood"):
        cutoff_for(period, datetime(2030, 1, 15, tzinfo=UTC))


def test_database_that_points_nowhere_fails_at_start():
    from pg import free_port

    repo = CallRepository(f"postgresql+psycopg://ivr@127.0.0.1:{free_port()}/ivr")
    with pytest.raises(StorageError, match="not usable"):
        repo.ensure_schema()


# -- the journal -------------------------------------------------------------------------


def test_journal_replay_is_idempotent(db_url, tmp_path):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    journal = Journal(tmp_path / "j.jsonl")
    records = [make_record(f"{i:032d}") for i in range(5)]
    for r in records:
        journal.append(r)
    repo.save_call(records[0])  # written earlier by someone else
    report = journal.replay(repo.save_call)
    assert (report.replayed, report.already_stored, report.broken) == (4, 1, [])
    assert not journal.pending()
    assert repo.count_calls() == 5
    assert journal.replay(repo.save_call).replayed == 0


def interrupted(uid: str):
    record = make_record(uid, outcome=Outcome.INTERRUPTED, result=None, transfer_to=None)
    record.ended_at = record.started_at
    return record


def test_call_start_of_a_dead_process_is_recorded_interrupted_then_completed(db_url, tmp_path):
    """SIGKILL, a crash, a power cut: the journalled start still puts the call in the legal
    record; if its real end arrives later (a journalled end), it completes the row."""
    repo = CallRepository(db_url)
    repo.ensure_schema()
    journal = Journal(tmp_path / "j.jsonl")
    dead = {"pid": 2**22 + 12345, "since": 1}  # no such process
    running = process_owner()  # this test: alive
    journal.append_start(interrupted("k" * 32), dead)  # killed mid-call
    journal.append_start(interrupted("r" * 32), running)  # still in progress
    journal.append_start(interrupted("e" * 32), dead)  # ended: its end follows
    journal.append(make_record("e" * 32))
    report = journal.replay(repo.save_call, repo.stored_call_uids)
    assert (report.interrupted, report.in_progress, report.replayed) == (1, 1, 1)
    killed = repo.get_call("k" * 32)
    assert killed is not None and killed.outcome is Outcome.INTERRUPTED
    assert killed.caller_number == "+380441234567" and killed.started_at == make_record().started_at
    assert repo.get_call("e" * 32).outcome is Outcome.OPERATOR
    assert repo.get_call("r" * 32) is None  # not yet: the call runs
    assert journal.pending()  # the running call's start is kept

    # the running call ends (its record went to the database), its start is then dropped
    repo.save_call(make_record("r" * 32))
    again = journal.replay(repo.save_call, repo.stored_call_uids)
    assert (again.interrupted, again.in_progress) == (0, 0)
    assert not journal.pending()

    # a journalled end of the killed call (process AGI that lost its socket late) completes it
    late = make_record("k" * 32)
    late.appeals = [appeal_for(late)]
    journal.append(late)
    journal.replay(repo.save_call, repo.stored_call_uids)
    completed = repo.get_call("k" * 32)
    assert completed.outcome is Outcome.OPERATOR and len(completed.appeals) == 1
    assert repo.count_calls() == 3


def test_owner_liveness_tells_a_reused_pid_apart():
    me = process_owner()
    assert owner_alive(me)
    assert not owner_alive({**me, "since": me["since"] + 1})  # same pid, another process
    assert not owner_alive({"pid": 0, "since": 0})


def test_truncated_journal_replays_good_records_and_reports_the_tail(tmp_path):
    repo = CallRepository(f"sqlite:///{tmp_path / 'j.sqlite3'}")
    repo.ensure_schema()
    path = tmp_path / "j.jsonl"
    good = [make_record(f"{i:032d}") for i in range(3)]
    data = b"".join(encode(r) for r in good) + encode(make_record("t" * 32))[:-25]
    path.write_bytes(data)
    journal = Journal(path)
    report = journal.replay(repo.save_call)
    assert report.replayed == 3
    assert len(report.broken) == 1 and "line 4: truncated" in report.broken[0]
    assert repo.count_calls() == 3
    assert journal.broken_path.read_bytes().startswith(encode(make_record("t" * 32))[:40])
    assert not journal.pending()


def test_corrupted_line_in_the_middle_is_quarantined(tmp_path):
    repo = CallRepository(f"sqlite:///{tmp_path / 'j.sqlite3'}")
    repo.ensure_schema()
    lines = [encode(make_record(f"{i:032d}")) for i in range(3)]
    lines[1] = lines[1].replace(b"0441234567", b"0441234568")  # a flipped digit
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"".join(lines))
    report = Journal(path).replay(repo.save_call)
    assert report.replayed == 2
    assert report.broken == ["line 2: checksum mismatch"]


def test_recorder_falls_back_to_the_journal_and_replays(tmp_path):
    url = f"sqlite:///{tmp_path / 'gone' / 'x.sqlite3'}"
    broken = CallRepository(url)
    journal = Journal(tmp_path / "j.jsonl")
    recorder = CallRecorder(broken, journal, retry_after=60)
    assert recorder.record(make_record("a" * 32)) == JOURNAL
    assert recorder.database_down
    assert recorder.record(make_record("b" * 32)) == JOURNAL  # breaker open: no DB attempt
    (tmp_path / "gone").mkdir()
    broken.ensure_schema()
    recorder._down_until = 0
    report = recorder.flush()
    assert report.replayed == 2
    assert broken.count_calls() == 2
    assert recorder.record(make_record("c" * 32)) == DATABASE


def test_journal_recorder_journals_starts_and_ends_and_logs_what_it_cannot(tmp_path, caplog):
    """Process AGI's recorder: the start, then the end, in the journal; a journal it cannot
    write loses nothing silently (the whole record in the log, caller numbers masked)."""
    journal = Journal(tmp_path / "j.jsonl")
    recorder = JournalRecorder(journal)
    recorder.started(interrupted("s" * 32))
    assert recorder.record(make_record("s" * 32)) == JOURNAL
    entries = [decode_entry(line) for line in journal.path.read_bytes().splitlines(True)]
    assert [(r.outcome, owner is None) for r, owner in entries] == [
        (Outcome.INTERRUPTED, False),
        (Outcome.OPERATOR, True),
    ]

    unwritable = JournalRecorder(Journal(tmp_path))  # a directory
    with caplog.at_level(logging.ERROR):
        unwritable.started(interrupted("t" * 32))
        assert unwritable.record(make_record("t" * 32)) == LOST
    assert "call start not journalled" in caplog.text
    assert "CALL RECORD NOT SAVED (journal" in caplog.text and "t" * 32 in caplog.text
    assert "0441234567" not in caplog.text and "*******567" in caplog.text


def test_call_recorder_journals_the_start_when_it_has_a_journal(db_url, tmp_path):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    CallRecorder(repo).started(interrupted("u" * 32))  # no journal: nothing to do
    journal = Journal(tmp_path / "j.jsonl")
    recorder = CallRecorder(repo, journal)
    recorder.started(interrupted("u" * 32))
    [(start, owner)] = [decode_entry(line) for line in journal.path.read_bytes().splitlines(True)]
    assert start.call_uid == "u" * 32 and owner == process_owner()
    assert recorder.record(make_record("u" * 32)) == DATABASE
    report = recorder.flush()  # the call is stored: its start is spent
    assert (report.interrupted, report.in_progress) == (0, 0) and not journal.pending()


def test_postgresql_stopped_during_calls_loses_nothing(config, tmp_path, own_postgres):
    """Calls keep running while PostgreSQL is down; every record arrives after the replay."""
    import dataclasses
    import time

    from ivr.simulator import KeyScript, asterisk_env, parse_keys, simulate_builtin

    server = own_postgres
    cfg = dataclasses.replace(config, database_url=server.url)
    repo = CallRepository(server.url)
    repo.ensure_schema()
    recorder = CallRecorder(repo, Journal(tmp_path / "j.jsonl"), retry_after=0.5)

    def call(keys):
        env = asterisk_env("0671234567", cfg.company.dialled_numbers[0])
        started = time.monotonic()
        transcript = simulate_builtin(cfg, recorder, env, KeyScript(parse_keys(keys)))
        return transcript, time.monotonic() - started

    for keys in ["0", "2 1 h"]:
        call(keys)
    assert repo.count_calls() == 2
    server.stop()
    slowest = 0.0
    for keys in ["0", "1 2 h", "7 1", "", "3 h"]:
        _transcript, seconds = call(keys)
        slowest = max(slowest, seconds)
    assert recorder.counts[JOURNAL] == 5
    assert slowest < 10  # bounded: a refused connection, then the journal
    server.start()
    time.sleep(0.6)  # the breaker lets the database be tried again
    report = recorder.flush()
    assert report.replayed == 5 and report.error is None
    assert repo.count_calls() == 7
    assert repo.count_appeals() == 3  # the three operator transfers got appeal numbers


def test_a_record_the_database_refuses_is_set_aside_with_the_reason(db_url, tmp_path):
    """A duplicate appeal number (two configs on one database with one server_id) never
    loses the record silently nor blocks the journal behind it."""
    repo = CallRepository(db_url)
    repo.ensure_schema()
    journal = Journal(tmp_path / "j.jsonl")
    recorder = CallRecorder(repo, journal)
    first = make_record("1" * 32)
    first.appeals = [appeal_for(first)]
    assert recorder.record(first) == DATABASE
    clash = make_record("2" * 32)
    clash.appeals = [appeal_for(clash)]  # the same appeal number
    assert recorder.record(clash) == "rejected"
    assert "appeal number 26112701000016 is already in the database" in recorder.last_problem
    assert b"2" * 32 in journal.broken_path.read_bytes()  # kept, not lost

    # the same record in the journal (the database was down then) does not block the rest
    journal.append(clash)
    journal.append(make_record("3" * 32))
    report = journal.replay(repo.save_call, repo.stored_call_uids)
    assert report.replayed == 1 and len(report.rejected) == 1 and report.error is None
    assert not journal.pending()
    assert repo.get_call("3" * 32) is not None


def test_journal_lines_of_other_versions_stay_readable(tmp_path):
    """A version-1 line (the bare record, as the first release wrote it, without the fields
    added since), a line with a field this version does not know, and a renamed field: all
    replay; none is quarantined as broken."""
    import json
    import zlib

    from ivr.store.journal import decode_entry
    from ivr.store.records import CallRecord

    def line(values: dict) -> bytes:
        data = json.dumps(values).encode()
        return b"%08x " % zlib.crc32(data) + data + b"\n"

    old = make_record("1" * 32).to_json()
    del old["test"]  # version 1 had no test flag
    newer = {"v": 3, "kind": "end", "call": {**make_record("2" * 32).to_json(), "satisfaction": 5}}
    record, owner = decode_entry(line(old))
    assert record.call_uid == "1" * 32 and record.test is False and owner is None
    record, owner = decode_entry(line(newer))
    assert record.call_uid == "2" * 32 and owner is None

    renamed = make_record("3" * 32).to_json()
    renamed["dialled"] = renamed.pop("dialled_number")
    CallRecord.RENAMED["dialled"] = "dialled_number"
    try:
        assert decode_entry(line(renamed))[0].dialled_number == "0800300100"
    finally:
        del CallRecord.RENAMED["dialled"]

    repo = CallRepository(f"sqlite:///{tmp_path / 'v.sqlite3'}")
    repo.ensure_schema()
    path = tmp_path / "j.jsonl"
    path.write_bytes(line(old) + line(newer))
    report = Journal(path).replay(repo.save_call, repo.stored_call_uids)
    assert report.replayed == 2 and report.broken == []
