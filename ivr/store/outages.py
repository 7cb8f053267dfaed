"""The outage data store: imports, the dispatchers' operations and the IVR's look-ups.

Everything here hands back the records of ``ivr.outages.model`` (or plain values), never
rows. A restoration estimate that changes is a new revision; a schedule day that changes
is a new version (the current one is the latest); an outage that a later import of its
source no longer lists stays as it was (the summary names it): only a dispatcher or the
source itself says an outage is over.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ivr.outages.batch import Batch
from ivr.outages.index import covers, in_effect
from ivr.outages.model import (
    Area,
    DayStatus,
    OffInterval,
    Outage,
    OutageKind,
    OutageStatus,
    Restoration,
    ScheduleDay,
)
from ivr.outages.names import settlement_key, street_key
from ivr.store.audit import audit_event
from ivr.store.models import (
    OutageFetchRow,
    OutageGroupRow,
    OutageRow,
    OutageStreetRow,
    RestorationRow,
    ScheduleDayRow,
)
from ivr.store.repository import CallRepository, database_refusals


class OutageError(Exception):
    """A dispatcher's operation cannot be done (an unknown or an existing outage)."""


class RestorationBeforeStart(OutageError):
    """A restoration estimate (or the moment power came back) not after the outage's start."""


class OutageConflict(OutageError):
    """The outage changed after the person making a change last saw it."""


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed; ``missing``: ids of the source's active outages not in it."""

    added: int = 0
    revised: int = 0
    unchanged: int = 0
    missing: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.added} added, {self.revised} revised, {self.unchanged} unchanged"
        if self.missing:
            text += (
                f"; {len(self.missing)} active outage(s) of this source not in the file, "
                f"kept as they were: {', '.join(self.missing)}"
            )
        return text


@dataclass(frozen=True)
class DataVersion:
    """``stamp`` changes with every change to the outages and schedules: an outage, an
    estimate or a schedule version added, an outage no longer active, or an outage changed
    at a later moment than any before (a change back-dated with ``at=`` behind the latest
    one is not seen until the next). ``updated_at`` is ``OutageStore.updated_at``."""

    stamp: tuple[object, ...]
    updated_at: datetime | None


def utcnow() -> datetime:
    return datetime.now(UTC)


