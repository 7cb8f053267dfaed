"""The fictional sample data (``examples/sample/``) loaded into a database, for testers:
``ivr simulate --seed-sample`` walks identification, outage status and meter readings
against it."""

from __future__ import annotations

import csv
import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ivr.accounts.csv_import import read_accounts
from ivr.outages.batch import Batch, Origin
from ivr.outages.formats import read_file
from ivr.store.accounts import AccountStore
from ivr.store.outages import OutageStore
from ivr.store.readings import ReadingStore
from ivr.store.records import MeterReadingRecord
from ivr.store.repository import CallRepository

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "sample"
KYIV = ZoneInfo("Europe/Kyiv")
#: When the sample outage data counts as fetched: try ``--at 2026-12-01T12:00`` for fresh data
#: and ``--at 2026-12-01T18:00`` for data older than the shipped 30 minutes.
FETCHED = datetime(2026, 12, 1, 11, 45, tzinfo=KYIV)
#: The outage files loaded, with their formats (the DTEK file repeats the Yasno schedule).
OUTAGE_FILES = (("outages.json", "json"), ("yasno.json", "yasno"))
#: The previous meter readings of some sample accounts (local times, values ";"-separated).
READINGS_FILE = "readings.csv"


#: The moment the sample tells of: noon on its first day.
SAMPLE_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=KYIV)


def seed_sample(
    repository: CallRepository, now: datetime | None = None, directory: Path = SAMPLE_DIR
) -> list[str]:
    """Load the sample accounts (upserted) and outage files; one summary line per file.

    ``now``: move the sample so that its moment (``SAMPLE_NOW``) is ``now`` (outages by the
    exact difference, schedule days by whole local days), for tests under a real clock."""
    accounts = read_accounts(directory / "accounts.csv")
    lines = [f"accounts.csv: {AccountStore(repository).upsert(accounts)} accounts"]
    outages = OutageStore(repository)
    delta = (now - SAMPLE_NOW) if now else timedelta(0)
    days = (now.astimezone(KYIV).date() - SAMPLE_NOW.date()) if now else timedelta(0)
    for name, format_ in OUTAGE_FILES:
        origin = Origin(name, f"sample/{name}", "Europe/Kyiv")
        batch = moved(read_file(directory / name, format_, origin), delta, days)
        summary = outages.import_batch(batch, origin.source, at=FETCHED + delta)
        lines.append(f"{name}: {summary}")
    readings = sample_readings(directory / READINGS_FILE, delta)
    stored = ReadingStore(repository).replace_source(f"sample/{READINGS_FILE}", readings)
    lines.append(f"{READINGS_FILE}: {stored} previous meter readings")
    return lines


def sample_readings(path: Path, delta: timedelta = timedelta(0)) -> list[MeterReadingRecord]:
    """The sample's previous readings, moved by ``delta``."""
    with path.open(encoding="utf-8", newline="") as file:
        return [
            MeterReadingRecord(
                account_number=row["account"],
                read_at=datetime.fromisoformat(row["read_at"]).replace(tzinfo=KYIV) + delta,
                values=[int(value) for value in row["values"].split(";")],
                source=f"sample/{path.name}",
            )
            for row in csv.DictReader(file)
        ]


def moved(batch: Batch, delta: timedelta, days: timedelta) -> Batch:
    """The batch with its outages moved by ``delta`` and its schedule days by ``days``."""
    if not delta and not days:
        return batch

    def shift(moment: datetime | None) -> datetime | None:
        return moment + delta if moment is not None else None

    outages = tuple(
        dataclasses.replace(
            outage,
            start=outage.start + delta,
            restorations=tuple(
                dataclasses.replace(r, at=shift(r.at), revised_at=r.revised_at + delta)
                for r in outage.restorations
            ),
        )
        for outage in batch.outages
    )
    schedule = tuple(
        dataclasses.replace(day, day=day.day + days, updated_at=day.updated_at + delta)
        for day in batch.days
    )
    return dataclasses.replace(batch, outages=outages, days=schedule)
