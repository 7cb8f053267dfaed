"""The look-ups a call asks for (identification, outage status, meter readings), answered
from the database.

One ``Lookups`` per configuration snapshot; it opens the database on its first look-up (so
process AGI loads SQLAlchemy only on calls that look something up) and is safe to call from
the FastAGI server's effect threads. Each method answers one effect of ``ivr.flow.effects``.

Accounts are read from the database on every look-up (one round trip). The outage data is
held in memory (``OutageIndex``): at most once a second a look-up asks the database for the
data's version (one round trip) and reloads the index when it changed, so a dispatcher's new
estimate reaches callers within a second, and while one thread reloads the others answer
from the index they have.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ivr.accounts.model import Account
from ivr.outages.index import OutageIndex
from ivr.outages.report import OutageReport
from ivr.store.records import MeterReadingRecord

if TYPE_CHECKING:
    from ivr.store.accounts import AccountStore
    from ivr.store.outages import OutageStore
    from ivr.store.readings import ReadingStore


#: Seconds between two checks of the outage data's version.
CHECK_EVERY = 1.0


@dataclass(frozen=True)
class _Held:
    index: OutageIndex
    stamp: tuple[object, ...]
    updated_at: datetime | None
    checked: float  # time.monotonic() of the last version check


class Lookups:
    def __init__(self, database_url: str, tz: ZoneInfo, check_every: float = CHECK_EVERY) -> None:
        self.database_url = database_url
        self.tz = tz
        self.check_every = check_every
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._stores: tuple[AccountStore, OutageStore, ReadingStore] | None = None
        self._held: _Held | None = None

    def _open(self) -> tuple[AccountStore, OutageStore, ReadingStore]:
        with self._lock:
            if self._stores is None:
                from ivr.store.accounts import AccountStore
                from ivr.store.outages import OutageStore
                from ivr.store.readings import ReadingStore
                from ivr.store.repository import CallRepository

                repository = CallRepository(self.database_url)
                # reads only: no transaction to begin and to roll back (a round trip less)
                repository.engine = repository.engine.execution_options(
                    isolation_level="AUTOCOMMIT"
                )
                self._stores = (
                    AccountStore(repository),
                    OutageStore(repository),
                    ReadingStore(repository),
                )
            return self._stores

    def accounts_by_phone(self, phone: str) -> list[Account]:
        return self._open()[0].by_phone(phone)

    def account(self, number: str | None, eic: str | None) -> Account | None:
        accounts = self._open()[0]
        if number:
            return accounts.by_number(number)
        return accounts.by_eic(eic) if eic else None

    def open_report(self, address_key: str, since: datetime, test: bool) -> str | None:
        from ivr.store.reports import first_open_report

        return first_open_report(self._open()[1].engine, address_key, since, test)

    def last_reading(self, account_number: str, include_test: bool) -> MeterReadingRecord | None:
        return self._open()[2].last(account_number, include_test)

    def outage_report(self, account: Account, at: datetime) -> OutageReport:
        """The active outages at the account's address and groups, and the groups'
        schedules for today and tomorrow (local days of the company's timezone)."""
        held = self._current()
        address = account.address
        active = held.index.active_for(
            address.settlement, address.street, address.house, None, account.groups, at=at
        )
        today = at.astimezone(self.tz).date()
        wanted = [today, today + timedelta(days=1)]
        if held.index.holds(today):
            days = held.index.schedule(account.groups, wanted)
        else:  # a simulated call in the past: not in memory
            days = self._open()[1].schedule(account.groups, wanted)
        return OutageReport(tuple(active), tuple(days), held.updated_at)

    def _current(self) -> _Held:
        """The index, checked against the database's version when it is a second old. The
        first look-up waits for the load; later ones never wait for another's reload."""
        held = self._held
        if held is not None and time.monotonic() - held.checked < self.check_every:
            return held
        if not self._refreshing.acquire(blocking=held is None):
            assert held is not None
            return held
        try:
            held = self._held  # another thread may have loaded it while this one waited
            if held is None or time.monotonic() - held.checked >= self.check_every:
                held = self._refresh(held)
                self._held = held
            return held
        finally:
            self._refreshing.release()

    def _refresh(self, held: _Held | None) -> _Held:
        outages = self._open()[1]
        checked = time.monotonic()
        version = outages.version()
        if held is not None and held.stamp == version.stamp:
            return _Held(held.index, held.stamp, version.updated_at, checked)
        # yesterday too, so that a call just after midnight or simulated a day back is held
        first_day = datetime.now(self.tz).date() - timedelta(days=1)
        active, days = outages.current(first_day)
        return _Held(
            OutageIndex.build(active, days, first_day), version.stamp, version.updated_at, checked
        )
