"""Callers' reports counted on an outage (``ivr.outages.reported``, ``ivr.store.reports``),
the store part on SQLite and PostgreSQL, and the count in ``ivr outages list``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from appeal_support import appeal
from test_storage import make_record

from ivr.accounts.addresses import address_keys
from ivr.accounts.model import Address
from ivr.outages.model import Area, Outage, OutageKind, OutageStatus
from ivr.outages.reported import reports_on
from ivr.store.records import AppealLinkRecord
from ivr.store.reports import report_moments
from ivr.store.repository import CallRepository

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WINDOW = timedelta(hours=2)


def outage(**area) -> Outage:
    return Outage("A-1", OutageKind.EMERGENCY, Area(**area), START, OutageStatus.ACTIVE, ())


def street(settlement: str, name: str) -> str:
    return address_keys(Address(settlement, name, "1"))[1]


REPORTS = [
    (street("Калинове", "вул. Мрійна"), START - timedelta(hours=1)),  # before: in the window
    (street("Калинове", "Мрійна"), START + timedelta(minutes=5)),  # another spelling
    (street("Калинове", "вул. Вигадана"), START),  # another street
    (street("Калинове", "вул. Мрійна"), START - timedelta(hours=3)),  # too early
    (street("Вербівка", "вул. Мрійна"), START),  # another settlement
]


def test_reports_on_the_outages_streets_or_settlement_are_counted():
    assert reports_on(outage(settlement="м. Калинове", streets=("Мрійна",)), REPORTS, WINDOW) == 2
    assert reports_on(outage(settlement="Калинове"), REPORTS, WINDOW) == 3  # the whole town
    assert reports_on(outage(settlement="Інше"), REPORTS, WINDOW) == 0
    # a feeder's or a group's outage has no streets to count reports by
    assert reports_on(outage(settlement="Калинове", feeder="Ф-1"), REPORTS, WINDOW) == 0


def test_report_moments_are_first_and_linked_reports(db_url):
    repository = CallRepository(db_url)
    repository.ensure_schema()
    key, on_street = address_keys(Address("Калинове", "вул. Мрійна", "3"))
    first = make_record("a" * 32)
    report = appeal(first, "26120101000012", "outage_report", START)
    report.address_key, report.street_key = key, on_street
    first.appeals = [report]
    second = make_record("b" * 32)
    later = START + timedelta(minutes=20)
    second.links = [AppealLinkRecord("26120101000012", second.call_uid, None, later)]
    tested = make_record("c" * 32, test=True)
    tested.links = [AppealLinkRecord("26120101000012", tested.call_uid, None, later)]
    for record in (first, second, tested):
        assert repository.save_call(record)
    moments = report_moments(repository.engine, START - WINDOW)
    assert sorted(moments) == [(on_street, START), (on_street, later)]
    assert len(report_moments(repository.engine, START - WINDOW, include_test=True)) == 3
    assert report_moments(repository.engine, later + timedelta(seconds=1)) == []
    repository.dispose()