class OutageStore:
    """Outages and schedules in the IVR's database (``ivr.store.models``)."""

    def __init__(self, repository: CallRepository) -> None:
        self.engine = repository.engine

    # -- imports --------------------------------------------------------------------------

    @database_refusals
    def import_batch(
        self,
        batch: Batch,
        source: str,
        at: datetime | None = None,
        *,
        fetched: bool = False,
        actor: str | None = None,
    ) -> ImportSummary:
        """Store a parsed file in one transaction; importing it again changes nothing.
        ``at``: when the data was fetched (default now), which the IVR says as its age.
        ``fetched``: the batch is what the source said at ``at`` (a feed's fetch, a push):
        recorded as its last successful fetch, so that ``updated_at()`` counts the data as
        fresh then even when nothing in it changed."""
        now = at or utcnow()
        counts = {"added": 0, "revised": 0, "unchanged": 0}
        with Session(self.engine) as session, session.begin():
            if fetched:
                _record_fetch(session, source, now)
            for outage in batch.outages:
                counts[_merge_outage(session, outage, source, now)] += 1
            for day in batch.days:
                counts[_merge_day(session, day, source, now)] += 1
            seen = {o.id for o in batch.outages}
            active = select(OutageRow.outage_id).where(
                OutageRow.source == source, OutageRow.status == OutageStatus.ACTIVE.value
            )
            missing = tuple(sorted(i for i in session.scalars(active) if i not in seen))
            summary = ImportSummary(**counts, missing=missing if batch.outages else ())
            if actor is not None:  # a person's upload (the console): one event for the file
                session.add(audit_event(now, actor, "outage.import", source, None, str(summary)))
        return summary

    # -- the dispatchers' operations ------------------------------------------------------

    def add(self, outage: Outage, actor: str | None = None) -> Outage:
        """A new outage; OutageError when its source already has that id,
        RestorationBeforeStart when its estimate is not after its start. ``actor``: the
        person adding it, for the audit log."""
        if outage.restoration is not None and outage.restoration <= outage.start:
            raise RestorationBeforeStart(
                f'outage "{outage.id}" of {outage.source}: the restoration must be after its start'
            )
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            if _find(session, outage.source, outage.id) is not None:
                raise OutageError(f'outage "{outage.id}" of {outage.source} already exists')
            session.add(_new_row(outage, outage.source, now))
            if actor is not None:
                after = _moment_text(outage.restoration)
                session.add(audit_event(now, actor, "outage.add", _target(outage), None, after))
        return self.get(outage.source, outage.id)

    def update(
        self,
        source: str,
        outage_id: str,
        *,
        restoration: datetime | None = None,
        note: str | None = None,
        status: OutageStatus | None = None,
        at: datetime | None = None,
        actor: str | None = None,
        expected: datetime | None = None,
    ) -> Outage:
        """A new restoration estimate (a revision), note or status, given at ``at``;
        OutageError for an unknown outage, RestorationBeforeStart for an estimate not after
        its start.

        ``actor``: the person making the change; each changed value is an audit event.
        ``expected``: the ``changed_at`` the person saw; OutageConflict when the outage has
        changed since (someone else's change is never silently overwritten)."""
        now = at or utcnow()
        target = f"{source}/{outage_id}"
        with Session(self.engine) as session, session.begin():
            row = _existing(session, source, outage_id)
            if expected is not None and aware(row.changed_at) != aware(expected):
                raise OutageConflict(
                    f'outage "{outage_id}" of {source} was changed by someone else meanwhile'
                )
            changes: list[tuple[str, str | None, str | None]] = []
            if restoration is not None:
                if restoration <= row.start:
                    raise RestorationBeforeStart(
                        f'outage "{outage_id}" of {source}: the restoration must be after its start'
                    )
                last = row.restorations[-1].at if row.restorations else None
                row.restorations.append(_revision(restoration, now, source, now))
                changes.append(
                    ("outage.restoration", _moment_text(last), _moment_text(restoration))
                )
            if note is not None and note != row.note:
                changes.append(("outage.note", row.note, note))
                row.note = note
            if status is not None and status.value != row.status:
                changes.append(("outage.status", row.status, status.value))
                row.status = status.value
            row.changed_at = now
            if actor is not None:
                for action, before, after in changes:
                    session.add(audit_event(now, actor, action, target, before, after))
        return self.get(source, outage_id)

    def restore(
        self,
        source: str,
        outage_id: str,
        at: datetime | None = None,
        *,
        actor: str | None = None,
        expected: datetime | None = None,
    ) -> Outage:
        """Power is back (at ``at``, default now): restored, with that time as the last
        estimate."""
        now = at or utcnow()
        return self.update(
            source,
            outage_id,
            restoration=now,
            status=OutageStatus.RESTORED,
            at=now,
            actor=actor,
            expected=expected,
        )

    def cancel(
        self,
        source: str,
        outage_id: str,
        *,
        actor: str | None = None,
        expected: datetime | None = None,
    ) -> Outage:
        """The outage will not happen or was entered by mistake: cancelled."""
        return self.update(
            source, outage_id, status=OutageStatus.CANCELLED, actor=actor, expected=expected
        )

    def get(self, source: str, outage_id: str) -> Outage:
        with Session(self.engine) as session:
            return _outage(_existing(session, source, outage_id))

    def list(self, active_only: bool = True) -> list[Outage]:
        """The outages, the earliest start first."""
        stmt = select(OutageRow).order_by(OutageRow.start, OutageRow.id)
        if active_only:
            stmt = stmt.where(OutageRow.status == OutageStatus.ACTIVE.value)
        with Session(self.engine) as session:
            return [_outage(row) for row in session.scalars(stmt)]

    def ended_since(self, since: datetime) -> builtins.list[Outage]:
        """Outages restored or cancelled (last changed) at or after ``since``, newest first."""
        stmt = (
            select(OutageRow)
            .where(OutageRow.status != OutageStatus.ACTIVE.value, OutageRow.changed_at >= since)
            .order_by(OutageRow.changed_at.desc(), OutageRow.id.desc())
        )
        with Session(self.engine) as session:
            return [_outage(row) for row in session.scalars(stmt)]

    # -- the IVR's look-ups ---------------------------------------------------------------

    def active_for(
        self,
        settlement: str | None = None,
        street: str | None = None,
        house: str | None = None,
        feeder: str | None = None,
        groups: Sequence[str] = (),
        at: datetime | None = None,
    ) -> builtins.list[Outage]:
        """The active outages at ``at`` (default now) of a house (its settlement and, when
        the outage names streets, its street and, when it names houses, its house), of a
        feeder or of one of the groups. Planned works whose window has ended are left out."""
        moment = at or utcnow()
        wanted = []
        if settlement:
            # the whole settlement (no streets named), or the caller's street in it
            named = select(OutageStreetRow.outage_pk).where(
                OutageStreetRow.outage_pk == OutageRow.id
            )
            on_street = select(OutageStreetRow.outage_pk).where(
                OutageStreetRow.street_key == street_key(street or "")
            )
            wanted.append(
                and_(
                    OutageRow.settlement_key == settlement_key(settlement),
                    or_(~named.exists(), OutageRow.id.in_(on_street)),
                )
            )
        if feeder:
            wanted.append(OutageRow.feeder == feeder)
        if groups:
            covered = select(OutageGroupRow.outage_pk).where(OutageGroupRow.grp.in_(list(groups)))
            wanted.append(OutageRow.id.in_(covered))
        if not wanted:
            return []
        stmt = (
            select(OutageRow)
            .where(OutageRow.status == OutageStatus.ACTIVE.value, OutageRow.start <= moment)
            .where(or_(*wanted))
            .order_by(OutageRow.start, OutageRow.id)
        )
        with Session(self.engine) as session:
            found = [_outage(row) for row in session.scalars(stmt)]
        return [
            o
            for o in found
            if covers(o.area, settlement, street, house, feeder, groups) and in_effect(o, moment)
        ]

    def schedule(self, groups: Iterable[str], days: Iterable[date]) -> builtins.list[ScheduleDay]:
        """The current version of each (group, day) there is, by group and day."""
        stmt = (
            select(ScheduleDayRow)
            .where(ScheduleDayRow.grp.in_(list(groups)), ScheduleDayRow.day.in_(list(days)))
            .order_by(ScheduleDayRow.id)
        )
        with Session(self.engine) as session:
            current = {(r.grp, r.day): r for r in session.scalars(stmt)}
        return [_day(current[key]) for key in sorted(current)]

    def current(self, first_day: date) -> tuple[builtins.list[Outage], builtins.list[ScheduleDay]]:
        """Every active outage (the earliest start first) and the current version of every
        schedule day from ``first_day`` on: what ``OutageIndex`` holds."""
        with Session(self.engine) as session:
            active = select(OutageRow).where(OutageRow.status == OutageStatus.ACTIVE.value)
            outages = [
                _outage(r) for r in session.scalars(active.order_by(OutageRow.start, OutageRow.id))
            ]
            rows = select(ScheduleDayRow).where(ScheduleDayRow.day >= first_day)
            current = {(r.grp, r.day): r for r in session.scalars(rows.order_by(ScheduleDayRow.id))}
        return outages, [_day(current[key]) for key in sorted(current)]

    def version(self) -> DataVersion:
        """What the outage data's version is, in one round trip (see ``DataVersion``)."""
        active = OutageRow.status == OutageStatus.ACTIVE.value
        columns = [
            select(func.max(OutageRow.id)),
            select(func.count()).select_from(OutageRow).where(active),
            select(func.max(RestorationRow.id)),
            select(func.max(ScheduleDayRow.id)),
            select(func.max(OutageRow.changed_at)),
            select(func.max(RestorationRow.recorded_at)),
            select(func.max(ScheduleDayRow.recorded_at)),
            select(func.max(OutageFetchRow.fetched_at)),
        ]
        with self.engine.connect() as connection:
            row = connection.execute(select(*(c.scalar_subquery() for c in columns))).one()
        last_row, active_count, last_revision, last_day = row[:4]
        changed = aware(row[4]) if row[4] is not None else None
        known = [aware(m) for m in row[4:] if m is not None]
        return DataVersion(
            (last_row, active_count, last_revision, last_day, changed),
            max(known) if known else None,
        )

    def fetches(self) -> dict[str, datetime]:
        """The last successful fetch of each source that has one (``import_batch(fetched=)``)."""
        with Session(self.engine) as session:
            return {r.source: r.fetched_at for r in session.scalars(select(OutageFetchRow))}

    def updated_at(self) -> datetime | None:
        """When the outage data was last known to be current: the latest change (any
        outage, estimate or schedule day) or successful fetch of a source."""
        return self.version().updated_at


