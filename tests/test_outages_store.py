"""The outage store on SQLite and PostgreSQL: imports with history, dispatchers, look-ups."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.outages.batch import Batch, Origin
from ivr.outages.dtek import parse_dtek
from ivr.outages.index import OutageIndex
from ivr.outages.intervals import periods
from ivr.outages.model import Area, DayStatus, Outage, OutageKind, OutageStatus, Restoration
from ivr.outages.yasno import parse_yasno
from ivr.store.outages import OutageError, OutageStore, RestorationBeforeStart
from ivr.store.repository import CallRepository

KYIV = ZoneInfo("Europe/Kyiv")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=KYIV)


@pytest.fixture
def store(db_url):
    repository = CallRepository(db_url)
    repository.ensure_schema()
    yield OutageStore(repository)
    repository.dispose()


NOON = datetime(2026, 12, 1, 12, tzinfo=KYIV)
EIGHT = datetime(2026, 12, 1, 8, tzinfo=KYIV)


def outage(id_="E-1", restoration=NOON, revised=EIGHT, **area) -> Outage:
    return Outage(
        id_,
        OutageKind.EMERGENCY,
        Area(**{"settlement": "Вишневе", **area}),
        at(2026, 12, 1, 7, 55),
        OutageStatus.ACTIVE,
        (Restoration(restoration, revised, "disp"),),
        "Пошкодження лінії",
        "disp",
    )


def test_reimporting_changes_nothing_and_a_new_estimate_is_a_revision(store):
    first = store.import_batch(Batch(outages=(outage(), outage("E-2"))), "disp")
    assert (first.added, first.revised, first.unchanged) == (2, 0, 0)
    again = store.import_batch(Batch(outages=(outage(), outage("E-2"))), "disp")
    assert (again.added, again.revised, again.unchanged) == (0, 0, 2)
    later = outage(restoration=at(2026, 12, 1, 15), revised=at(2026, 12, 1, 11, 40))
    summary = store.import_batch(Batch(outages=(later,)), "disp")
    assert (summary.added, summary.revised, summary.unchanged) == (0, 1, 0)
    assert summary.missing == ("E-2",)  # not deleted: named
    (stored,) = [o for o in store.list() if o.id == "E-1"]
    assert [r.at for r in stored.restorations] == [at(2026, 12, 1, 12), at(2026, 12, 1, 15)]
    assert stored.revised_at == at(2026, 12, 1, 11, 40)
    assert {o.id for o in store.list()} == {"E-1", "E-2"}


def test_dispatcher_operations(store):
    store.add(outage())
    with pytest.raises(OutageError, match='outage "E-1" of disp already exists'):
        store.add(outage())
    updated = store.update(
        "disp",
        "E-1",
        restoration=at(2026, 12, 1, 16),
        note="Бригада на місці",
        at=at(2026, 12, 1, 10),
    )
    assert updated.restoration == at(2026, 12, 1, 16) and updated.note == "Бригада на місці"
    assert updated.revised_at == at(2026, 12, 1, 10)
    restored = store.restore("disp", "E-1", at=at(2026, 12, 1, 14, 20))
    assert restored.status is OutageStatus.RESTORED
    assert restored.restoration == at(2026, 12, 1, 14, 20)
    assert store.list() == [] and [o.id for o in store.list(active_only=False)] == ["E-1"]
    with pytest.raises(OutageError, match='no outage "E-9" of disp'):
        store.update("disp", "E-9", note="x")
    # an estimate not after the start: refused on adding as on revising, nothing stored
    with pytest.raises(RestorationBeforeStart, match="must be after its start"):
        store.add(outage("E-3", restoration=at(2026, 12, 1, 7, 55)))
    with pytest.raises(RestorationBeforeStart, match="must be after its start"):
        store.update("disp", "E-1", restoration=at(2026, 12, 1, 7, 0))
    assert [o.id for o in store.list(active_only=False)] == ["E-1"]


class _Indexed:
    """The in-memory index of the store's current data, asked what the store is asked."""

    def __init__(self, store: OutageStore) -> None:
        self.store = store

    def active_for(self, *args, at, **query):
        active, days = self.store.current(date(2026, 11, 30))
        return OutageIndex.build(active, days, date(2026, 11, 30)).active_for(*args, at=at, **query)


@pytest.fixture(params=["store", "index"])
def answers(request, store):
    """The look-up's answers from the database (``OutageStore``) and from memory
    (``OutageIndex``): the two must agree."""
    return store if request.param == "store" else _Indexed(store)


