"""The active outages and the current schedule days in memory, indexed for a call's look-up.

The look-ups (``ivr.store.lookups``) load one ``OutageIndex`` from the database and answer
every caller from it until the data changes: a call's outage look-up then costs no database
round trip, however many callers ask at once. ``covers`` is the one definition of which
outages concern an address; the store's own queries use it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ivr.accounts.houses import house_key
from ivr.outages.model import Area, Outage, OutageKind, ScheduleDay
from ivr.outages.names import settlement_key, street_key


def covers(
    area: Area,
    settlement: str | None,
    street: str | None,
    house: str | None,
    feeder: str | None,
    groups: Sequence[str],
) -> bool:
    """Whether an outage's area covers the house, the feeder or one of the groups."""
    if feeder and area.feeder == feeder:
        return True
    if set(groups) & set(area.groups):
        return True
    if not settlement or settlement_key(area.settlement) != settlement_key(settlement):
        return False
    if not area.streets:
        return True
    if not street or street_key(street) not in {street_key(s) for s in area.streets}:
        return False
    return not area.houses or (
        house is not None and house_key(house) in {house_key(h) for h in area.houses}
    )


def in_effect(outage: Outage, at: datetime) -> bool:
    """An active outage that has begun by ``at`` and, for planned works, has not ended."""
    if outage.start > at:
        return False
    return not (
        outage.kind is OutageKind.PLANNED and outage.restoration and outage.restoration <= at
    )


@dataclass(frozen=True)
class OutageIndex:
    """Active outages (in the order given: the earliest start first) by place, feeder and
    group, and the current version of every schedule day from ``first_day`` on. A place is
    a settlement's key and a street's key, or None for an outage of the whole settlement:
    a city with a thousand outages on its streets looks at the few on the caller's."""

    outages: tuple[Outage, ...]
    days: dict[tuple[str, date], ScheduleDay]
    first_day: date
    by_place: dict[tuple[str, str | None], tuple[int, ...]]
    by_feeder: dict[str, tuple[int, ...]]
    by_group: dict[str, tuple[int, ...]]

    @classmethod
    def build(
        cls, outages: Iterable[Outage], days: Iterable[ScheduleDay], first_day: date
    ) -> OutageIndex:
        held = tuple(outages)
        by_place: dict[tuple[str, str | None], list[int]] = {}
        by_feeder: dict[str, list[int]] = {}
        by_group: dict[str, list[int]] = {}
        for n, outage in enumerate(held):
            area = outage.area
            town = settlement_key(area.settlement)
            streets: list[str | None] = list(dict.fromkeys(street_key(s) for s in area.streets))
            for street in streets or [None]:
                by_place.setdefault((town, street), []).append(n)
            if area.feeder:
                by_feeder.setdefault(area.feeder, []).append(n)
            for group in dict.fromkeys(area.groups):
                by_group.setdefault(group, []).append(n)
        return cls(
            outages=held,
            days={(d.group, d.day): d for d in days if d.day >= first_day},
            first_day=first_day,
            by_place={k: tuple(v) for k, v in by_place.items()},
            by_feeder={k: tuple(v) for k, v in by_feeder.items()},
            by_group={k: tuple(v) for k, v in by_group.items()},
        )

    def active_for(
        self,
        settlement: str | None = None,
        street: str | None = None,
        house: str | None = None,
        feeder: str | None = None,
        groups: Sequence[str] = (),
        *,
        at: datetime,
    ) -> list[Outage]:
        """What ``OutageStore.active_for`` answers, from memory."""
        candidates: set[int] = set()
        if settlement:
            town = settlement_key(settlement)
            candidates.update(self.by_place.get((town, None), ()))
            if street:
                candidates.update(self.by_place.get((town, street_key(street)), ()))
        if feeder:
            candidates.update(self.by_feeder.get(feeder, ()))
        for group in groups:
            candidates.update(self.by_group.get(group, ()))
        found = (self.outages[n] for n in sorted(candidates))
        return [
            o
            for o in found
            if covers(o.area, settlement, street, house, feeder, groups) and in_effect(o, at)
        ]

    def holds(self, day: date) -> bool:
        return day >= self.first_day

    def schedule(self, groups: Iterable[str], days: Iterable[date]) -> list[ScheduleDay]:
        """What ``OutageStore.schedule`` answers, for days the index ``holds``."""
        wanted = sorted({(g, d) for g in groups for d in days})
        return [self.days[key] for key in wanted if key in self.days]
