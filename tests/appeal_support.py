"""A small world of appeals for the lifecycle, query and ``ivr appeals`` tests: stored as
the IVR stores them, with the calls they came from (``CallRepository.save_call``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from test_storage import make_record

from ivr.store.appeals import luhn_digit
from ivr.store.records import AppealLinkRecord, AppealRecord, MeterReadingRecord
from ivr.store.repository import CallRepository

#: The moment the store tests look from: 1 December 2026, 14:00 Kyiv time.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KYIV = ZoneInfo("Europe/Kyiv")


def number(day: str, sequence: int) -> str:
    """A valid appeal number of server 01."""
    body = f"{day}01{sequence:05d}"
    return body + luhn_digit(body)


@dataclass(frozen=True)
class World:
    """The numbers of the stored appeals, by what they are."""

    overdue: str  # an operator appeal (D1) of 60 days ago: due 30 days ago, not answered
    sadova: str  # an outage report on вул. Садова, 12-А, with two linked reports
    sadova_14: str  # another house of that street
    lisova: str  # an outage report on вул. Лісова
    meter: str  # a meter reading (D5) with its reading
    old_report: str  # an outage report of 3 days ago on Садова, 12-А, linked again today
    test: str  # a simulated call's operator appeal, overdue as well

    @property
    def real(self) -> list[str]:
        """Every appeal but the test call's, in the order of registration."""
        return [self.overdue, self.old_report, self.sadova, self.sadova_14, self.lisova, self.meter]


def appeal(
    call, appeal_number: str, kind: str, registered_at: datetime, topic: str = "D1", **more
) -> AppealRecord:
    values = dict(
        appeal_number=appeal_number,
        call_uid=call.call_uid,
        kind=kind,
        channel="phone",
        role="dso",
        topic_code=topic,
        topic_label={"D1": "Відсутність електропостачання", "D5": "Передача показів"}[topic],
        caller_number=call.caller_number,
        caller_raw=call.caller_raw,
        registered_at=registered_at,
        due_at=registered_at + timedelta(days=30),
    )
    values.update(more)
    return AppealRecord(**values)


def call_at(uid: str, at: datetime, **changes):
    """A call that started at ``at`` and ended 2 minutes later."""
    ended = at + timedelta(minutes=2)
    return make_record(uid.ljust(32, "0"), started_at=at, ended_at=ended, **changes)


def house(street: str, name: str, number_: str) -> dict[str, str]:
    return {
        "address": f"Вишневе, {street}, {number_}",
        "address_key": f"вишневе|{name}|{number_.replace('-', '')}",
        "street_key": f"вишневе|{name}",
    }


def seed(repo: CallRepository, now: datetime = NOW) -> World:
    """Store the world as it is at ``now`` (the last reports two hours before); returns its
    numbers."""
    today = now - timedelta(hours=4)

    def numbered(at: datetime, sequence: int) -> str:
        return number(at.astimezone(KYIV).strftime("%y%m%d"), sequence)

    months_ago = now - timedelta(days=60)
    days_ago = now - timedelta(days=3)
    world = World(
        overdue=numbered(months_ago, 1),
        sadova=numbered(today, 1),
        sadova_14=numbered(today, 2),
        lisova=numbered(today, 3),
        meter=numbered(today, 4),
        old_report=numbered(days_ago, 1),
        test=numbered(months_ago, 2),
    )
    calls = []

    first = call_at("overdue", months_ago)
    first.appeals = [appeal(first, world.overdue, "operator", first.ended_at)]
    calls.append(first)

    sadova = house("вул. Садова", "садова", "12-А")
    report = call_at("sadova", today, account_number="2010000001")
    report.appeals = [
        appeal(
            report,
            world.sadova,
            "outage_report",
            report.ended_at,
            account_number="2010000001",
            details={"answer": "1"},
            **sadova,
        )
    ]
    calls.append(report)
    for i, minutes in enumerate((20, 60)):
        again = call_at(f"again{i}", today + timedelta(minutes=minutes))
        again.caller_number = f"+38050000000{i}"
        again.links = [
            AppealLinkRecord(world.sadova, again.call_uid, again.caller_number, again.ended_at)
        ]
        calls.append(again)

    neighbour = call_at("sadova14", today + timedelta(minutes=90))
    at_14 = house("вул. Садова", "садова", "14")
    neighbour.appeals = [
        appeal(neighbour, world.sadova_14, "outage_report", neighbour.ended_at, **at_14)
    ]
    calls.append(neighbour)

    lisova = call_at("lisova", today + timedelta(minutes=100))
    at_lisova = house("вул. Лісова", "лісова", "3")
    lisova.appeals = [appeal(lisova, world.lisova, "outage_report", lisova.ended_at, **at_lisova)]
    calls.append(lisova)

    meter = call_at("meter", today + timedelta(minutes=110))
    meter.appeals = [
        appeal(
            meter,
            world.meter,
            "meter_reading",
            meter.ended_at,
            topic="D5",
            account_number="2010000002",
        )
    ]
    meter.readings = [
        MeterReadingRecord("2010000002", meter.ended_at, [1200, 340], "ivr", world.meter)
    ]
    calls.append(meter)

    old = call_at("old", days_ago)
    old.appeals = [appeal(old, world.old_report, "outage_report", old.ended_at, **sadova)]
    calls.append(old)
    late = call_at("late", today + timedelta(minutes=120))
    late.links = [
        AppealLinkRecord(world.old_report, late.call_uid, late.caller_number, late.ended_at)
    ]
    calls.append(late)

    simulated = call_at("test", months_ago + timedelta(hours=1), test=True)
    simulated.appeals = [appeal(simulated, world.test, "operator", simulated.ended_at)]
    calls.append(simulated)

    for call in calls:
        assert repo.save_call(call)
    return world
