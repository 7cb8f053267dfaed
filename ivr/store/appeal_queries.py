"""Reading appeals for the back office: lists with filters (the overdue view among them), one
appeal with its history, and the dispatcher's outage reports per street.

What comes back is records and plain values (``AppealView``, ``AppealDetail``,
``StreetReports``), never rows. Test calls' appeals and reports are left out unless asked for.
A database that refuses (unreachable, no permission) raises StorageError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from ivr.store.models import Appeal, AppealEvent, AppealLink, MeterReading
from ivr.store.records import (
    AppealEventRecord,
    AppealKind,
    AppealLinkRecord,
    AppealRecord,
    AppealStatus,
    MeterReadingRecord,
)
from ivr.store.repository import CallRepository, database_refusals

#: Statuses that end the answer's clock: an appeal in neither is open.
ANSWERED_OR_CLOSED = (AppealStatus.ANSWERED.value, AppealStatus.CLOSED.value)
#: An open appeal whose deadline comes within this time is about to miss it.
DUE_SOON = timedelta(hours=24)


@dataclass(frozen=True)
class AppealFilter:
    """Which appeals: every given condition holds. ``since``/``until``: registered in
    ``[since, until)``; ``overdue_at``: open and past its deadline at that moment;
    ``due_soon_at``: open and due within ``DUE_SOON`` of that moment (not yet overdue)."""

    kind: str | None = None
    topic: str | None = None
    status: str | None = None
    overdue_at: datetime | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_test: bool = False
    company: str | None = None  # a ``company.id`` (servers answering for several)
    due_soon_at: datetime | None = None


@dataclass(frozen=True)
class AppealView:
    """An appeal as it stands: its record (with the current status) and what happened since."""

    record: AppealRecord
    answered_at: datetime | None
    closed_at: datetime | None
    test: bool
    links: int  # repeated outage reports linked to it

    @property
    def reports(self) -> int:
        """The reports it stands for: its own and the linked ones."""
        return 1 + self.links

    @property
    def is_open(self) -> bool:
        return self.record.status not in ANSWERED_OR_CLOSED

    def overdue(self, at: datetime) -> bool:
        """Open and past its deadline at ``at``: a compensation case."""
        return self.is_open and self.record.due_at < at

    def due_soon(self, at: datetime) -> bool:
        """Open, not yet overdue at ``at``, and due within ``DUE_SOON``: about to miss it."""
        return self.is_open and at <= self.record.due_at < at + DUE_SOON


@dataclass(frozen=True)
class AppealDetail:
    """One appeal with its status changes, linked reports and meter readings, oldest first."""

    view: AppealView
    events: list[AppealEventRecord] = field(default_factory=list)
    linked: list[AppealLinkRecord] = field(default_factory=list)
    readings: list[MeterReadingRecord] = field(default_factory=list)


@dataclass(frozen=True)
class StreetReports:
    """Outage reports from one street in a time window (``street_key`` None: callers whose
    address is not known)."""

    street_key: str | None
    place: str | None  # the settlement and street as an address names them
    reports: int  # first reports and linked ones
    houses: int  # distinct houses among them
    first: datetime
    last: datetime


def place_of(address: str | None) -> str | None:
    """``"Вишневе, вул. Садова, 12-А"`` -> ``"Вишневе, вул. Садова"``: the address without its
    house, which the registry always has and ``address_text`` puts last."""
    if not address:
        return None
    return address.rsplit(", ", 1)[0] if ", " in address else address


class AppealQueries:
    """The back office's read-only queries of one database."""

    def __init__(self, repository: CallRepository) -> None:
        self.engine = repository.engine

    @database_refusals
    def find(self, filters: AppealFilter, newest: int | None = None) -> list[AppealView]:
        """The appeals that pass ``filters``, oldest first, with their linked reports; with
        ``newest``: only the newest that many, newest first (a page of a long history)."""
        links = select(func.count()).select_from(AppealLink)
        links = links.where(AppealLink.appeal_number == Appeal.appeal_number)
        if not filters.include_test:
            links = links.where(AppealLink.test.is_(False))
        stmt = select(Appeal, links.scalar_subquery()).where(*_conditions(filters))
        if newest is None:
            stmt = stmt.order_by(Appeal.registered_at, Appeal.id)
        else:
            stmt = stmt.order_by(Appeal.registered_at.desc(), Appeal.id.desc()).limit(newest)
        with Session(self.engine) as session:
            return [_view(row, n) for row, n in session.execute(stmt)]

    @database_refusals
    def count(self, filters: AppealFilter) -> int:
        """How many appeals pass ``filters``."""
        stmt = select(func.count()).select_from(Appeal).where(*_conditions(filters))
        with Session(self.engine) as session:
            return int(session.scalar(stmt) or 0)

    @database_refusals
    def get(self, number: str) -> AppealDetail | None:
        """Appeal ``number`` (14 digits) with everything recorded about it, or None."""
        with Session(self.engine) as session:
            row = session.scalars(select(Appeal).where(Appeal.appeal_number == number)).first()
            if row is None:
                return None
            events = session.scalars(
                select(AppealEvent)
                .where(AppealEvent.appeal_number == number)
                .order_by(AppealEvent.id)
            )
            linked = session.scalars(
                select(AppealLink)
                .where(AppealLink.appeal_number == number)
                .order_by(AppealLink.linked_at, AppealLink.id)
            )
            readings = session.scalars(
                select(MeterReading)
                .where(MeterReading.appeal_number == number)
                .order_by(MeterReading.read_at, MeterReading.id)
            )
            links = [link.to_record() for link in linked]
            return AppealDetail(
                _view(row, len(links)),
                [e.to_record() for e in events],
                links,
                [r.to_record() for r in readings],
            )

    @database_refusals
    def outage_reports(self, since: datetime, include_test: bool = False) -> list[StreetReports]:
        """Outage reports since ``since`` per street, most first: every first report
        registered since then and every report linked to one since then (whenever the
        first was made), by the street of the first report."""
        first = select(
            Appeal.street_key.label("street"),
            Appeal.address_key.label("house"),
            Appeal.address.label("address"),
            Appeal.registered_at.label("at"),
        ).where(Appeal.kind == AppealKind.OUTAGE_REPORT.value, Appeal.registered_at >= since)
        linked = (
            select(Appeal.street_key, Appeal.address_key, Appeal.address, AppealLink.linked_at)
            .join(Appeal, Appeal.appeal_number == AppealLink.appeal_number)
            .where(Appeal.kind == AppealKind.OUTAGE_REPORT.value, AppealLink.linked_at >= since)
        )
        if not include_test:
            first = first.where(Appeal.test.is_(False))
            linked = linked.where(AppealLink.test.is_(False))
        reports = union_all(first, linked).subquery()
        n = func.count().label("n")
        stmt = (
            select(
                reports.c.street,
                n,
                func.count(distinct(reports.c.house)),
                func.min(reports.c.at),
                func.max(reports.c.at),
                func.min(reports.c.address),
            )
            .group_by(reports.c.street)
            .order_by(literal_column("n").desc(), func.max(reports.c.at).desc())
        )
        with self.engine.connect() as connection:
            return [
                StreetReports(street, place_of(address), int(count), int(houses), low, high)
                for street, count, houses, low, high, address in connection.execute(stmt)
            ]


def _conditions(filters: AppealFilter) -> list[Any]:
    where: list[Any] = []
    if filters.kind is not None:
        where.append(Appeal.kind == filters.kind)
    if filters.topic is not None:
        where.append(Appeal.topic_code == filters.topic)
    if filters.status is not None:
        where.append(Appeal.status == filters.status)
    if filters.company is not None:
        where.append(Appeal.company == filters.company)
    if filters.overdue_at is not None:
        where += [Appeal.status.not_in(ANSWERED_OR_CLOSED), Appeal.due_at < filters.overdue_at]
    if filters.due_soon_at is not None:
        where += [
            Appeal.status.not_in(ANSWERED_OR_CLOSED),
            Appeal.due_at >= filters.due_soon_at,
            Appeal.due_at < filters.due_soon_at + DUE_SOON,
        ]
    if filters.since is not None:
        where.append(Appeal.registered_at >= filters.since)
    if filters.until is not None:
        where.append(Appeal.registered_at < filters.until)
    if not filters.include_test:
        where.append(Appeal.test.is_(False))
    return where


def _view(row: Appeal, links: int) -> AppealView:
    return AppealView(row.to_record(), row.answered_at, row.closed_at, bool(row.test), int(links))