def test_active_for_a_house_a_feeder_or_a_group(store, answers):
    store.import_batch(
        Batch(
            outages=(
                outage("whole", settlement="м. Вишневе"),
                outage("street", streets=("вул. Садова",)),
                outage("houses", streets=("Садова",), houses=("12-А", "14")),
                outage("feeder", settlement="Зоряне", feeder="Ф-12"),
                outage("group", settlement="Зоряне", groups=("3.1",)),
            )
        ),
        "disp",
    )
    now = at(2026, 12, 1, 9)

    def ids(**query) -> list[str]:
        return sorted(o.id for o in answers.active_for(at=now, **query))

    assert ids(settlement="Вишневе", street="Садова", house="12а") == ["houses", "street", "whole"]
    assert ids(settlement="Вишневе", street="вулиця Садова", house="16") == ["street", "whole"]
    assert ids(settlement="Вишневе", street="Лісова", house="1") == ["whole"]
    assert ids(settlement="Зоряне", street="Лісова", house="1") == ["feeder", "group"]
    assert ids(settlement="Інше", street="Лісова", house="1") == []
    assert ids(feeder="Ф-12") == ["feeder"]
    assert ids(settlement="Інше", groups=("3.1", "3.2")) == ["group"]
    assert answers.active_for(settlement="Вишневе", at=at(2026, 12, 1, 7)) == []  # not begun
    store.restore("disp", "street", at=at(2026, 12, 1, 9, 30))
    assert ids(settlement="Вишневе", street="Садова", house="12а") == ["houses", "whole"]


def test_planned_works_after_their_window_are_not_active(store, answers):
    planned = replace(outage("P-1"), kind=OutageKind.PLANNED)
    store.add(planned)
    assert [o.id for o in answers.active_for("Вишневе", at=at(2026, 12, 1, 11))] == ["P-1"]
    assert answers.active_for("Вишневе", at=at(2026, 12, 1, 13)) == []


YASNO = {
    "1.1": {
        "today": {
            "date": "2026-12-01T00:00:00+02:00",
            "status": "ScheduleApplies",
            "slots": [
                {"start": 0, "end": 240, "type": "NotPlanned"},
                {"start": 240, "end": 360, "type": "Definite"},
                {"start": 360, "end": 480, "type": "Definite"},
                {"start": 480, "end": 1410, "type": "NotPlanned"},
                {"start": 1410, "end": 1440, "type": "Definite"},
            ],
        },
        "tomorrow": {
            "date": "2026-12-02T00:00:00+02:00",
            "status": "WaitingForSchedule",
            "slots": [{"start": 0, "end": 210, "type": "Definite"}],
        },
        "updatedOn": "2026-12-01T07:32:37+00:00",
    }
}
DTEK = {
    "data": {
        "1796076000": {
            "GPV2.1": {"7": "no", "8": "no", "9": "first", "22": "second", "23": "no", "24": "no"}
        },
        "1796162400": {"GPV2.1": {"1": "no", "2": "first"}},
    },
    "update": "01.12.2026 09:06",
    "today": 1796076000,
}


def test_importing_yasno_and_dtek_gives_the_intervals_a_person_reads(store):
    yasno = parse_yasno(json.dumps(YASNO), Origin("yasno.json", "yasno"))
    dtek = parse_dtek(json.dumps(DTEK), Origin("dtek.json", "dtek"))
    assert store.import_batch(yasno, "yasno").added == 2
    assert store.import_batch(dtek, "dtek").added == 2
    days = [date(2026, 12, 1), date(2026, 12, 2)]
    said = {
        group: [
            (p.start.strftime("%d %H:%M"), p.end.strftime("%d %H:%M"), p.provisional)
            for p in periods(store.schedule([group], days), KYIV, at(2026, 12, 1, 0))
        ]
        for group in ("1.1", "2.1")
    }
    assert said == {
        # 04:00-08:00 today; 23:30 today to 03:30 tomorrow, tomorrow not yet approved
        "1.1": [("01 04:00", "01 08:00", False), ("01 23:30", "02 03:30", True)],
        # hours 7, 8 and the first half of 9: 06:00-08:30; 21:30 to 01:30 tomorrow
        "2.1": [("01 06:00", "01 08:30", False), ("01 21:30", "02 01:30", False)],
    }


def test_a_changed_day_is_a_new_version_and_the_latest_is_current(store):
    store.import_batch(parse_yasno(json.dumps(YASNO), Origin("y", "yasno")), "yasno")
    changed = json.loads(json.dumps(YASNO))
    changed["1.1"]["tomorrow"]["status"] = "ScheduleApplies"
    changed["1.1"]["updatedOn"] = "2026-12-01T18:00:00+00:00"
    summary = store.import_batch(parse_yasno(json.dumps(changed), Origin("y", "yasno")), "yasno")
    assert (summary.added, summary.revised, summary.unchanged) == (0, 1, 1)
    today, tomorrow = store.schedule(["1.1"], [date(2026, 12, 1), date(2026, 12, 2)])
    assert tomorrow.status is DayStatus.IN_FORCE
    assert tomorrow.updated_at == datetime(2026, 12, 1, 18, tzinfo=UTC)
    assert today.updated_at == datetime(2026, 12, 1, 7, 32, 37, tzinfo=UTC)


def test_updated_at_is_when_the_data_last_changed(store):
    assert store.updated_at() is None
    before = datetime.now(UTC)
    store.add(outage())
    moment = store.updated_at()
    assert moment is not None and moment >= before.replace(microsecond=0)
    store.import_batch(Batch(outages=(outage(),)), "disp")
    assert store.updated_at() == moment  # nothing changed