# -- rows and records ---------------------------------------------------------------------


def aware(moment: datetime) -> datetime:
    """A timestamp an aggregate or a union gives (SQLite: naive and UTC, maybe a string)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _record_fetch(session: Session, source: str, at: datetime) -> None:
    """The source's last successful fetch is ``at`` (unless a later one is recorded)."""
    row = session.get(OutageFetchRow, source)
    if row is None:
        session.add(OutageFetchRow(source=source, fetched_at=at))
    elif row.fetched_at < at:
        row.fetched_at = at


def _find(session: Session, source: str, outage_id: str) -> OutageRow | None:
    stmt = select(OutageRow).where(OutageRow.source == source, OutageRow.outage_id == outage_id)
    return session.scalars(stmt).first()


def _existing(session: Session, source: str, outage_id: str) -> OutageRow:
    row = _find(session, source, outage_id)
    if row is None:
        raise OutageError(f'no outage "{outage_id}" of {source}')
    return row


def _revision(
    at: datetime | None, revised_at: datetime, source: str, now: datetime
) -> RestorationRow:
    return RestorationRow(at=at, revised_at=revised_at, source=source, recorded_at=now)


def _index_area(row: OutageRow, outage: Outage) -> None:
    """The rows the look-up's indexes find an outage by: its groups and its streets."""
    row.group_rows = [OutageGroupRow(grp=g) for g in dict.fromkeys(outage.area.groups)]
    keys = dict.fromkeys(street_key(s) for s in outage.area.streets)
    row.street_rows = [OutageStreetRow(street_key=k) for k in keys]


