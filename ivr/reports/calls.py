"""Call and appeal figures for a date range, aggregated in SQL over the indexed time column.

Every query filters ``started_at`` (``registered_at`` for appeals) to the report's UTC bounds
and groups by UTC hour plus one small column, so it reads one of the composite indexes
``(started_at, topic_code)``, ``(started_at, outcome)`` or ``(started_at, duration_ms)`` and
returns at most 24 rows per day and value. Python then moves each UTC hour into its local
day/week/month (see ``ivr.reports.periods``). No call row is loaded into Python.

SQLite and PostgreSQL are supported; each has its own hour-bucket expression and PostgreSQL
computes the percentiles with ``percentile_cont``; SQLite counts calls per second of duration
and reads each order statistic from its one-second bucket (the same interpolated definition).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal_column, select, type_coerce
from sqlalchemy.engine import Connection, Engine

from ivr.config import Topic
from ivr.reports.periods import (
    Granularity,
    LocalHour,
    ReportRange,
    localise_hour,
    parse_utc_hour,
)
from ivr.store.models import Appeal, Call, TopicVersion
from ivr.store.records import Outcome

#: Code shown for calls that ended before any topic was chosen (topic_code IS NULL).
NO_TOPIC = "-"
NO_TOPIC_LABEL = "(no topic: ended before a choice)"
UNKNOWN_LABEL = "(not in the catalogue)"

#: Outcomes the summary line puts together as "transferred to a person".
TRANSFERRED_GROUP = (Outcome.OPERATOR.value, Outcome.TRANSFERRED.value)

PERCENTILES = {"median": 0.5, "p90": 0.9}


class ReportError(Exception):
    """The database cannot give the report (unsupported engine, missing tables...)."""


def hour_bucket(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC hour of a timestamp column, as something ``parse_utc_hour`` understands."""
    if dialect == "sqlite":
        # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here).
        return func.substr(type_coerce(column, String), 1, 13)
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    raise ReportError(f"reports support SQLite and PostgreSQL, not {dialect!r}")


@dataclass
class DurationStats:
    calls: int
    median_s: float | None
    p90_s: float | None


@dataclass
class TopicRow:
    code: str
    label: str
    calls: int
    appeals: int


@dataclass
class CallReport:
    range: ReportRange
    granularity: Granularity
    periods: list[str]
    topics: list[TopicRow]  # catalogue order, then codes outside it, then NO_TOPIC
    calls_by_period: dict[str, dict[str, int]]  # period -> topic code -> calls
    appeals_by_period: dict[str, dict[str, int]]  # period -> topic code -> appeals
    outcomes: dict[str, int]  # every Outcome value (zeros included), then any other value
    outcomes_by_period: dict[str, dict[str, int]]
    duration: DurationStats
    hours: list[int]  # calls per local hour of day 0..23 over the range
    peak_hour: tuple[str, int, int] | None  # (local date, local hour, calls)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per section
    test_calls_left_out: int = 0  # simulated/test calls in the range, not counted above

    @property
    def total_calls(self) -> int:
        return sum(self.outcomes.values())

    @property
    def total_appeals(self) -> int:
        return sum(t.appeals for t in self.topics)

    def period_total(self, period: str) -> int:
        return sum(self.calls_by_period.get(period, {}).values())

    def busiest_hours(self, count: int = 3) -> list[tuple[int, int]]:
        """The local hours of day with the most calls: [(hour, calls)], busiest first."""
        ranked = sorted(range(24), key=lambda h: (-self.hours[h], h))
        return [(h, self.hours[h]) for h in ranked[:count] if self.hours[h]]

    def outcome_summary(self) -> dict[str, int]:
        """The four figures the supervisor asks for first, plus the rest."""
        o = self.outcomes
        return {
            "self_served": o.get(Outcome.SELF_SERVED.value, 0),
            "transferred": sum(o.get(name, 0) for name in TRANSFERRED_GROUP),
            "redirected": o.get(Outcome.REDIRECTED.value, 0),
            "abandoned": o.get(Outcome.ABANDONED.value, 0),
            "after_hours": o.get(Outcome.AFTER_HOURS.value, 0),
            "failed": o.get(Outcome.FAILED.value, 0),
            "interrupted": o.get(Outcome.INTERRUPTED.value, 0),
        }


@contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - began


