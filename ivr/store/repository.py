"""The repository: the only code that writes the appeals database (SQLAlchemy 2).

SQLite (a file in the working directory) is the embedded default; any SQLAlchemy URL works.
The ``calls`` table is the call log of the electronic appeals database; appeals and the topic
catalogue live beside it (``ivr.store.models``), migrations in ``ivr.store.migrations``, the
reports' read-only queries in ``ivr.store.queries``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, delete, event, func, insert, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ivr.store.journal import RecordRejected, first_line
from ivr.store.models import (
    Appeal,
    AppealEvent,
    AppealLink,
    AuditEvent,
    Base,
    Call,
    MeterReading,
    TopicVersion,
    columns_of,
)
from ivr.store.records import CallRecord, Outcome

log = logging.getLogger(__name__)


class StorageError(Exception):
    """The database URL is wrong or the database cannot be used."""


P = ParamSpec("P")
R = TypeVar("R")


def database_refusals(method: Callable[P, R]) -> Callable[P, R]:
    """A method whose database errors (unreachable, no permission) come out as StorageError
    in the database's own words."""

    @functools.wraps(method)
    def refusing(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise StorageError(f"the database refused: {_reason(exc)}") from exc

    return refusing


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config(connection: Any) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.attributes["connection"] = connection
    return config


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"malformed database URL {url!r}: {exc}") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 5}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:  # missing driver, bad options
        raise StorageError(f"cannot use database URL {parsed!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class CallRepository:
    """The only code that writes call records (the reports read through
    ``ivr.store.queries``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def ensure_schema(self) -> None:
        """Create or migrate the schema to the newest revision (``ivr db upgrade``).

        Raises StorageError when the database cannot be reached or migrated.
        """
        try:
            with self.engine.begin() as connection:
                command.upgrade(alembic_config(connection), "head")
        except Exception as exc:
            raise StorageError(
                f"database {self.engine.url.render_as_string(hide_password=True)!r} is not "
                f"usable: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
            ) from exc

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def check_schema_current(self) -> None:
        """For the commands that read and change records without migrating: StorageError
        unless the schema is this ivr's newest."""
        try:
            revision = self.schema_revision()
        except Exception as exc:  # unreachable, no permission
            raise StorageError(f"cannot read the database {self._name()}: {_reason(exc)}") from exc
        head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
        if revision is None:
            raise StorageError(
                f"the database {self._name()} has no IVR tables (no call was recorded "
                "there, or it is not the server's database); run 'ivr db upgrade' or use the "
                "server's config and working directory"
            )
        if revision != head:
            raise StorageError(
                f"the database {self._name()} has schema revision {revision}, this ivr needs "
                f"{head}: run 'ivr db upgrade' first"
            )

    def _name(self) -> str:
        return repr(self.engine.url.render_as_string(hide_password=True))

    def save_call(self, record: CallRecord) -> bool:
        """Insert a call record; a record already stored (same call_uid) is left alone,
        except an ``interrupted`` one (journalled at the call's start), which the real end
        of the call completes.

        Returns True when a row was written, False when it was already there.
        """
        row = _call_row(record)
        with Session(self.engine) as session:
            try:
                session.add(row)
                session.flush()  # the call row first: appeals refer to it
                session.add_all(_dependent_rows(record))
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                if self.get_call(record.call_uid) is not None:
                    return self._complete_interrupted(record)
                raise RecordRejected(_refusal(record, exc)) from exc
            except DataError as exc:
                session.rollback()
                raise RecordRejected(f"a value does not fit: {_reason(exc)}") from exc
        return True

    def _complete_interrupted(self, record: CallRecord) -> bool:
        """The end of a call stored as ``interrupted``: replace that row. False otherwise."""
        if record.outcome is Outcome.INTERRUPTED:
            return False
        with Session(self.engine) as session, session.begin():
            stored = session.scalars(
                select(Call).where(
                    Call.call_uid == record.call_uid, Call.outcome == Outcome.INTERRUPTED.value
                )
            ).first()
            if stored is None:
                return False
            fresh = _call_row(record)
            for column in Call.__table__.columns:
                if column.name != "id":
                    setattr(stored, column.key, getattr(fresh, column.key))
            session.add_all(_dependent_rows(record, stored))
        return True

    def stored_call_uids(self, call_uids: Sequence[str]) -> set[str]:
        """Which of these call ids the database holds (in chunks, one query each)."""
        found: set[str] = set()
        with Session(self.engine) as session:
            for start in range(0, len(call_uids), 500):
                chunk = list(call_uids[start : start + 500])
                found.update(session.scalars(select(Call.call_uid).where(Call.call_uid.in_(chunk))))
        return found

    def save_calls(self, records: Sequence[CallRecord]) -> int:
        """Insert many call records in one transaction (the FastAGI server's batch writer).

        All or nothing: raises (IntegrityError when one is already stored) and writes nothing;
        the caller then falls back to ``save_call`` one by one. Returns the rows written.
        """
        # Core INSERTs of many rows each (executemany), not ORM objects: the worker thread
        # holds the GIL, which the event loop needs, for a fraction of the time.
        dependent: dict[type[Base], list[dict[str, Any]]] = {}
        for record in records:
            for model, values in _dependent_values(record):
                dependent.setdefault(model, []).append(values)
        with self.engine.begin() as connection:
            connection.execute(insert(Call), [_call_values(r) for r in records])
            for model, rows in dependent.items():  # after the calls: they refer to them
                connection.execute(insert(model), rows)
        return len(records)

    def sync_config_topics(self, config: Any) -> int:
        """Record the topic catalogues of a configuration (at start-up and on reload): its
        own, and each profile's catalogue of that profile's role (``profiles``)."""
        catalogues = {
            role.value: [(t.code, t.label) for t in topics]
            for role, topics in config.catalogues.items()
        }
        for profile in getattr(config, "profiles", {}).values():
            role = profile.company.role
            catalogues[role.value] = [(t.code, t.label) for t in profile.catalogues[role]]
        return self.sync_topics(catalogues, datetime.now(UTC))

    def sync_topics(
        self, catalogues: Mapping[str, Iterable[tuple[str, str]]], now: datetime
    ) -> int:
        """Record the catalogues' codes and labels; a changed label opens a new version.

        ``catalogues`` maps a role to (code, label) pairs. Returns the versions written.
        """
        written = 0
        with Session(self.engine) as session, session.begin():
            open_versions = select(TopicVersion).where(TopicVersion.valid_to.is_(None))
            current = {(t.role, t.code): t for t in session.scalars(open_versions)}
            for role, topics in catalogues.items():
                for code, label in topics:
                    old = current.get((role, code))
                    if old is not None and old.label == label:
                        continue
                    if old is not None:
                        old.valid_to = now
                    session.add(TopicVersion(role=role, code=code, label=label, valid_from=now))
                    written += 1
        return written

    def topic_label(self, role: str, code: str, at: datetime) -> str | None:
        """The label a topic code had at a moment in time."""
        stmt = (
            select(TopicVersion.label)
            .where(
                TopicVersion.role == role, TopicVersion.code == code, TopicVersion.valid_from <= at
            )
            .order_by(TopicVersion.valid_from.desc())
            .limit(1)
        )
        with Session(self.engine) as session:
            return session.scalar(stmt)

    def purge(self, cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
        """Delete calls (with their appeals and the appeals' events, linked reports and meter
        readings) that started before ``cutoff``, and the audit log's events from before it
        (kept as long as the appeals).

        This is the only deletion path of the call log; the caller enforces the retention.
        """
        old_calls = select(Call.call_uid).where(Call.started_at < cutoff)
        with Session(self.engine) as session, session.begin():
            counts = {
                "appeals": session.scalar(
                    select(func.count()).select_from(Appeal).where(Appeal.call_uid.in_(old_calls))
                )
                or 0,
                "calls": session.scalar(
                    select(func.count()).select_from(Call).where(Call.started_at < cutoff)
                )
                or 0,
                "audit_events": session.scalar(
                    select(func.count()).select_from(AuditEvent).where(AuditEvent.at < cutoff)
                )
                or 0,
            }
            if not dry_run:
                session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
                old_appeals = select(Appeal.appeal_number).where(Appeal.call_uid.in_(old_calls))
                session.execute(
                    delete(AppealEvent).where(AppealEvent.appeal_number.in_(old_appeals))
                )
                for table in (AppealLink, MeterReading, Appeal):
                    session.execute(delete(table).where(table.call_uid.in_(old_calls)))
                session.execute(delete(Call).where(Call.started_at < cutoff))
        return counts

    def count_appeals(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(Appeal)) or 0

    def get_call(self, call_uid: str) -> CallRecord | None:
        with Session(self.engine) as session:
            row = session.scalars(select(Call).where(Call.call_uid == call_uid)).first()
            return row.to_record() if row else None

    def find_by_unique_id(self, unique_id: str) -> CallRecord | None:
        with Session(self.engine) as session:
            stmt = select(Call).where(Call.unique_id == unique_id).order_by(Call.id.desc())
            row = session.scalars(stmt).first()
            return row.to_record() if row else None

    def count_calls(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(Call)) or 0

    def dispose(self) -> None:
        self.engine.dispose()

    def close(self) -> None:
        """At shutdown: fold SQLite's write-ahead log into the database file (so that a copy
        of the file alone holds everything), then close every connection."""
        if self.engine.url.get_backend_name() == "sqlite":
            try:
                with self.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception as exc:  # the records are safe in the WAL; say why it stayed
                log.warning("SQLite checkpoint at shutdown failed: %s", _reason(exc))
        self.engine.dispose()


def _reason(exc: BaseException) -> str:
    """The database's own words for an error (the driver's message, not SQLAlchemy's)."""
    return first_line(getattr(exc, "orig", None) or exc)


def _refusal(record: CallRecord, exc: IntegrityError) -> str:
    """Why the database refused a new call record, in words an admin can act on."""
    reason = _reason(exc)
    if "appeal_number" in reason or "appeals" in reason:
        numbers = ", ".join(a.appeal_number for a in record.appeals)
        return (
            f"appeal number {numbers} is already in the database ({reason}): two configs "
            "or servers write to it with the same database.server_id"
        )
    return reason


def _call_values(record: CallRecord) -> dict[str, Any]:
    """The ``calls`` row of a record (``save_call`` and ``save_calls``): one column per record
    field of the same name, plus what is derived (``duration_ms``)."""
    values = columns_of(record, Call)
    values["outcome"] = record.outcome.value
    values["result"] = record.result.value if record.result else None
    values["error"] = (record.error or None) and record.error[:500]
    values["duration_ms"] = record.duration_ms
    return values


def _call_row(record: CallRecord) -> Call:
    return Call(**_call_values(record))


def _dependent_values(
    record: CallRecord, stored: Call | None = None
) -> list[tuple[type[Base], dict[str, Any]]]:
    """The rows a call record brings besides its own, by model: appeals, linked reports,
    meter readings (each marked test when the call is); those ``stored`` already has are left
    out (an interrupted call's start journalled them)."""
    appeals = {a.appeal_number for a in stored.appeals} if stored is not None else set()
    links = {link.appeal_number for link in stored.links} if stored is not None else set()
    readings = {r.appeal_number for r in stored.readings} if stored is not None else set()
    rows: list[tuple[type[Base], dict[str, Any]]] = [
        (Appeal, columns_of(a, Appeal) | {"test": record.test})
        for a in record.appeals
        if a.appeal_number not in appeals
    ]
    rows += [
        (AppealLink, columns_of(link, AppealLink) | {"test": record.test})
        for link in record.links
        if link.appeal_number not in links
    ]
    rows += [
        (
            MeterReading,
            columns_of(r, MeterReading) | {"call_uid": record.call_uid, "test": record.test},
        )
        for r in record.readings
        if r.appeal_number not in readings
    ]
    return rows


def _dependent_rows(record: CallRecord, stored: Call | None = None) -> list[Base]:
    """``_dependent_values`` as ORM objects (``save_call``)."""
    return [model(**values) for model, values in _dependent_values(record, stored)]
