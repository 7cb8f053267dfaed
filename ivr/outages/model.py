"""The outage records, defined once: what an import produces, the store keeps and a call
looks up. Times are timezone-aware; a schedule day's intervals are minutes from that day's
local midnight (Europe/Kyiv unless the company says otherwise), as the DSOs publish them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class OutageKind(enum.StrEnum):
    EMERGENCY = "emergency"  # аварійне відключення
    PLANNED = "planned"  # планові роботи


class OutageStatus(enum.StrEnum):
    ACTIVE = "active"
    RESTORED = "restored"
    CANCELLED = "cancelled"


class DayStatus(enum.StrEnum):
    """The status of one group's schedule for one day."""

    IN_FORCE = "in_force"  # the schedule applies (Yasno ScheduleApplies)
    PROVISIONAL = "provisional"  # published but not yet approved (WaitingForSchedule)
    SUSPENDED = "suspended"  # schedules suspended: emergency shutdowns (EmergencyShutdowns)
    NO_OUTAGES = "no_outages"  # no outages that day (NoOutages)


@dataclass(frozen=True)
class Area:
    """Where an outage is: a settlement, optionally narrowed to streets (and houses on them),
    a feeder or substation, or ГПВ groups."""

    settlement: str
    streets: tuple[str, ...] = ()  # empty: the whole settlement
    houses: tuple[str, ...] = ()  # with one street: only these houses ("12-А")
    feeder: str | None = None
    groups: tuple[str, ...] = ()  # "3.1", "3.2"...


@dataclass(frozen=True)
class Restoration:
    """One estimate of the restoration time; every revision is kept, oldest first."""

    at: datetime | None  # the estimated restoration; None: not known
    revised_at: datetime  # when this estimate was given
    source: str  # where it came from (a file, a feed URL, a dispatcher, the push API)


@dataclass(frozen=True)
class Outage:
    id: str  # the source's id, unique per source
    kind: OutageKind
    area: Area
    start: datetime
    status: OutageStatus
    restorations: tuple[Restoration, ...]
    note: str = ""
    source: str = ""
    #: When the store last changed it (None before it is stored): a form that shows it
    #: sends it back, so that a change made meanwhile is not silently overwritten.
    changed_at: datetime | None = field(default=None, compare=False)

    @property
    def restoration(self) -> datetime | None:
        """The current estimate (the last revision's)."""
        return self.restorations[-1].at if self.restorations else None

    @property
    def revised_at(self) -> datetime | None:
        """When the estimate last changed, if it ever did after the first one."""
        return self.restorations[-1].revised_at if len(self.restorations) > 1 else None


@dataclass(frozen=True)
class OffInterval:
    """No power from ``start`` to ``end``, minutes from local midnight (0..1440)."""

    start: int
    end: int


@dataclass(frozen=True)
class ScheduleDay:
    """One group's hourly outage schedule for one day."""

    group: str
    day: date
    status: DayStatus
    off: tuple[OffInterval, ...]  # sorted, adjacent ones merged
    source: str
    updated_at: datetime
