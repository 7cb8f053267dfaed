"""The fictional sample data (``examples/sample/``) loaded into a database, for testers:
``ivr simulate --seed-sample`` walks identification and outage status against it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ivr.accounts.csv_import import read_accounts
from ivr.outages.batch import Origin
from ivr.outages.formats import read_file
from ivr.store.accounts import AccountStore
from ivr.store.outages import OutageStore
from ivr.store.repository import CallRepository

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "sample"
KYIV = ZoneInfo("Europe/Kyiv")
#: When the sample outage data counts as fetched: try ``--at 2026-12-01T12:00`` for fresh data
#: and ``--at 2026-12-01T18:00`` for data older than the shipped 30 minutes.
FETCHED = datetime(2026, 12, 1, 11, 45, tzinfo=KYIV)
#: The outage files loaded, with their formats (the DTEK file repeats the Yasno schedule).
OUTAGE_FILES = (("outages.json", "json"), ("yasno.json", "yasno"))


def seed_sample(repository: CallRepository, directory: Path = SAMPLE_DIR) -> list[str]:
    """Load the sample accounts (upserted) and outage files; one summary line per file."""
    accounts = read_accounts(directory / "accounts.csv")
    lines = [f"accounts.csv: {AccountStore(repository).upsert(accounts)} accounts"]
    outages = OutageStore(repository)
    for name, format_ in OUTAGE_FILES:
        origin = Origin(name, f"sample/{name}", "Europe/Kyiv")
        batch = read_file(directory / name, format_, origin)
        lines.append(f"{name}: {outages.import_batch(batch, origin.source, at=FETCHED)}")
    return lines
