"""Read-only queries of the supervisors' reports, aggregated in SQL over the indexed time column.

Every query filters ``started_at`` (``registered_at`` for appeals) to the report's UTC bounds
and groups by UTC hour plus one small column, so it reads one of the composite indexes
``(started_at, topic_code)``, ``(started_at, outcome)`` or ``(started_at, duration_ms)`` and
returns at most 24 rows per day and value. No call row is loaded into Python, and what comes
back is plain Python values (``HourCount`` tuples, numbers, dicts), never rows or SQLAlchemy
types: ``ivr.reports`` builds the reports from them.

SQLite and PostgreSQL are supported; each has its own hour-bucket expression and PostgreSQL
computes the percentiles with ``percentile_cont``; SQLite counts calls per second of duration
and reads each order statistic from its one-second bucket (the same interpolated definition).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    String,
    create_engine,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.engine import Connection, Engine

from ivr.store.models import Appeal, Base, Call, TopicVersion
from ivr.store.repository import CallRepository

#: What the report queries read: a repository, or an engine of the same schema.
ReportSource = CallRepository | Engine
#: A UTC hour as the database gives it: ``'YYYY-MM-DD HH'`` (SQLite) or a datetime.
HourBucket = str | datetime


class ReportError(Exception):
    """The database cannot give the report (unsupported engine, missing tables...)."""


class HourCount(NamedTuple):
    """How many rows in one UTC hour have one value (a topic code, an outcome)."""

    bucket: HourBucket
    value: str | None
    n: int


def hour_bucket(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC hour of a timestamp column, as ``ivr.reports.periods.parse_utc_hour`` reads it."""
    if dialect == "sqlite":
        # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here).
        return func.substr(type_coerce(column, String), 1, 13)
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    raise ReportError(f"reports support SQLite and PostgreSQL, not {dialect!r}")


class ReportQueries:
    """The report queries of one database."""

    def __init__(self, source: ReportSource) -> None:
        self.engine = source.engine if isinstance(source, CallRepository) else source

    @classmethod
    @contextmanager
    def of_empty_database(cls) -> Iterator[ReportQueries]:
        """The queries of a database without any call (in memory, the IVR's schema)."""
        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
        try:
            yield cls(engine)
        finally:
            engine.dispose()

    def check_supported(self) -> None:
        """Raise ReportError for an engine the reports do not support, before connecting."""
        hour_bucket(Call.started_at, self.engine.dialect.name)

    @contextmanager
    def reading(
        self, start_utc: datetime, end_utc: datetime, company: str | None = None
    ) -> Iterator[RangeReader]:
        """One connection for the queries of the UTC range ``[start_utc, end_utc)``; of one
        company's calls and appeals when ``company`` (a ``company.id``) is given."""
        with self.engine.connect() as conn:
            yield RangeReader(conn, start_utc, end_utc, company)


