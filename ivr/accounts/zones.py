"""A meter's zones: how many the registry says it has (``Account.zones``) and their names,
in the order a reading lists their values (``MeterReadingRecord.values``)."""

from __future__ import annotations

#: Zones of a one-, two- and three-zone meter, in the order of their values.
ZONES: dict[int, tuple[str, ...]] = {
    1: ("total",),
    2: ("day", "night"),
    3: ("night", "peak", "half_peak"),
}


def zone_names(zones: int | None) -> tuple[str, ...] | None:
    """The zone names of a meter with ``zones`` zones; None when that is not a known meter
    (nothing on record, or a number the registry should not hold)."""
    return ZONES.get(zones) if isinstance(zones, int) else None
