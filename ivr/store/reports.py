"""Outage reports already made: what a repeated report from a house is linked to, and
when and on which street each report came (what a dispatcher's outage list counts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, union_all

from ivr.store.models import Appeal, AppealLink
from ivr.store.outages import aware

#: Statuses of an appeal that a new report from the same house joins.
OPEN = ("registered", "in_progress")


def first_open_report(engine: Engine, address_key: str, since: datetime, test: bool) -> str | None:
    """The appeal number of the earliest open outage report from ``address_key`` registered
    at or after ``since`` (among test calls' appeals when ``test``), or None."""
    stmt = (
        select(Appeal.appeal_number)
        .where(
            Appeal.kind == "outage_report",
            Appeal.address_key == address_key,
            Appeal.registered_at >= since,
            Appeal.status.in_(OPEN),
            Appeal.test == test,
        )
        .order_by(Appeal.registered_at, Appeal.id)
        .limit(1)
    )
    with engine.connect() as connection:
        return connection.scalar(stmt)


def report_moments(
    engine: Engine, since: datetime, include_test: bool = False
) -> list[tuple[str, datetime]]:
    """(street key, when) of every outage report since ``since``: the first reports and
    the reports linked to them (by the first report's street)."""
    first = select(Appeal.street_key, Appeal.registered_at).where(
        Appeal.kind == "outage_report",
        Appeal.registered_at >= since,
        Appeal.street_key.is_not(None),
    )
    linked = (
        select(Appeal.street_key, AppealLink.linked_at)
        .join(Appeal, Appeal.appeal_number == AppealLink.appeal_number)
        .where(
            Appeal.kind == "outage_report",
            AppealLink.linked_at >= since,
            Appeal.street_key.is_not(None),
        )
    )
    if not include_test:
        first = first.where(Appeal.test.is_(False))
        linked = linked.where(AppealLink.test.is_(False))
    with engine.connect() as connection:
        rows = connection.execute(union_all(first, linked)).all()
    return [(str(street), aware(at)) for street, at in rows]
