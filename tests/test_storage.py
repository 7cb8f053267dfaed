"""The call log on a real SQLite file."""

from datetime import UTC, datetime, timedelta

import pytest

from ivr.store.queries import HourCount, ReportQueries
from ivr.store.records import CallRecord, Outcome, Result
from ivr.store.repository import CallRepository, StorageError


def make_record(uid="a" * 32, **changes):
    started = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    values = dict(
        call_uid=uid,
        started_at=started,
        ended_at=started + timedelta(seconds=42),
        caller_raw="0441234567",
        caller_number="+380441234567",
        caller_name="",
        dialled_number="0800300100",
        unique_id="1764232200.17",
        channel="PJSIP/trunk-00000011",
        transport="fastagi",
        role="dso",
        outcome=Outcome.OPERATOR,
        result=Result.OPERATOR,
        transfer_to="dso-operators",
        topic_code="D1",
        path=[{"menu": "main", "key": "1", "action": "menu"}],
    )
    values.update(changes)
    return CallRecord(**values)


def test_round_trip_keeps_timezone_aware_utc(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    record = make_record()
    assert repo.save_call(record) is True
    stored = repo.get_call(record.call_uid)
    assert stored == record
    assert stored.started_at.tzinfo is not None
    assert stored.started_at.utcoffset() == timedelta(0)


def test_saving_twice_writes_one_row(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    assert repo.save_call(make_record()) is True
    assert repo.save_call(make_record()) is False
    assert repo.count_calls() == 1


def test_naive_datetimes_are_refused(db_url):
    repo = CallRepository(db_url)
    repo.ensure_schema()
    with pytest.raises(Exception, match="naive"):
        repo.save_call(make_record(started_at=datetime(2026, 1, 1)))


def test_malformed_url_is_a_clear_error():
    with pytest.raises(StorageError, match="malformed database URL"):
        CallRepository("not a url")


def test_database_path_that_is_a_directory_fails_at_start(tmp_path):
    """Even root cannot open a directory as a database file."""
    (tmp_path / "calls.sqlite3").mkdir()
    repo = CallRepository(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    with pytest.raises(StorageError, match="not usable"):
        repo.ensure_schema()


def test_missing_directory_fails_at_start(tmp_path):
    repo = CallRepository(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'calls.sqlite3'}")
    with pytest.raises(StorageError, match="not usable"):
        repo.ensure_schema()


def test_records_and_tables_are_one_definition():
    """A record field is a column of the same name (rows are derived from the dataclass), so
    adding a field means the field plus a migration; a column without a field is derived."""
    import dataclasses

    from ivr.store.models import Appeal, AppealLink, Call, MeterReading
    from ivr.store.records import AppealLinkRecord, AppealRecord, MeterReadingRecord

    call_fields = {f.name for f in dataclasses.fields(CallRecord)} - {
        "appeals",
        "links",
        "readings",
    }
    call_columns = set(Call.__table__.columns.keys()) - {"id", "duration_ms"}
    assert call_fields == call_columns
    appeal_fields = {f.name for f in dataclasses.fields(AppealRecord)}
    appeal_columns = set(Appeal.__table__.columns.keys()) - {
        "id",
        "answered_at",
        "closed_at",
        "test",
    }
    assert appeal_fields == appeal_columns
    for record, model in ((AppealLinkRecord, AppealLink), (MeterReadingRecord, MeterReading)):
        fields = {f.name for f in dataclasses.fields(record)}
        assert fields == set(model.__table__.columns.keys()) - {"id", "test", "call_uid"} | (
            {"call_uid"} if "call_uid" in fields else set()
        )


def test_the_migrations_build_exactly_the_models(db_url):
    """Alembic's comparison of the migrated database with the models finds nothing: a model
    changed without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ivr.store.models import Base

    repo = CallRepository(db_url)
    repo.ensure_schema()
    with repo.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    repo.dispose()
    assert diff == []


def test_report_queries_return_plain_values(db_url):
    """The reports' queries hand back Python values only (no rows, no SQLAlchemy types)."""
    repo = CallRepository(db_url)
    repo.ensure_schema()
    repo.save_call(make_record())
    repo.save_call(make_record("b" * 32, test=True, topic_code=None))
    repo.sync_topics({"dso": [("D1", "Відключення")]}, datetime(2026, 1, 1, tzinfo=UTC))
    start = datetime(2026, 11, 27, tzinfo=UTC)
    with ReportQueries(repo).reading(start, start + timedelta(days=1)) as reader:
        test_calls = reader.test_calls()
        real_by_topic = reader.calls_by_topic(without_test=True)
        by_outcome = reader.calls_by_outcome()
        appeals = reader.appeals_by_topic()
        durations = reader.duration_percentiles({"median": 0.5, "p90": 0.9}, 2)
        labels = reader.topic_labels("dso")
    assert test_calls == 1
    assert [(h.value, h.n) for h in real_by_topic] == [("D1", 1)]
    assert [(h.value, h.n) for h in by_outcome] == [("operator", 2)]
    assert appeals == []
    hour = by_outcome[0]
    assert type(hour) is HourCount and type(hour.value) is str and type(hour.n) is int
    assert isinstance(hour.bucket, str | datetime)
    assert durations == {"median": 42000.0, "p90": 42000.0}
    assert labels == {"D1": "Відключення"}
