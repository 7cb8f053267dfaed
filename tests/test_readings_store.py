"""Meter readings in the database (``ivr.store.readings``, the ``LastReading`` look-up) on
SQLite and PostgreSQL: the latest reading of an account, test calls apart, the sample's
readings loaded again without doubling, and a reading passed in a call stored with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_storage import make_record

from ivr.cli.sample import READINGS_FILE, SAMPLE_DIR, sample_readings, seed_sample
from ivr.store.lookups import Lookups
from ivr.store.readings import ReadingStore
from ivr.store.records import MeterReadingRecord
from ivr.store.repository import CallRepository

AT = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
ACCOUNT = "2010000003"


def reading(values: list[int], at: datetime, source: str = "billing") -> MeterReadingRecord:
    return MeterReadingRecord(ACCOUNT, at, values, source)


def repository(db_url: str) -> CallRepository:
    repo = CallRepository(db_url)
    repo.ensure_schema()
    return repo


def test_the_latest_reading_by_its_time_not_by_when_it_was_stored(db_url):
    repo = repository(db_url)
    try:
        store = ReadingStore(repo)
        assert store.last(ACCOUNT) is None
        newer, older = reading([4390, 1950], AT), reading([4210, 1870], AT - timedelta(days=30))
        store.replace_source("billing", [newer, older])
        assert store.last(ACCOUNT) == newer
        assert store.last("2010000999") is None
        assert store.last(ACCOUNT).read_at.tzinfo is not None
    finally:
        repo.dispose()


def test_a_reading_passed_in_a_call_is_the_next_previous_one_test_calls_apart(db_url):
    repo = repository(db_url)
    try:
        store = ReadingStore(repo)
        store.replace_source("billing", [reading([4210, 1870], AT - timedelta(days=30))])
        real = make_record("r" * 32)
        real.readings = [MeterReadingRecord(ACCOUNT, AT, [4390, 1950], "ivr", "26112701000016")]
        test = make_record("t" * 32, test=True)
        test.readings = [MeterReadingRecord(ACCOUNT, AT + timedelta(hours=1), [9, 9], "ivr")]
        assert repo.save_call(real) and repo.save_call(test)
        assert store.last(ACCOUNT) == real.readings[0]  # a real caller never sees test data
        assert store.last(ACCOUNT, include_test=True) == test.readings[0]
        lookups = Lookups(db_url, UTC)
        assert lookups.last_reading(ACCOUNT, include_test=False) == real.readings[0]
        # loading a file again replaces its readings, never the callers'
        assert store.replace_source("billing", []) == 0
        assert store.last(ACCOUNT) == real.readings[0]
    finally:
        repo.dispose()


def test_the_sample_readings_load_once_however_often_seeded(db_url):
    repo = repository(db_url)
    try:
        seed_sample(repo)
        lines = seed_sample(repo)
        assert lines[-1] == "readings.csv: 3 previous meter readings"
        store = ReadingStore(repo)
        last = store.last(ACCOUNT)
        assert last is not None and last.values == [4210, 1870]
        assert last.source == "sample/readings.csv"
        # moved with the sample to another moment (the end-to-end tests' clock)
        delta = timedelta(days=40)
        moved = sample_readings(SAMPLE_DIR / READINGS_FILE, delta)
        assert moved[0].read_at == last.read_at + delta
    finally:
        repo.dispose()
