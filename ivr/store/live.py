"""The web console's live figures: the calls of the last hour, grouped in SQL.

Three grouped queries over the indexed ``started_at`` (per minute, per topic, per outcome),
on SQLite and PostgreSQL; what comes back is plain Python values. The calls table holds
finished calls only (a call is stored when it ends): the calls running now are the
journal's (``ivr.store.journal.Journal.in_progress``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, func, literal_column, select, type_coerce

from ivr.store.models import Call
from ivr.store.queries import ReportError
from ivr.store.records import Outcome

#: Outcomes of a call handed to a person: the operator queue, a number, or the dialplan's
#: fallback queue after the IVR stopped mid-call. Every other call ended in the IVR.
TO_PERSON = frozenset(
    {Outcome.OPERATOR.value, Outcome.TRANSFERRED.value, Outcome.INTERRUPTED.value}
)
#: Calls that ended in the IVR without being served: the caller hung up, or the IVR failed.
NOT_SERVED = frozenset({Outcome.ABANDONED.value, Outcome.FAILED.value})


@dataclass(frozen=True)
class RecentCalls:
    """The finished calls that started in the last ``len(per_minute)`` minutes."""

    since: datetime  # the first minute, UTC
    per_minute: list[int]  # calls per minute from ``since``, the current minute last
    topics: dict[str | None, int]  # topic code (None: ended before a choice) -> calls
    outcomes: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def to_person(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome in TO_PERSON)

    @property
    def in_ivr(self) -> int:
        """Calls not handed to a person (the IVR's containment)."""
        return self.total - self.to_person

    @property
    def not_served(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome in NOT_SERVED)

    @property
    def in_ivr_share(self) -> float | None:
        return self.in_ivr / self.total if self.total else None

    def minutes(self) -> list[tuple[datetime, int]]:
        """(the minute, UTC; calls) for every minute, oldest first."""
        return [(self.since + timedelta(minutes=i), n) for i, n in enumerate(self.per_minute)]


def minute_bucket(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC minute of a timestamp column, as ``parse_minute`` reads it."""
    if dialect == "sqlite":
        # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, ``ivr.store.models.UTCDateTime``)
        return func.substr(type_coerce(column, String), 1, 16)
    if dialect == "postgresql":
        return func.date_trunc("minute", func.timezone("UTC", column))
    raise ReportError(f"the live page supports SQLite and PostgreSQL, not {dialect!r}")


def parse_minute(value: object) -> datetime:
    """A minute bucket: ``'2026-11-27 08:05'`` (SQLite) or a naive UTC datetime (PostgreSQL)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(second=0, microsecond=0)
    text = str(value)
    return datetime.strptime(text[:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def recent_calls(
    engine: Engine,
    now: datetime,
    minutes: int = 60,
    company: str | None = None,
    include_test: bool = False,
) -> RecentCalls:
    """The calls started in the ``minutes`` minutes up to ``now`` (its minute included), of
    one company when ``company`` (a ``company.id``) is given; test calls left out unless
    ``include_test``."""
    current = now.astimezone(UTC).replace(second=0, microsecond=0)
    since = current - timedelta(minutes=minutes - 1)
    until = current + timedelta(minutes=1)
    where: list[Any] = [Call.started_at >= since, Call.started_at < until]
    if company is not None:
        where.append(Call.company == company)
    if not include_test:
        where.append(Call.test.is_(False))
    bucket = minute_bucket(Call.started_at, engine.dialect.name).label("minute")
    per_minute = [0] * minutes
    with engine.connect() as conn:
        for value, n in conn.execute(
            select(bucket, func.count()).where(*where).group_by(literal_column("minute"))
        ):
            index = int((parse_minute(value) - since).total_seconds() // 60)
            if 0 <= index < minutes:
                per_minute[index] += int(n)
        topics = {
            code: int(n)
            for code, n in conn.execute(
                select(Call.topic_code, func.count()).where(*where).group_by(Call.topic_code)
            )
        }
        outcomes = {
            str(outcome): int(n)
            for outcome, n in conn.execute(
                select(Call.outcome, func.count()).where(*where).group_by(Call.outcome)
            )
        }
    return RecentCalls(since, per_minute, topics, outcomes)
