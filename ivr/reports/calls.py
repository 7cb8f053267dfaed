"""Call and appeal figures for a date range, from the grouped counts of ``ivr.store.queries``.

The store's queries return counts per UTC hour and value (at most 24 rows per day and value);
Python then moves each UTC hour into its local day/week/month (see ``ivr.reports.periods``).
No call row is loaded into Python.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ivr.config import Topic
from ivr.reports.periods import (
    Granularity,
    LocalHour,
    ReportRange,
    localise_hour,
    parse_utc_hour,
)
from ivr.store.queries import HourBucket, HourCount, ReportQueries, ReportSource
from ivr.store.records import Outcome

#: Code shown for calls that ended before any topic was chosen (topic_code IS NULL).
NO_TOPIC = "-"
NO_TOPIC_LABEL = "(no topic: ended before a choice)"
UNKNOWN_LABEL = "(not in the catalogue)"

#: Outcomes the summary line puts together as "transferred to a person".
TRANSFERRED_GROUP = (Outcome.OPERATOR.value, Outcome.TRANSFERRED.value)

PERCENTILES = {"median": 0.5, "p90": 0.9}


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
            "callback": o.get(Outcome.CALLBACK.value, 0),
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


def empty_call_report(
    rng: ReportRange, granularity: Granularity, catalogue: Sequence[Topic], role: str
) -> CallReport:
    """The report of a period without any call (a database without the IVR's tables)."""
    with ReportQueries.of_empty_database() as queries:
        return build_call_report(queries, rng, granularity, catalogue, role)


def build_call_report(
    source: ReportSource | ReportQueries,
    rng: ReportRange,
    granularity: Granularity,
    catalogue: Sequence[Topic],
    role: str,
    include_test: bool = False,
    company: str | None = None,
) -> CallReport:
    """Every call and appeal figure of the report, from a handful of grouped queries; of
    one company's calls when ``company`` (its ``company.id``) is given.

    Test calls (simulator, account code ``ivr-test``) are left out unless ``include_test``;
    when the range has none (one look at the (test, started_at) index) nothing is filtered.
    """
    timings: dict[str, float] = {}
    periods = rng.periods(granularity)
    queries = source if isinstance(source, ReportQueries) else ReportQueries(source)
    queries.check_supported()  # refuse unsupported engines before connecting
    with queries.reading(rng.start_utc, rng.end_utc, company) as reader:
        test_calls = 0 if include_test else reader.test_calls()
        without_test = bool(test_calls)
        with timed(timings, "calls by topic"):
            topic_rows = reader.calls_by_topic(without_test)
        with timed(timings, "calls by outcome"):
            outcome_rows = reader.calls_by_outcome(without_test)
        with timed(timings, "appeals by topic"):
            appeal_rows = reader.appeals_by_topic(without_test)
        total = sum(n for _, _, n in outcome_rows)
        with timed(timings, "durations"):
            pct = reader.duration_percentiles(PERCENTILES, total, without_test)
        labels = reader.topic_labels(role)
    labels.update({t.code: t.label for t in catalogue})

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
        key = str(outcome)
        outcomes[key] = outcomes.get(key, 0) + n

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


def _localiser(rng: ReportRange, granularity: Granularity) -> Callable[[HourBucket], LocalHour]:
    """``localise_hour`` for database hour buckets, each bucket worked out once."""
    cache: dict[HourBucket, LocalHour] = {}

    def localise(bucket: HourBucket) -> LocalHour:
        where = cache.get(bucket)
        if where is None:
            where = cache[bucket] = localise_hour(parse_utc_hour(bucket), rng.tz, granularity)
        return where

    return localise


def _bucket(
    rows: list[HourCount],
    rng: ReportRange,
    granularity: Granularity,
    periods: list[str],
    key: Callable[[str | None], str],
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
