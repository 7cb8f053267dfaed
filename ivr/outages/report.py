"""What the IVR knows about outages for one address at one moment (the look-up's result)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ivr.outages.model import Outage, ScheduleDay


@dataclass(frozen=True)
class OutageReport:
    outages: tuple[Outage, ...]  # active outages at the address, its feeder or its groups
    days: tuple[ScheduleDay, ...]  # the address's groups' schedules for today and tomorrow
    updated_at: datetime | None  # when the outage data last changed; None: never loaded