def _grouped_by_hour(
    conn: Connection, column: Any, value: Any, rng: ReportRange, *where: Any
) -> list[tuple[Any, Any, int]]:
    """[(utc hour bucket, value, count)] for rows of ``column`` in the range."""
    bucket = hour_bucket(column, conn.dialect.name).label("bucket")
    stmt = (
        select(bucket, value, func.count().label("n"))
        .where(column >= rng.start_utc, column < rng.end_utc, *where)
        .group_by(literal_column("bucket"), value)
    )
    return [(row[0], row[1], int(row[2])) for row in conn.execute(stmt)]


def _percentiles_postgresql(
    conn: Connection, rng: ReportRange, *where: Any
) -> dict[str, float | None]:
    columns = [
        func.percentile_cont(p).within_group(Call.duration_ms).label(name)
        for name, p in PERCENTILES.items()
    ]
    stmt = select(*columns).where(
        Call.started_at >= rng.start_utc, Call.started_at < rng.end_utc, *where
    )
    row = conn.execute(stmt).one()
    return {name: (None if row[i] is None else float(row[i])) for i, name in enumerate(PERCENTILES)}


def _percentiles_by_offset(
    conn: Connection, rng: ReportRange, count: int, *where: Any
) -> dict[str, float | None]:
    """percentile_cont without the function: the two order statistics around (n-1)p.

    One grouped pass counts the calls per second of duration (a few thousand rows); each
    order statistic is then read from the single one-second bucket that holds it, so only that
    bucket is sorted, not the whole range.
    """
    if count == 0:
        return {name: None for name in PERCENTILES}
    in_range = (Call.started_at >= rng.start_utc, Call.started_at < rng.end_utc, *where)
    second = (Call.duration_ms // 1000).label("second")
    histogram = [
        (int(b), int(n))
        for b, n in conn.execute(
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
                return int(conn.scalar(stmt) or 0)
            before += n
        raise ReportError(f"duration rank {rank} beyond {before} calls")

    total = sum(n for _, n in histogram)
    result: dict[str, float | None] = {}
    for name, p in PERCENTILES.items():
        position = (total - 1) * p
        lower = math.floor(position)
        low = order_statistic(lower)
        high = order_statistic(lower + 1) if position > lower else low
        result[name] = low + (high - low) * (position - lower)
    return result


def _topic_labels(conn: Connection, catalogue: Sequence[Topic], role: str) -> dict[str, str]:
    """Labels of the configured catalogue; older codes get their last label from history."""
    labels: dict[str, str] = {}
    stmt = (
        select(TopicVersion.code, TopicVersion.label)
        .where(TopicVersion.role == role)
        .order_by(TopicVersion.valid_from)
    )
    try:
        for code, label in conn.execute(stmt):
            labels[code] = label
    except Exception:  # no topics table yet: the catalogue alone will do
        conn.rollback()
    labels.update({t.code: t.label for t in catalogue})
    return labels


def empty_call_report(
    rng: ReportRange, granularity: Granularity, catalogue: Sequence[Topic], role: str
) -> CallReport:
    """The report of a period without any call (a database without the IVR's tables)."""
    from sqlalchemy import create_engine

    from ivr.store.models import Base

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    try:
        return build_call_report(engine, rng, granularity, catalogue, role)
    finally:
        engine.dispose()


def build_call_report(
    engine: Engine,
    rng: ReportRange,
    granularity: Granularity,
    catalogue: Sequence[Topic],
    role: str,
    include_test: bool = False,
) -> CallReport:
    """Every call and appeal figure of the report, from a handful of grouped queries.

    Test calls (simulator, account code ``ivr-test``) are left out unless ``include_test``;
    when the range has none (one look at the (test, started_at) index) nothing is filtered.
    """
    timings: dict[str, float] = {}
    periods = rng.periods(granularity)
    dialect = engine.dialect.name
    hour_bucket(Call.started_at, dialect)  # refuse unsupported engines before connecting
    with engine.connect() as conn:
        test_calls = (
            0
            if include_test
            else int(
                conn.scalar(
                    select(func.count())
                    .select_from(Call)
                    .where(
                        Call.test.is_(True),
                        Call.started_at >= rng.start_utc,
                        Call.started_at < rng.end_utc,
                    )
                )
                or 0
            )
        )
        real_calls = (Call.test.is_(False),) if test_calls else ()
        real_appeals = (Appeal.test.is_(False),) if test_calls else ()
        with timed(timings, "calls by topic"):
            topic_rows = _grouped_by_hour(conn, Call.started_at, Call.topic_code, rng, *real_calls)
        with timed(timings, "calls by outcome"):
            outcome_rows = _grouped_by_hour(conn, Call.started_at, Call.outcome, rng, *real_calls)
        with timed(timings, "appeals by topic"):
            appeal_rows = _grouped_by_hour(
                conn, Appeal.registered_at, Appeal.topic_code, rng, *real_appeals
            )
        total = sum(n for _, _, n in outcome_rows)
        with timed(timings, "durations"):
            if dialect == "postgresql":
                pct = _percentiles_postgresql(conn, rng, *real_calls)
            else:
                pct = _percentiles_by_offset(conn, rng, total, *real_calls)
        labels = _topic_labels(conn, catalogue, role)

    with timed(timings, "bucketing"):
        calls_by_period = _bucket(topic_rows, rng, granularity, periods, topic_key)
        appeals_by_period = _bucket(appeal_rows, rng, granularity, periods, topic_key)
        outcomes_by_period = _bucket(outcome_rows, rng, granularity, periods, str)
        hours = [0] * 24
        per_local_hour: dict[tuple[str, int], int] = defaultdict(int)
        for bucket, _topic, n in topic_rows:
            where = _localiser(rng, granularity)(bucket)
            hours[where.hour] += n
            per_local_hour[(where.day.isoformat(), where.hour)] += n
        peak = None
        if per_local_hour:
            (day, hour), n = min(per_local_hour.items(), key=lambda kv: (-kv[1], kv[0]))
            peak = (day, hour, n)

    outcomes = {o.value: 0 for o in Outcome}
    for _bucket_value, outcome, n in outcome_rows:
        outcomes[outcome] = outcomes.get(outcome, 0) + n

    return CallReport(
        range=rng,
        granularity=granularity,
        periods=periods,
        topics=_topic_rows(catalogue, labels, calls_by_period, appeals_by_period),
        calls_by_period=calls_by_period,
        appeals_by_period=appeals_by_period,
        outcomes=outcomes,
        outcomes_by_period=outcomes_by_period,
        duration=DurationStats(
            calls=total,
            median_s=None if pct["median"] is None else pct["median"] / 1000,
            p90_s=None if pct["p90"] is None else pct["p90"] / 1000,
        ),
        hours=hours,
        peak_hour=peak,
        timings=timings,
        test_calls_left_out=test_calls,
    )


def topic_key(code: str | None) -> str:
    return NO_TOPIC if code is None else str(code)


def _localiser(rng: ReportRange, granularity: Granularity) -> Callable[[Any], LocalHour]:
    """``localise_hour`` for database hour buckets, each bucket worked out once."""
    cache: dict[Any, LocalHour] = {}

    def localise(bucket: Any) -> LocalHour:
        where = cache.get(bucket)
        if where is None:
            where = cache[bucket] = localise_hour(parse_utc_hour(bucket), rng.tz, granularity)
        return where

    return localise


def _bucket(
    rows: list[tuple[Any, Any, int]],
    rng: ReportRange,
    granularity: Granularity,
    periods: list[str],
    key: Callable[[Any], str],
) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {p: {} for p in periods}
    localise = _localiser(rng, granularity)
    for bucket, value, n in rows:
        period = localise(bucket).period
        counts = result.setdefault(period, {})
        k = key(value)
        counts[k] = counts.get(k, 0) + n
    return result


def _topic_rows(
    catalogue: Sequence[Topic],
    labels: Mapping[str, str],
    calls: Mapping[str, Mapping[str, int]],
    appeals: Mapping[str, Mapping[str, int]],
) -> list[TopicRow]:
    call_totals: dict[str, int] = defaultdict(int)
    appeal_totals: dict[str, int] = defaultdict(int)
    for counts in calls.values():
        for code, n in counts.items():
            call_totals[code] += n
    for counts in appeals.values():
        for code, n in counts.items():
            appeal_totals[code] += n
    codes = [t.code for t in catalogue]
    extra = sorted((set(call_totals) | set(appeal_totals)) - set(codes) - {NO_TOPIC})
    rows = [
        TopicRow(code, labels.get(code, UNKNOWN_LABEL), call_totals[code], appeal_totals[code])
        for code in [*codes, *extra]
    ]
    if call_totals.get(NO_TOPIC) or appeal_totals.get(NO_TOPIC):
        rows.append(
            TopicRow(NO_TOPIC, NO_TOPIC_LABEL, call_totals[NO_TOPIC], appeal_totals[NO_TOPIC])
        )
    return rows
