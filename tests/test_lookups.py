"""The call's look-ups (``ivr.store.lookups``) on SQLite and PostgreSQL: the outage data held
in memory follows every change in the database within the check interval."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.accounts.model import Account, Address
from ivr.outages.batch import Batch
from ivr.outages.model import (
    Area,
    DayStatus,
    OffInterval,
    Outage,
    OutageKind,
    OutageStatus,
    Restoration,
    ScheduleDay,
)
from ivr.store.accounts import AccountStore
from ivr.store.lookups import Lookups
from ivr.store.outages import OutageStore
from ivr.store.repository import CallRepository

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime.now(KYIV).replace(microsecond=0)
TODAY = NOW.date()
ACCOUNT = Account(
    number="1000000001",
    eic=None,
    phones=("+380501112233",),
    address=Address("Вишневе", "вул. Садова", "12-А"),
    groups=("3.1",),
)


def emergency(id_: str, street: str = "Садова", hours: int = 3) -> Outage:
    start = NOW - timedelta(hours=1)
    return Outage(
        id_,
        OutageKind.EMERGENCY,
        Area("Вишневе", streets=(street,)),
        start,
        OutageStatus.ACTIVE,
        (Restoration(NOW + timedelta(hours=hours), start, "disp"),),
        "",
        "disp",
    )


def day(group: str, on: date, off: tuple[OffInterval, ...]) -> ScheduleDay:
    return ScheduleDay(group, on, DayStatus.IN_FORCE, off, "yasno", NOW)


@pytest.fixture
def stores(db_url):
    repository = CallRepository(db_url)
    repository.ensure_schema()
    AccountStore(repository).replace_all([ACCOUNT])
    yield db_url, OutageStore(repository)
    repository.dispose()


def test_every_change_is_heard_at_the_next_check(stores):
    url, store = stores
    lookups = Lookups(url, KYIV, check_every=0)
    report = lookups.outage_report(ACCOUNT, NOW)
    assert report.outages == () and report.days == () and report.updated_at is None

    store.add(emergency("E-1"))
    store.add(emergency("E-2", street="Лісова"))  # not the caller's street
    report = lookups.outage_report(ACCOUNT, NOW)
    assert [o.id for o in report.outages] == ["E-1"] and report.updated_at is not None

    later = NOW + timedelta(hours=5)
    store.update("disp", "E-1", restoration=later)
    assert lookups.outage_report(ACCOUNT, NOW).outages[0].restoration == later

    store.update("disp", "E-1", note="Бригада на місці")  # no new row: a later change
    assert lookups.outage_report(ACCOUNT, NOW).outages[0].note == "Бригада на місці"

    off = (OffInterval(600, 840),)
    store.import_batch(Batch(days=(day("3.1", TODAY, off), day("4.1", TODAY, off))), "yasno")
    (held,) = lookups.outage_report(ACCOUNT, NOW).days
    assert (held.group, held.day, held.off) == ("3.1", TODAY, off)
    changed = (OffInterval(600, 720),)
    store.import_batch(Batch(days=(day("3.1", TODAY, changed),)), "yasno")
    assert lookups.outage_report(ACCOUNT, NOW).days[0].off == changed  # the latest version

    store.restore("disp", "E-1")
    assert lookups.outage_report(ACCOUNT, NOW).outages == ()


def test_the_index_is_reloaded_only_after_the_check_interval(stores):
    url, store = stores
    lookups = Lookups(url, KYIV, check_every=3600)
    assert lookups.outage_report(ACCOUNT, NOW).outages == ()
    store.add(emergency("E-1"))
    assert lookups.outage_report(ACCOUNT, NOW).outages == ()  # held for the interval
    lookups.check_every = 0
    assert [o.id for o in lookups.outage_report(ACCOUNT, NOW).outages] == ["E-1"]


def test_a_day_before_the_held_ones_is_read_from_the_database(stores):
    url, store = stores
    week_ago = TODAY - timedelta(days=7)
    off = (OffInterval(0, 240),)
    store.import_batch(Batch(days=(day("3.1", week_ago, off),)), "yasno")
    report = Lookups(url, KYIV).outage_report(ACCOUNT, NOW - timedelta(days=7))
    assert [(d.day, d.off) for d in report.days] == [(week_ago, off)]


def test_callers_do_not_wait_for_another_threads_reload(stores, monkeypatch):
    url, store = stores
    lookups = Lookups(url, KYIV, check_every=0)
    lookups.outage_report(ACCOUNT, NOW)  # loaded once
    store.add(emergency("E-1"))
    entered, release = threading.Event(), threading.Event()
    current = OutageStore.current

    def slow_current(self, first_day):
        entered.set()
        release.wait(10)
        return current(self, first_day)

    monkeypatch.setattr(OutageStore, "current", slow_current)
    reloading = threading.Thread(target=lookups.outage_report, args=(ACCOUNT, NOW))
    reloading.start()
    assert entered.wait(10)
    assert lookups.outage_report(ACCOUNT, NOW).outages == ()  # the index it has, at once
    release.set()
    reloading.join(10)
    assert [o.id for o in lookups.outage_report(ACCOUNT, NOW).outages] == ["E-1"]


def test_accounts_are_found_with_all_their_phones_and_groups(stores):
    url, _ = stores
    repository = CallRepository(url)
    two = replace(
        ACCOUNT,
        number="1000000002",
        phones=("+380501112233", "+380671112233"),
        groups=("1.2", "3.1"),
    )
    AccountStore(repository).upsert([two])
    repository.dispose()
    lookups = Lookups(url, KYIV)
    assert lookups.accounts_by_phone("+380501112233") == [ACCOUNT, two]
    assert lookups.accounts_by_phone("+380671112233") == [two]
    assert lookups.account("1000000002", None) == two
    assert lookups.account("1000000009", None) is None


def test_the_registry_phones_are_held_and_follow_every_import(stores):
    """A caller not on record costs no query: the registry's phone numbers are held in
    memory and read again once an import has counted the registry's version up."""
    url, _ = stores
    repository = CallRepository(url)
    accounts = AccountStore(repository)
    before = accounts.version()
    lookups = Lookups(url, KYIV, check_every=3600, hold_phones_after=0)
    new = replace(ACCOUNT, number="1000000002", phones=("+380931112233",))
    assert lookups.accounts_by_phone(new.phones[0]) == []
    accounts.upsert([new])
    assert accounts.version() == before + 1
    assert lookups.accounts_by_phone(new.phones[0]) == []  # held for the interval
    lookups.check_every = 0
    assert [a.number for a in lookups.accounts_by_phone(new.phones[0])] == [new.number]
    moved = replace(new, phones=("+380671234567",))
    accounts.replace_all([moved])
    assert accounts.version() == before + 2
    assert lookups.accounts_by_phone(new.phones[0]) == []
    assert lookups.accounts_by_phone(ACCOUNT.phones[0]) == []  # replaced: gone
    assert [a.number for a in lookups.accounts_by_phone("+380671234567")] == [new.number]
    repository.dispose()


