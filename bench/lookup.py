"""Benchmark: customer registry and outage look-ups over 100 000 fictional accounts.

    python bench/lookup.py                              # SQLite file in a temporary directory
    python bench/lookup.py --db-url postgresql+psycopg://user@host/db   # an empty database
    python bench/lookup.py --accounts 20000 --lookups 2000              # smaller

Seeds the registry through ``AccountStore.replace_all`` (and times it), then times
``by_phone``, ``by_number`` and ``by_eic`` on random keys that are on record and prints
p50/p99/max per look-up. Then it seeds 1 000 active outages (in the accounts' settlement,
half of them on streets the accounts live on, some by group) and a week of hourly schedules
for every group, and times what an outage-status call asks of the database: the caller's
accounts by phone, then the outage report of the account (``Lookups``: its outages and its
groups' schedules for today and tomorrow, and the data's age). Everything is made up.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.accounts.eic import EicError, eic_from_digits  # noqa: E402
from ivr.accounts.model import Account, Address  # noqa: E402
from ivr.outages.batch import Batch  # noqa: E402
from ivr.outages.model import (  # noqa: E402
    Area,
    DayStatus,
    OffInterval,
    Outage,
    OutageKind,
    OutageStatus,
    Restoration,
    ScheduleDay,
)
from ivr.store.accounts import AccountStore  # noqa: E402
from ivr.store.lookups import Lookups  # noqa: E402
from ivr.store.outages import OutageStore  # noqa: E402
from ivr.store.repository import CallRepository  # noqa: E402

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=KYIV)
GROUPS = [f"{q}.{s}" for q in range(1, 7) for s in (1, 2)]


def fictional(count: int, rng: random.Random) -> list[Account]:
    """``count`` accounts; one in ten shares a phone with the one before, one in five has two."""
    accounts = []
    for n in range(count):
        try:
            eic: str | None = eic_from_digits(f"{900_000_000_000 + n:012d}")
        except EicError:  # digits whose check character would be '-'
            eic = None
        phones = [f"+38050{n:07d}"]
        if n % 10 == 9:
            phones = [f"+38050{n - 1:07d}"]
        if n % 5 == 0:
            phones.append(f"+38067{n:07d}")
        accounts.append(
            Account(
                number=f"2{n:09d}",
                eic=eic,
                phones=tuple(phones),
                address=Address("Вигадане", f"вул. Умовна {n % 400}", f"{n % 150 + 1}-А"),
                groups=(f"{rng.randint(1, 6)}.{rng.randint(1, 2)}",),
                zones=rng.choice((1, 1, 2, 3)),
            )
        )
    return accounts


def outage_data(count: int, rng: random.Random, now: datetime = NOW) -> Batch:
    """``count`` active outages and a week of schedules (from yesterday) for every group,
    around ``now``."""
    outages = []
    for n in range(count):
        kind = OutageKind.EMERGENCY if n % 4 else OutageKind.PLANNED
        area = Area("Вигадане", streets=(f"вул. Умовна {rng.randrange(400)}",))
        if n % 10 == 0:  # a group's line, elsewhere: found by the group, not the settlement
            area = Area(f"Інше {n}", groups=(rng.choice(GROUPS),))
        start = now - timedelta(hours=rng.randint(1, 12))
        restoration = Restoration(now + timedelta(hours=rng.randint(1, 8)), start, "bench")
        outages.append(
            Outage(f"B-{n}", kind, area, start, OutageStatus.ACTIVE, (restoration,), "", "bench")
        )
    days = []
    for offset in range(-1, 6):
        day = now.date() + timedelta(days=offset)
        for group in GROUPS:
            start = rng.randrange(0, 1200, 30)
            off = (OffInterval(start, start + 240), OffInterval(1410, 1440))
            days.append(ScheduleDay(group, day, DayStatus.IN_FORCE, off, "bench", now))
    return Batch(tuple(outages), tuple(days))


def timed(label: str, lookup: Callable[[str], object], keys: list[str]) -> None:
    times = []
    for key in keys:
        began = time.perf_counter()
        found = lookup(key)
        times.append((time.perf_counter() - began) * 1000)
        if not found:
            raise SystemExit(f"{label}: nothing found for a key on record")
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"  {label:<10} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {times[-1]:7.2f} ms")


def run(url: str, count: int, lookups: int, outages: int) -> None:
    rng = random.Random(373)
    repository = CallRepository(url)
    repository.ensure_schema()
    store = AccountStore(repository)
    accounts = fictional(count, rng)
    began = time.perf_counter()
    store.replace_all(accounts)
    seeded = time.perf_counter() - began
    phones = sum(len(a.phones) for a in accounts)
    print(f"{repository.engine.url.render_as_string(hide_password=True)}")
    print(f"  seeded {store.count()} accounts, {phones} phone rows in {seeded:.2f} s")
    sample = rng.sample(accounts, min(lookups, count))
    timed("by_phone", store.by_phone, [a.phones[0] for a in sample])
    timed("by_number", store.by_number, [a.number for a in sample])
    timed("by_eic", store.by_eic, [a.eic for a in sample if a.eic])

    began = time.perf_counter()
    data = outage_data(outages, rng)
    OutageStore(repository).import_batch(data, "bench", at=NOW)
    took = time.perf_counter() - began
    print(f"  seeded {len(data.outages)} outages, {len(data.days)} schedule days in {took:.2f} s")
    lookups = Lookups(url, KYIV)
    by_phone = {a.phones[0]: a for a in sample}

    def outage_call(phone: str) -> object:
        found = lookups.accounts_by_phone(phone)
        return found and lookups.outage_report(found[0], NOW)

    report = lookups.outage_report(sample[0], NOW)  # and warm the look-ups' own engine up
    assert report.days, "no schedule for the account's groups"
    timed("outage call", outage_call, list(by_phone))
    repository.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--outages", type=int, default=1_000)
    args = parser.parse_args()
    if args.db_url:
        run(args.db_url, args.accounts, args.lookups, args.outages)
        return
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'registry.sqlite3'}"
        run(url, args.accounts, args.lookups, args.outages)


if __name__ == "__main__":
    main()
