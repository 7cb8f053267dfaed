"""What the IVR knows about outages for one address at one moment (the look-up's result)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from ivr.outages.intervals import periods
from ivr.outages.model import Outage, ScheduleDay


@dataclass(frozen=True)
class OutageReport:
    outages: tuple[Outage, ...]  # active outages at the address, its feeder or its groups
    days: tuple[ScheduleDay, ...]  # the address's groups' schedules for today and tomorrow
    updated_at: datetime | None  # when the outage data last changed; None: never loaded

    def explains_no_power(self, groups: tuple[str, ...], now: datetime, tz: tzinfo) -> bool:
        """Whether the data already says why there is no power at ``now``: an active outage
        there, or one of the groups in an off-period of its schedule."""
        if self.outages:
            return True
        for group in groups:
            days = [d for d in self.days if d.group == group]
            if any(p.start <= now < p.end for p in periods(days, tz, now)):
                return True
        return False
