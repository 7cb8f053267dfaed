"""Meter readings in the database (table ``meter_readings``): the latest one of an account,
for the IVR to compare a new reading with, and readings loaded from a file (the sample data).

A reading a caller passes is written with its call by the repository (``save_call``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ivr.store.models import MeterReading
from ivr.store.records import MeterReadingRecord
from ivr.store.repository import CallRepository


class ReadingStore:
    def __init__(self, repository: CallRepository) -> None:
        self.engine = repository.engine

    def last(self, account_number: str, include_test: bool = False) -> MeterReadingRecord | None:
        """The account's latest reading (by the time it was taken), or None; the readings of
        test calls only when ``include_test``."""
        stmt = select(MeterReading).where(MeterReading.account_number == account_number)
        if not include_test:
            stmt = stmt.where(MeterReading.test.is_(False))
        stmt = stmt.order_by(MeterReading.read_at.desc(), MeterReading.id.desc()).limit(1)
        with Session(self.engine) as session:
            row = session.scalars(stmt).first()
            return row.to_record() if row is not None else None

    def replace_source(self, source: str, readings: Sequence[MeterReadingRecord]) -> int:
        """Make the readings loaded from ``source`` (not passed in calls) exactly
        ``readings``, in one transaction; returns how many."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(MeterReading).where(
                    MeterReading.source == source, MeterReading.call_uid.is_(None)
                )
            )
            session.add_all(
                MeterReading(
                    account_number=r.account_number,
                    read_at=r.read_at,
                    values=list(r.values),
                    source=source,
                    appeal_number=r.appeal_number,
                    test=False,
                )
                for r in readings
            )
        return len(readings)
