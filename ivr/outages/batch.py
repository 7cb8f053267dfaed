"""What one parsed file gives: outages and schedule days, validated as a whole."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ivr.outages.model import Outage, ScheduleDay


@dataclass(frozen=True)
class Batch:
    """The records of one file, ready for ``OutageStore.import_batch``."""

    outages: tuple[Outage, ...] = ()
    days: tuple[ScheduleDay, ...] = ()


@dataclass(frozen=True)
class Origin:
    """Where a file comes from and how to read it, the same for every format."""

    file: str  # the name problems are reported with
    source: str  # the records' source (a feed's name, a file's name)
    tz: str = "Europe/Kyiv"  # the local time of the data
    known_groups: Collection[str] | None = None  # the configured groups; None: any "N.M"
