"""Outage reports already made from a house: what a repeated report is linked to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from ivr.store.models import Appeal

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