def _area_columns(outage: Outage) -> dict[str, object]:
    area = outage.area
    return {
        "kind": outage.kind.value,
        "settlement": area.settlement,
        "settlement_key": settlement_key(area.settlement),
        "streets": list(area.streets),
        "houses": list(area.houses),
        "feeder": area.feeder,
        "groups": list(area.groups),
        "start": outage.start,
        "status": outage.status.value,
        "note": outage.note,
    }


def _new_row(outage: Outage, source: str, now: datetime) -> OutageRow:
    row = OutageRow(source=source, outage_id=outage.id, changed_at=now, **_area_columns(outage))
    _index_area(row, outage)
    restorations = outage.restorations or (Restoration(None, now, source),)
    row.restorations = [
        _revision(r.at, r.revised_at, r.source or source, now) for r in restorations
    ]
    return row


def _merge_outage(session: Session, outage: Outage, source: str, now: datetime) -> str:
    """Add or revise one imported outage; which of the two, or "unchanged"."""
    row = _find(session, source, outage.id)
    if row is None:
        session.add(_new_row(outage, source, now))
        return "added"
    changed = False
    for name, value in _area_columns(outage).items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        _index_area(row, outage)
    last = row.restorations[-1] if row.restorations else None
    if outage.restorations and (last is None or last.at != outage.restoration):
        newer = [r for r in outage.restorations if last is None or r.revised_at > last.revised_at]
        if not newer or newer[-1].at != outage.restoration:
            newer = [Restoration(outage.restoration, now, source)]
        row.restorations.extend(
            _revision(r.at, r.revised_at, r.source or source, now) for r in newer
        )
        changed = True
    if changed:
        row.changed_at = now
    return "revised" if changed else "unchanged"


def _merge_day(session: Session, day: ScheduleDay, source: str, now: datetime) -> str:
    """Store a schedule day unless its current version says the same."""
    stmt = (
        select(ScheduleDayRow)
        .where(ScheduleDayRow.grp == day.group, ScheduleDayRow.day == day.day)
        .order_by(ScheduleDayRow.id.desc())
        .limit(1)
    )
    current = session.scalars(stmt).first()
    off = [[i.start, i.end] for i in day.off]
    if current is not None and (current.status, current.off, current.source) == (
        day.status.value,
        off,
        source,
    ):
        return "unchanged"
    session.add(
        ScheduleDayRow(
            grp=day.group,
            day=day.day,
            status=day.status.value,
            off=off,
            source=source,
            updated_at=day.updated_at,
            recorded_at=now,
        )
    )
    return "added" if current is None else "revised"


def _outage(row: OutageRow) -> Outage:
    return Outage(
        id=row.outage_id,
        kind=OutageKind(row.kind),
        area=Area(
            row.settlement,
            tuple(row.streets or ()),
            tuple(row.houses or ()),
            row.feeder,
            tuple(row.groups or ()),
        ),
        start=row.start,
        status=OutageStatus(row.status),
        restorations=tuple(Restoration(r.at, r.revised_at, r.source) for r in row.restorations),
        note=row.note,
        source=row.source,
        changed_at=aware(row.changed_at),
    )


def _target(outage: Outage) -> str:
    return f"{outage.source}/{outage.id}"


def _moment_text(moment: datetime | None) -> str | None:
    """A moment in the audit log: ISO 8601 in UTC."""
    return aware(moment).astimezone(UTC).isoformat() if moment is not None else None


def _day(row: ScheduleDayRow) -> ScheduleDay:
    return ScheduleDay(
        group=row.grp,
        day=row.day,
        status=DayStatus(row.status),
        off=tuple(OffInterval(a, b) for a, b in row.off),
        source=row.source,
        updated_at=row.updated_at,
    )