class RangeReader:
    """The report's queries over one UTC range, on one connection.

    ``without_test`` leaves out test calls (and their appeals); ``company`` keeps one
    company's (None: every company's).
    """

    def __init__(
        self,
        conn: Connection,
        start_utc: datetime,
        end_utc: datetime,
        company: str | None = None,
    ) -> None:
        self.conn = conn
        self.start_utc = start_utc
        self.end_utc = end_utc
        self.company = company
        self.dialect = conn.dialect.name

    def _of_company(self, column: Any) -> tuple[Any, ...]:
        return () if self.company is None else (column == self.company,)

    def _calls(self, without_test: bool) -> tuple[Any, ...]:
        in_range = (
            Call.started_at >= self.start_utc,
            Call.started_at < self.end_utc,
            *self._of_company(Call.company),
        )
        return (*in_range, Call.test.is_(False)) if without_test else in_range

    def test_calls(self) -> int:
        """Test calls in the range (one look at the (test, started_at) index)."""
        stmt = (
            select(func.count())
            .select_from(Call)
            .where(
                Call.test.is_(True),
                Call.started_at >= self.start_utc,
                Call.started_at < self.end_utc,
                *self._of_company(Call.company),
            )
        )
        return int(self.conn.scalar(stmt) or 0)

    def calls_by_topic(self, without_test: bool = False) -> list[HourCount]:
        return self._by_hour(Call, Call.started_at, Call.topic_code, without_test)

    def calls_by_outcome(self, without_test: bool = False) -> list[HourCount]:
        return self._by_hour(Call, Call.started_at, Call.outcome, without_test)

    def appeals_by_topic(self, without_test: bool = False) -> list[HourCount]:
        return self._by_hour(Appeal, Appeal.registered_at, Appeal.topic_code, without_test)

    def _by_hour(
        self, table: type[Call] | type[Appeal], column: Any, value: Any, without_test: bool
    ) -> list[HourCount]:
        """[(UTC hour, value, count)] for the rows of ``column`` in the range."""
        bucket = hour_bucket(column, self.dialect).label("bucket")
        where = (table.test.is_(False),) if without_test else ()
        where += self._of_company(table.company)
        stmt = (
            select(bucket, value, func.count().label("n"))
            .where(column >= self.start_utc, column < self.end_utc, *where)
            .group_by(literal_column("bucket"), value)
        )
        return [HourCount(row[0], row[1], int(row[2])) for row in self.conn.execute(stmt)]

    def duration_percentiles(
        self, percentiles: Mapping[str, float], calls: int, without_test: bool = False
    ) -> dict[str, float | None]:
        """Interpolated percentiles of the calls' durations in milliseconds (None without
        calls), by name; ``calls`` is how many calls the range has."""
        if self.dialect == "postgresql":
            return self._percentiles_postgresql(percentiles, without_test)
        return self._percentiles_by_offset(percentiles, calls, without_test)

    def _percentiles_postgresql(
        self, percentiles: Mapping[str, float], without_test: bool
    ) -> dict[str, float | None]:
        columns = [
            func.percentile_cont(p).within_group(Call.duration_ms).label(name)
            for name, p in percentiles.items()
        ]
        row = self.conn.execute(select(*columns).where(*self._calls(without_test))).one()
        return {
            name: (None if row[i] is None else float(row[i])) for i, name in enumerate(percentiles)
        }

    def _percentiles_by_offset(
        self, percentiles: Mapping[str, float], count: int, without_test: bool
    ) -> dict[str, float | None]:
        """percentile_cont without the function: the two order statistics around (n-1)p.

        One grouped pass counts the calls per second of duration (a few thousand rows); each
        order statistic is then read from the single one-second bucket that holds it, so only
        that bucket is sorted, not the whole range.
        """
        if count == 0:
            return {name: None for name in percentiles}
        in_range = self._calls(without_test)
        second = (Call.duration_ms // 1000).label("second")
        histogram = [
            (int(b), int(n))
            for b, n in self.conn.execute(
                select(second, func.count())
                .where(*in_range)
                .group_by(literal_column("second"))
                .order_by(literal_column("second"))
            )
        ]

        def order_statistic(rank: int) -> int:
            """The duration at 0-based ``rank`` in the range sorted by duration."""
            before = 0
            for bucket, n in histogram:
                if rank < before + n:
                    stmt = (
                        select(Call.duration_ms)
                        .where(
                            *in_range,
                            Call.duration_ms >= bucket * 1000,
                            Call.duration_ms < (bucket + 1) * 1000,
                        )
                        .order_by(Call.duration_ms)
                        .limit(1)
                        .offset(rank - before)
                    )
                    return int(self.conn.scalar(stmt) or 0)
                before += n
            raise ReportError(f"duration rank {rank} beyond {before} calls")

        total = sum(n for _, n in histogram)
        result: dict[str, float | None] = {}
        for name, p in percentiles.items():
            position = (total - 1) * p
            lower = math.floor(position)
            low = order_statistic(lower)
            high = order_statistic(lower + 1) if position > lower else low
            result[name] = low + (high - low) * (position - lower)
        return result

    def topic_labels(self, role: str) -> dict[str, str]:
        """Each topic code's last label in the catalogue history of ``role`` (empty without
        a topics table)."""
        labels: dict[str, str] = {}
        stmt = (
            select(TopicVersion.code, TopicVersion.label)
            .where(TopicVersion.role == role)
            .order_by(TopicVersion.valid_from)
        )
        try:
            for code, label in self.conn.execute(stmt):
                labels[code] = label
        except Exception:  # no topics table yet
            self.conn.rollback()
        return labels
