"""The console's outages page on SQLite and PostgreSQL: a dispatcher adds an outage, gives
a new restoration time, restores and cancels; bad times, stale forms and bad files are
refused in Ukrainian and change nothing; every change is in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from console_support import ConsoleClient

from ivr.outages.model import Area, Outage, OutageKind, OutageStatus, Restoration
from ivr.store.audit import AuditFilter, AuditLog
from ivr.store.outages import OutageStore

KYIV_FORMAT = "%Y-%m-%dT%H:%M"


def _store(client: ConsoleClient) -> OutageStore:
    return OutageStore(client.state.repository)


def _local(moment: datetime, client: ConsoleClient) -> str:
    return moment.astimezone(client.state.config.company.tz).strftime(KYIV_FORMAT)


@pytest.fixture
def outage(console_client: ConsoleClient) -> Outage:
    now = datetime.now(UTC)
    return _store(console_client).add(
        Outage(
            "A-17",
            OutageKind.EMERGENCY,
            Area("Вишневе", ("вул. Святошинська",)),
            now - timedelta(hours=1),
            OutageStatus.ACTIVE,
            (Restoration(now + timedelta(hours=2), now, "dispatcher"),),
            "",
            "dispatcher",
        )
    )


def _change(client: ConsoleClient, outage: Outage, **fields: str):
    return client.form(
        "/outages",
        "/outages/update",
        {
            "source": outage.source,
            "outage_id": outage.id,
            "changed": outage.changed_at.isoformat(),
            **fields,
        },
    )


def test_a_dispatcher_gives_a_new_restoration_time_and_it_is_audited(
    console_client: ConsoleClient, outage: Outage
):
    console_client.login("dispatcher")
    page = console_client.get("/outages")
    assert "A-17" in page.text and "вул. Святошинська" in page.text
    new_time = (datetime.now(UTC) + timedelta(hours=5)).replace(second=0, microsecond=0)
    reply = _change(console_client, outage, restoration=_local(new_time, console_client))
    assert reply.status == 200 and reply.url.endswith("/outages")
    assert "Відключення A-17: зміни збережено." in reply.text
    assert _local(new_time, console_client).replace("T", " ")[-5:] in reply.text
    stored = _store(console_client).get("dispatcher", "A-17")
    assert stored.restoration == new_time and len(stored.restorations) == 2
    (event,) = AuditLog(console_client.state.repository).events(AuditFilter("outage."))
    assert (event.actor, event.action, event.target) == (
        "dispatcher",
        "outage.restoration",
        "dispatcher/A-17",
    )
    assert datetime.fromisoformat(event.before) == outage.restoration
    assert datetime.fromisoformat(event.after) == new_time


def test_a_restoration_time_in_the_past_or_before_the_start_is_refused(
    console_client: ConsoleClient, outage: Outage
):
    console_client.login("dispatcher")
    past = _local(datetime.now(UTC) - timedelta(minutes=10), console_client)
    reply = _change(console_client, outage, restoration=past)
    assert reply.status == 400 and "Час відновлення вже минув" in reply.text
    garbage = _change(console_client, outage, restoration="завтра вранці")
    assert garbage.status == 400 and "не є датою й часом" in garbage.text
    assert _store(console_client).get("dispatcher", "A-17").restorations == outage.restorations
    # a planned outage starting tomorrow: a time today is before its start
    now = datetime.now(UTC)
    planned = _store(console_client).add(
        Outage(
            "P-1",
            OutageKind.PLANNED,
            Area("Вишневе"),
            now + timedelta(days=1),
            OutageStatus.ACTIVE,
            (Restoration(now + timedelta(days=1, hours=4), now, "dispatcher"),),
            source="dispatcher",
        )
    )
    before_start = _local(now + timedelta(hours=3), console_client)
    reply = _change(console_client, planned, restoration=before_start)
    assert reply.status == 400 and "пізніше за початок" in reply.text
    assert AuditLog(console_client.state.repository).events(AuditFilter("outage.")) == []


def test_a_stale_form_does_not_overwrite_someone_elses_change(
    console_client: ConsoleClient, outage: Outage
):
    console_client.login("dispatcher")
    later = datetime.now(UTC) + timedelta(hours=6)
    # someone else changes it after this dispatcher opened the page
    _store(console_client).update("dispatcher", "A-17", restoration=later, actor="olena")
    mine = _local(datetime.now(UTC) + timedelta(hours=3), console_client)
    reply = _change(console_client, outage, restoration=mine)
    assert reply.status == 409 and "щойно змінив інший користувач" in reply.text
    assert _store(console_client).get("dispatcher", "A-17").restoration == later


def test_restoring_and_cancelling_take_the_outage_off_the_active_list(
    console_client: ConsoleClient, outage: Outage
):
    console_client.login("dispatcher")
    fields = {"source": "dispatcher", "outage_id": "A-17"}
    reply = console_client.form(
        "/outages", "/outages/restore", {**fields, "changed": outage.changed_at.isoformat()}
    )
    assert "світло відновлено" in reply.text and "Завершені за добу" in reply.text
    restored = _store(console_client).get("dispatcher", "A-17")
    assert restored.status is OutageStatus.RESTORED
    assert _store(console_client).list() == []
    # cancelling the restored one again from the old form: stale
    again = console_client.form(
        "/outages", "/outages/cancel", {**fields, "changed": outage.changed_at.isoformat()}
    )
    assert again.status == 409
    actions = [
        e.action for e in AuditLog(console_client.state.repository).events(AuditFilter("outage."))
    ]
    assert actions == ["outage.status", "outage.restoration"]


def test_a_dispatcher_adds_an_outage(console_client: ConsoleClient):
    console_client.login("dispatcher")
    back = _local(datetime.now(UTC) + timedelta(hours=4), console_client)
    reply = console_client.form(
        "/outages",
        "/outages/add",
        {
            "kind": "emergency",
            "settlement": "Бровари",
            "streets": "вул. Київська, вул. Гагаріна",
            "groups": "3.1",
            "restoration": back,
            "outage_id": "B-2",
        },
    )
    assert "Відключення B-2 додано." in reply.text
    (added,) = _store(console_client).list()
    assert added.area.streets == ("вул. Київська", "вул. Гагаріна")
    assert added.area.groups == ("3.1",)
    (event,) = AuditLog(console_client.state.repository).events(AuditFilter("outage."))
    assert (event.action, event.actor) == ("outage.add", "dispatcher")
    duplicate = console_client.form(
        "/outages", "/outages/add", {"settlement": "Бровари", "outage_id": "B-2"}
    )
    assert duplicate.status == 409 and "з таким номером уже є" in duplicate.text
    bad = console_client.form(
        "/outages", "/outages/add", {"settlement": "Бровари", "groups": "сьома"}
    )
    assert bad.status == 400 and "Черга «сьома»" in bad.text
    assert "Бровари" in bad.text  # what was typed stays in the form


def _upload(client: ConsoleClient, name: str, text: str, fmt: str):
    token = client.get("/outages").csrf()
    form = aiohttp.FormData()
    form.add_field("csrf", token)
    form.add_field("format", fmt)
    form.add_field("file", text.encode("utf-8"), filename=name, content_type="text/csv")
    return client.post("/outages/import", form)


CSV_HEADER = "id,kind,settlement,streets,houses,feeder,groups,start,restoration,status,note\n"


def test_an_import_with_bad_rows_shows_them_and_imports_nothing(console_client: ConsoleClient):
    console_client.login("dispatcher")
    text = (
        CSV_HEADER
        + "X1,emergency,Бровари,вул. Київська,,,,2026-12-01 08:00,2026-12-01 14:00,active,\n"
        + "X2,sometimes,Бровари,,,,,2026-12-01 08:00,,active,\n"
        + "X3,planned,Бровари,,,,,not a date,,active,\n"
    )
    reply = _upload(console_client, "feed.csv", text, "csv")
    assert reply.status == 400 and "Файл feed.csv не імпортовано" in reply.text
    assert "feed.csv, рядок 3" in reply.text and "feed.csv, рядок 4" in reply.text
    assert "Помилки у файлі" in reply.text
    assert "kind: невідомий вид відключення «sometimes» (можливі: emergency, planned)" in reply.text
    assert "start: «not a date» не є датою й часом" in reply.text
    assert "unknown kind" not in reply.text and "is not a date" not in reply.text
    assert _store(console_client).list(active_only=False) == []


def test_a_good_import_is_stored_and_audited(console_client: ConsoleClient):
    console_client.login("dispatcher")
    text = CSV_HEADER + "X1,emergency,Бровари,вул. Київська,,,,2026-12-01 08:00,,active,\n"
    reply = _upload(console_client, "feed.csv", text, "csv")
    assert "Файл feed.csv імпортовано: додано 1" in reply.text
    assert [o.id for o in _store(console_client).list()] == ["X1"]
    (event,) = AuditLog(console_client.state.repository).events(AuditFilter("outage."))
    assert (event.action, event.target) == ("outage.import", "feed.csv")


def test_a_supervisor_sees_outages_but_cannot_change_them(
    console_client: ConsoleClient, outage: Outage
):
    console_client.login("super")
    page = console_client.get("/outages")
    assert "A-17" in page.text and "/outages/update" not in page.text
    reply = _change(console_client, outage, restoration="2030-01-01T10:00")
    assert reply.status == 403 and "недоступна для вашої ролі" in reply.text


def test_the_next_caller_hears_the_time_a_dispatcher_just_saved(
    config, repository, simulate, tmp_path
):
    """The console and a simulated call on one SQLite file, under the real clock: the call
    after the save hears the new restoration time, no restart."""
    from conftest import SHIPPED_CONFIG, prompts_played
    from console_support import ConsoleClient, add_users

    from ivr.cli.sample import seed_sample
    from ivr.console.web import Console

    now = datetime.now(UTC)
    seed_sample(repository, now=now)  # the sample moved to now: its outage is active
    state = Console(config_path=SHIPPED_CONFIG, config=config, repository=repository)
    add_users(state)
    client = ConsoleClient(state)
    try:
        client.login("dispatcher")
        (outage,) = [o for o in OutageStore(repository).list() if o.id == "AV-2026-1201-01"]
        new_time = (now + timedelta(hours=5)).replace(minute=30, second=0, microsecond=0)
        reply = _change(client, outage, restoration=_local(new_time, client))
        assert "зміни збережено" in reply.text
    finally:
        client.close()
    played = prompts_played(simulate("1 2 h", caller="0500000004"))
    said = played[played.index("outage_restore_at") + 1 :][:3]
    local = new_time.astimezone(config.company.tz)
    assert said[1:] == [f"time/at_{local.hour}", f"digits/{local.minute}"], said


def test_a_note_alone_changes_even_when_the_estimate_shown_has_passed(
    console_client: ConsoleClient,
):
    now = datetime.now(UTC)
    overdue = _store(console_client).add(
        Outage(
            "L-3",
            OutageKind.EMERGENCY,
            Area("Ірпінь"),
            now - timedelta(hours=5),
            OutageStatus.ACTIVE,
            (Restoration(now - timedelta(hours=1), now, "dispatcher"),),
            source="dispatcher",
        )
    )
    console_client.login("dispatcher")
    shown = _local(overdue.restoration, console_client)  # what the form holds already
    reply = _change(console_client, overdue, restoration=shown, note="Бригада на місці")
    assert reply.status == 200 and "зміни збережено" in reply.text
    stored = _store(console_client).get("dispatcher", "L-3")
    assert stored.note == "Бригада на місці" and stored.restorations == overdue.restorations
    events = AuditLog(console_client.state.repository).events(AuditFilter("outage."))
    assert [(e.action, e.after) for e in events] == [("outage.note", "Бригада на місці")]
    unchanged = _change(console_client, stored, restoration=shown, note="Бригада на місці")
    assert unchanged.status == 400 and "Вкажіть новий час відновлення" in unchanged.text


def test_a_planned_outage_not_begun_is_cancelled_not_restored(console_client: ConsoleClient):
    now = datetime.now(UTC)
    planned = _store(console_client).add(
        Outage(
            "P-9",
            OutageKind.PLANNED,
            Area("Бориспіль"),
            now + timedelta(days=2),
            OutageStatus.ACTIVE,
            (Restoration(now + timedelta(days=2, hours=6), now, "dispatcher"),),
            source="dispatcher",
        )
    )
    console_client.login("dispatcher")
    page = console_client.get("/outages")
    card = page.text[page.text.index('id="outage-dispatcher-P-9"') :]
    card = card[: card.index("</article>")]
    assert "/outages/cancel" in card and "/outages/restore" not in card
    fields = {"source": "dispatcher", "outage_id": "P-9", "changed": planned.changed_at.isoformat()}
    reply = console_client.form("/outages", "/outages/restore", fields)  # an old page's form
    assert reply.status == 400 and "ще не почалося" in reply.text
    assert _store(console_client).get("dispatcher", "P-9").status is OutageStatus.ACTIVE
    cancelled = console_client.form("/outages", "/outages/cancel", fields)
    assert "Відключення P-9 скасовано." in cancelled.text
    assert _store(console_client).get("dispatcher", "P-9").status is OutageStatus.CANCELLED


def test_an_outage_added_with_its_restoration_before_its_start_is_refused(
    console_client: ConsoleClient,
):
    console_client.login("dispatcher")
    now = datetime.now(UTC)
    reply = console_client.form(
        "/outages",
        "/outages/add",
        {
            "kind": "planned",
            "settlement": "Бориспіль",
            "start": _local(now + timedelta(days=1), console_client),
            "restoration": _local(now + timedelta(hours=3), console_client),
        },
    )
    assert reply.status == 400 and "пізніше за початок" in reply.text
    assert "Бориспіль" in reply.text  # what was typed stays in the form
    assert _store(console_client).list(active_only=False) == []
