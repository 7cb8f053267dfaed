"""The appeal lifecycle and the back office's queries, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from appeal_support import NOW, World, number, seed

from ivr.store.appeal_queries import AppealFilter, AppealQueries, place_of
from ivr.store.appeals import AppealNumberError, format_appeal_number, parse_appeal_number
from ivr.store.lifecycle import AppealLifecycle, LifecycleError, check_change
from ivr.store.repository import CallRepository, StorageError


@pytest.fixture
def stored(db_url) -> tuple[CallRepository, World]:
    repo = CallRepository(db_url)
    repo.ensure_schema()
    world = seed(repo)
    yield repo, world
    repo.dispose()


def listed(repo: CallRepository, **filters) -> list[str]:
    return [v.record.appeal_number for v in AppealQueries(repo).find(AppealFilter(**filters))]


def history(repo: CallRepository, number: str) -> tuple[str, list[tuple[str, str, str]]]:
    detail = AppealQueries(repo).get(number)
    assert detail is not None
    return detail.view.record.status, [(e.status, e.by, e.note) for e in detail.events]


# -- status changes -------------------------------------------------------------------------


def test_each_change_is_an_event_and_moves_the_appeal(stored):
    repo, world = stored
    lifecycle = AppealLifecycle(repo)
    taken, answered, closed = (NOW + timedelta(hours=h) for h in (1, 5, 30))
    lifecycle.change(world.sadova, "in_progress", "Петренко О.", "бригада виїхала", at=taken)
    event = lifecycle.change(world.sadova, "answered", "Петренко О.", at=answered)
    assert (event.status, event.at, event.note) == ("answered", answered, "")
    lifecycle.change(world.sadova, "closed", "Коваль І.", at=closed)

    detail = AppealQueries(repo).get(world.sadova)
    assert detail.view.record.status == "closed"
    assert (detail.view.answered_at, detail.view.closed_at) == (answered, closed)
    assert [(e.status, e.at, e.by, e.note) for e in detail.events] == [
        ("in_progress", taken, "Петренко О.", "бригада виїхала"),
        ("answered", answered, "Петренко О.", ""),
        ("closed", closed, "Коваль І.", ""),
    ]
    assert listed(repo, status="closed") == [world.sadova]


def test_a_step_may_be_skipped_but_closing_unanswered_needs_a_note(stored):
    repo, world = stored
    lifecycle = AppealLifecycle(repo)
    lifecycle.change(world.lisova, "answered", "Диспетчер")  # registered -> answered
    with pytest.raises(LifecycleError, match="was never answered: closing it needs a note"):
        lifecycle.change(world.meter, "closed", "Коваль І.")
    lifecycle.change(world.meter, "closed", "Коваль І.", "дубль звернення 261201-01-00001-2")
    assert history(repo, world.meter)[0] == "closed"
    assert AppealQueries(repo).get(world.meter).view.answered_at is None


@pytest.mark.parametrize(
    ("steps", "status", "message"),
    [
        ((), "done", "unknown status 'done': use in_progress, answered, closed"),
        ((), "registered", "is already registered"),
        (("in_progress",), "in_progress", "is already in_progress"),
        (("in_progress",), "registered", "is in_progress; it cannot go back to registered"),
        (("answered",), "in_progress", "is answered; it cannot go back to in_progress"),
        (("answered", "closed"), "in_progress", "is closed; it cannot go back to in_progress"),
        (("answered", "closed"), "answered", "is closed; it cannot go back to answered"),
    ],
)
def test_a_change_that_cannot_be_made_is_refused_and_changes_nothing(
    stored, steps, status, message
):
    repo, world = stored
    lifecycle = AppealLifecycle(repo)
    for step in steps:
        lifecycle.change(world.sadova, step, "Петренко О.")
    before = history(repo, world.sadova)
    with pytest.raises(LifecycleError) as refused:
        lifecycle.change(world.sadova, status, "Петренко О.", "нотатка")
    assert message in str(refused.value)
    assert history(repo, world.sadova) == before


def test_bad_input_is_refused_with_a_clear_message(stored):
    repo, world = stored
    lifecycle = AppealLifecycle(repo)
    unknown = number("261201", 9999)  # a valid number nobody registered
    shown = format_appeal_number(unknown)
    with pytest.raises(LifecycleError, match=f"no appeal {shown} in the database"):
        lifecycle.change(unknown, "in_progress", "Петренко О.")
    with pytest.raises(LifecycleError, match=r"--by\) must not be empty"):
        lifecycle.change(world.sadova, "in_progress", "  ")
    with pytest.raises(LifecycleError, match="the note is 501 characters long; at most 500"):
        lifecycle.change(world.sadova, "in_progress", "Петренко О.", "я" * 501)
    with pytest.raises(LifecycleError, match="is before the appeal's last change"):
        lifecycle.change(world.sadova, "in_progress", "Петренко О.", at=NOW - timedelta(days=1))
    assert history(repo, world.sadova) == ("registered", [])


def test_two_changes_at_once_cannot_both_win(stored, monkeypatch):
    """Someone else moves the appeal between our look and our update: ours is refused."""
    import ivr.store.lifecycle as lifecycle_module

    repo, world = stored
    other = CallRepository(repo.url)
    checked = lifecycle_module.check_change

    def meanwhile(number, current, new, note=""):
        monkeypatch.setattr(lifecycle_module, "check_change", checked)
        AppealLifecycle(other).change(number, "answered", "Коваль І.")
        return checked(number, current, new, note)

    monkeypatch.setattr(lifecycle_module, "check_change", meanwhile)
    with pytest.raises(LifecycleError, match="was changed by someone else just now"):
        AppealLifecycle(repo).change(world.sadova, "in_progress", "Петренко О.")
    assert history(repo, world.sadova) == ("answered", [("answered", "Коваль І.", "")])
    other.dispose()


def test_check_change_knows_the_order():
    appeal = "26120101000012"
    assert check_change(appeal, "registered", "in_progress") == "in_progress"
    assert check_change(appeal, "in_progress", "closed", "відкликано") == "closed"
    with pytest.raises(LifecycleError, match="status unknown here: 'lost'"):
        check_change(appeal, "lost", "closed")


# -- appeal numbers as typed ----------------------------------------------------------------


@pytest.mark.parametrize("typed", ["26120101000012", "261201-01-00001-2", " 261201 01 00001 2 "])
def test_an_appeal_number_may_be_typed_with_or_without_dashes(typed):
    assert parse_appeal_number(typed) == "26120101000012"
    assert format_appeal_number(parse_appeal_number(typed)) == "261201-01-00001-2"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("261201-01-00001-3", "its check digit (the last) does not match"),
        ("261201-01-0001-2", "13 digits, expected 14"),
        ("261201/01/00001/2", "only digits, with or without dashes"),
        ("", "only digits"),
        ("２６１２０１０１００００１３", "only digits"),  # full-width digits
    ],
)
def test_a_mistyped_appeal_number_is_explained(typed, message):
    with pytest.raises(AppealNumberError, match=re.escape(message)):
        parse_appeal_number(typed)


# -- queries --------------------------------------------------------------------------------


def test_list_filters_and_counts_the_linked_reports(stored):
    repo, world = stored
    everything = AppealQueries(repo).find(AppealFilter())
    # oldest first, the test call's appeal left out
    assert [v.record.appeal_number for v in everything] == world.real
    reports = {v.record.appeal_number: v.reports for v in everything}
    assert reports[world.sadova] == 3 and reports[world.old_report] == 2
    assert reports[world.lisova] == 1
    assert listed(repo, kind="meter_reading") == [world.meter]
    assert listed(repo, topic="D5") == [world.meter]
    assert listed(repo, kind="outage_report", topic="D5") == []
    assert listed(repo, include_test=True)[:2] == [world.overdue, world.test]
    today = NOW.replace(hour=0)
    assert listed(repo, since=today) == [world.sadova, world.sadova_14, world.lisova, world.meter]
    assert listed(repo, until=today) == [world.overdue, world.old_report]
    assert listed(repo, since=NOW - timedelta(days=4), until=today) == [world.old_report]


def test_the_overdue_view_shows_open_appeals_past_their_deadline(stored):
    repo, world = stored
    assert listed(repo, overdue_at=NOW) == [world.overdue]
    assert listed(repo, overdue_at=NOW, include_test=True) == [world.overdue, world.test]
    in_a_month = NOW + timedelta(days=31)
    assert world.sadova in listed(repo, overdue_at=in_a_month)
    AppealLifecycle(repo).change(world.overdue, "in_progress", "Петренко О.")
    assert listed(repo, overdue_at=NOW) == [world.overdue]  # in progress is still open
    AppealLifecycle(repo).change(world.overdue, "answered", "Петренко О.")
    assert listed(repo, overdue_at=NOW) == []
    [view] = [
        v
        for v in AppealQueries(repo).find(AppealFilter())
        if v.record.appeal_number == world.overdue
    ]
    assert not view.overdue(NOW) and view.answered_at > view.record.due_at  # answered late


def test_one_appeal_with_its_links_and_readings(stored):
    repo, world = stored
    queries = AppealQueries(repo)
    sadova = queries.get(world.sadova)
    assert sadova.view.record.address == "Вишневе, вул. Садова, 12-А"
    assert sadova.view.record.details == {"answer": "1"}
    assert [link.caller_number for link in sadova.linked] == ["+380500000000", "+380500000001"]
    assert sadova.view.reports == 3 and sadova.readings == [] and sadova.events == []
    meter = queries.get(world.meter)
    assert [r.values for r in meter.readings] == [[1200, 340]]
    assert queries.get(number("261201", 9999)) is None


def test_outage_reports_per_street_most_first(stored):
    repo, world = stored
    streets = AppealQueries(repo).outage_reports(NOW - timedelta(hours=24))
    summary = [(s.street_key, s.place, s.reports, s.houses) for s in streets]
    assert summary == [
        # 12-А: today's report and its 2 links, and 1 link to the old report; 14: 1 report
        ("вишневе|садова", "Вишневе, вул. Садова", 5, 2),
        ("вишневе|лісова", "Вишневе, вул. Лісова", 1, 1),
    ]
    sadova = streets[0]
    assert sadova.first == NOW - timedelta(hours=4, minutes=-2)
    assert sadova.last == NOW - timedelta(hours=2, minutes=-2)
    since_two_and_a_half_hours = AppealQueries(repo).outage_reports(NOW - timedelta(minutes=150))
    assert [(s.place, s.reports) for s in since_two_and_a_half_hours] == [
        ("Вишневе, вул. Садова", 2),  # 14, and the old report's house linked again
        ("Вишневе, вул. Лісова", 1),
    ]
    assert AppealQueries(repo).outage_reports(NOW) == []


def test_place_of_an_address():
    assert place_of("Вишневе, вул. Садова, 12-А") == "Вишневе, вул. Садова"
    assert place_of("Гатне, 5") == "Гатне"
    assert place_of(None) is None


def test_a_database_behind_this_ivr_is_named(tmp_path):
    from alembic import command

    from ivr.store.repository import alembic_config

    repo = CallRepository(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with pytest.raises(StorageError, match="has no IVR tables"):
        repo.check_schema_current()
    with repo.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0007")
    with pytest.raises(StorageError, match="schema revision 0007, this ivr needs 0012"):
        repo.check_schema_current()
    repo.ensure_schema()
    repo.check_schema_current()
    assert "ix_appeal_links_linked_at" in {
        i["name"] for i in sa.inspect(repo.engine).get_indexes("appeal_links")
    }
    repo.dispose()


def test_times_come_back_timezone_aware(stored):
    repo, world = stored
    [street, _] = AppealQueries(repo).outage_reports(datetime(2026, 1, 1, tzinfo=UTC))[:2]
    assert street.first.tzinfo is not None and street.last.tzinfo is not None