def test_an_import_counts_the_version_up_even_without_its_row(stores):
    url, _ = stores
    repository = CallRepository(url)
    with repository.engine.begin() as connection:
        import sqlalchemy as sa

        connection.execute(sa.text("DELETE FROM registry_state"))
    accounts = AccountStore(repository)
    assert accounts.version() == 0
    accounts.upsert([ACCOUNT])
    assert accounts.version() == 1
    assert accounts.phones() == frozenset(ACCOUNT.phones)
    repository.dispose()


def test_the_first_look_ups_by_phone_are_queries(stores):
    """Until ``hold_phones_after`` look-ups, each one is a query (a process-AGI call never
    loads the registry's phone numbers); after that a number not on record costs none."""
    url, _ = stores
    repository = CallRepository(url)
    accounts = AccountStore(repository)
    lookups = Lookups(url, KYIV, check_every=3600, hold_phones_after=2)
    new = replace(ACCOUNT, number="1000000003", phones=("+380631112233",))
    assert lookups.accounts_by_phone(new.phones[0]) == []
    accounts.upsert([new])
    assert [a.number for a in lookups.accounts_by_phone(new.phones[0])] == [new.number]  # queried
    assert lookups.accounts_by_phone("+380991112233") == []  # the set is loaded now
    newer = replace(ACCOUNT, number="1000000004", phones=("+380731112233",))
    accounts.upsert([newer])
    assert lookups.accounts_by_phone(newer.phones[0]) == []  # held for the interval
    repository.dispose()
