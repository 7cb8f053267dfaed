"""How many callers reported an outage: the outage reports from its streets (or its whole
settlement) from a report window before its start on, as a dispatcher's list shows them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from ivr.accounts.addresses import settlement_prefix, street_place_key
from ivr.outages.model import Outage


def reports_on(outage: Outage, reports: Iterable[tuple[str, datetime]], window: timedelta) -> int:
    """The reports (street key, when) in the outage's area since ``window`` before its start.
    An outage known only by its feeder or groups has no streets to count: 0."""
    area = outage.area
    since = outage.start - window
    if area.streets:
        streets = {street_place_key(area.settlement, s) for s in area.streets}
        return sum(1 for street, at in reports if at >= since and street in streets)
    if not area.settlement or area.feeder or area.groups:
        return 0
    prefix = settlement_prefix(area.settlement)
    return sum(1 for street, at in reports if at >= since and street.startswith(prefix))
