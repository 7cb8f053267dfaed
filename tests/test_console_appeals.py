"""The console's appeals pages on SQLite and PostgreSQL: the list and its filters, the overdue
and soon due ones, masking for a dispatcher, the detail with its call, status changes (and
their audit events), the CSV export; appeals stored as the IVR stores them
(``appeal_support``), seen from a fixed moment."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from appeal_support import KYIV, NOW, World, appeal, call_at, number, seed
from console_support import ConsoleClient

from ivr.console import appeal_views
from ivr.console.formatting import days, until
from ivr.console.web import Console
from ivr.reports.appeals import EXPORT_COLUMNS
from ivr.store.appeal_queries import AppealFilter, AppealQueries
from ivr.store.appeals import format_appeal_number
from ivr.store.audit import AuditFilter, AuditLog
from ivr.store.lifecycle import AppealLifecycle, LifecycleError, next_statuses

NUMBER_RE = re.compile(r"<td>(?:<a href=\"/appeals/\d{14}\">)?(\d{6}-\d{2}-\d{5}-\d)")


@dataclass(frozen=True)
class Appeals:
    world: World
    soon: str  # an operator appeal due in 10 hours
    supplier: str  # a callback of the supplier's company, registered an hour ago
    registered: dict[str, datetime]  # every appeal's moment of registration

    @property
    def real(self) -> list[str]:
        """Every appeal but the test call's, newest first (as the list shows them)."""
        real = [n for n in self.registered if n != self.world.test]
        return sorted(real, key=lambda n: self.registered[n], reverse=True)


@pytest.fixture
def appeals(console_state: Console) -> Appeals:
    """The appeal world at NOW, one appeal about to miss its deadline and one of the second
    company; the console's clock stands at NOW."""
    repo = console_state.repository
    world = seed(repo, NOW)
    soon_at = NOW - timedelta(days=30) + timedelta(hours=10)
    soon = number(soon_at.astimezone(KYIV).strftime("%y%m%d"), 9)
    first = call_at("soon", soon_at - timedelta(minutes=2))
    first.appeals = [appeal(first, soon, "operator", soon_at)]
    assert repo.save_call(first)
    supplier_at = NOW - timedelta(hours=1)
    supplier = number(supplier_at.astimezone(KYIV).strftime("%y%m%d"), 8)
    other = call_at("supplier", supplier_at - timedelta(minutes=2), company="demoenergozbut")
    other.appeals = [appeal(other, supplier, "callback", supplier_at, company="demoenergozbut")]
    assert repo.save_call(other)
    console_state.clock = lambda: NOW
    registered = {
        v.record.appeal_number: v.record.registered_at
        for v in AppealQueries(repo).find(AppealFilter(include_test=True))
    }
    assert len(registered) == len(world.real) + 3
    return Appeals(world, soon, supplier, registered)


def switch(client: ConsoleClient, name: str) -> None:
    """Sign out, then in as ``name``."""
    assert client.form("/appeals", "/logout", {}).url.endswith("/login")
    assert client.login(name).status in (200, 404)  # "/" is the live page's


def listed(reply) -> list[str]:
    """The appeal numbers of a list page's table, in its order (as shown: with dashes)."""
    assert reply.status == 200, reply.text
    return NUMBER_RE.findall(reply.text)


def shown(*numbers: str) -> list[str]:
    return [format_appeal_number(n) for n in numbers]


def status_of(state: Console, appeal_number: str) -> str:
    detail = AppealQueries(state.repository).get(appeal_number)
    assert detail is not None
    return detail.view.record.status


def change(client: ConsoleClient, appeal_number: str, status: str, note: str = "", **more):
    page = f"/appeals/{appeal_number}"
    current = more.pop("current", None)
    fields = {"status": status, "note": note, **more}
    if current is not None:
        fields["current"] = current
    return client.form(page, f"/appeals/{appeal_number}/status", fields)


# -- the list ---------------------------------------------------------------------------------


def test_the_list_shows_every_real_appeal_newest_first(
    console_client: ConsoleClient, appeals: Appeals
):
    console_client.login("super")
    reply = console_client.get("/appeals")
    assert listed(reply) == shown(*appeals.real)
    assert "Звернення" in reply.text and "розмова з оператором" in reply.text
    assert "повідомлення про відключення" in reply.text and "зареєстровано" in reply.text
    assert "Відсутність електропостачання" in reply.text  # the topic's label
    assert format_appeal_number(appeals.world.test) not in reply.text
    with_test = listed(console_client.get("/appeals?test=1"))
    assert format_appeal_number(appeals.world.test) in with_test
    assert len(with_test) == len(appeals.real) + 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=meter_reading", lambda a: [a.world.meter]),
        ("topic=D5&status=registered", lambda a: [a.world.meter]),
        ("topic=D9", lambda a: []),
        ("company=demoenergozbut", lambda a: [a.supplier]),
        (
            "kind=outage_report",
            lambda a: [a.world.lisova, a.world.sadova_14, a.world.sadova, a.world.old_report],
        ),
    ],
)
def test_the_list_filters(console_client: ConsoleClient, appeals: Appeals, query, expected):
    console_client.login("super")
    assert listed(console_client.get(f"/appeals?{query}")) == shown(*expected(appeals))


def test_the_list_filters_by_local_dates(console_client: ConsoleClient, appeals: Appeals):
    console_client.login("super")
    today = NOW.astimezone(KYIV).date()
    on_today = [n for n in appeals.real if appeals.registered[n].astimezone(KYIV).date() == today]
    assert appeals.world.sadova in on_today and appeals.world.overdue not in on_today
    assert listed(console_client.get(f"/appeals?from={today}&to={today}")) == shown(*on_today)
    dotted = f"{today:%d.%m.%Y}"
    assert listed(console_client.get(f"/appeals?from={dotted}")) == shown(*on_today)
    before = listed(console_client.get(f"/appeals?to={today - timedelta(days=1)}"))
    assert before == shown(*[n for n in appeals.real if n not in on_today])


def test_the_overdue_and_the_soon_due_ones(console_client: ConsoleClient, appeals: Appeals):
    console_client.login("super")
    overdue = console_client.get("/appeals?overdue=1")
    assert listed(overdue) == shown(appeals.world.overdue)
    assert "прострочено на 30 днів" in overdue.text
    assert listed(console_client.get("/appeals?overdue=1&test=1")) == shown(
        appeals.world.test, appeals.world.overdue
    )
    soon = console_client.get("/appeals?soon=1")
    assert listed(soon) == shown(appeals.soon)
    assert '<tr class="soon">' in soon.text and "спливає за 10 годин" in soon.text
    everything = console_client.get("/appeals")
    figures = re.findall(r'<div class="figure"><strong[^>]*>(\d+)</strong>', everything.text)
    assert figures == [str(len(appeals.real)), "1", "1"]
    assert '<tr class="overdue">' in everything.text and '<tr class="soon">' in everything.text


def test_the_soon_due_one_goes_once_it_is_answered(
    console_client: ConsoleClient, console_state: Console, appeals: Appeals
):
    console_client.login("super")
    assert change(console_client, appeals.soon, "answered", "відповіли телефоном").status == 200
    assert listed(console_client.get("/appeals?soon=1")) == []


def test_a_long_history_shows_only_the_newest(
    console_client: ConsoleClient, appeals: Appeals, monkeypatch
):
    monkeypatch.setattr(appeal_views, "LIMIT", 3)
    console_client.login("super")
    reply = console_client.get("/appeals")
    assert listed(reply) == shown(*appeals.real[:3])
    assert f"Показано 3 найновіших із {len(appeals.real)}" in reply.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "Дата «з»: «2026-13-01» не є датою"),
        ("to=1+грудня", "Дата «по»: «1 грудня» не є датою"),
        (
            "from=2026-12-02&to=2026-12-01",
            "Дата «з» (02.12.2026) пізніша за дату «по» (01.12.2026)",
        ),
        ("status=done", "Невідомий стан звернення «done»"),
        ("kind=letter", "Невідомий вид звернення «letter»"),
        ("topic=D1%27%3B--", "не є кодом тематики"),
        ("overdue=1&soon=1", "Оберіть або прострочені звернення"),
    ],
)
def test_bad_filters_are_refused_in_ukrainian(
    console_client: ConsoleClient, appeals: Appeals, query, message
):
    console_client.login("super")
    for path in ("/appeals", "/appeals.csv"):
        reply = console_client.get(f"{path}?{query}")
        assert reply.status == 400 and message in reply.text, reply.text
        assert "Traceback" not in reply.text and NUMBER_RE.findall(reply.text) == []


# -- masking and roles ------------------------------------------------------------------------


def test_a_dispatcher_sees_the_list_with_numbers_masked(
    console_client: ConsoleClient, appeals: Appeals
):
    console_client.login("dispatcher")
    reply = console_client.get("/appeals")
    assert listed(reply) == shown(*appeals.real)
    assert "380•••••••67" in reply.text and "+380441234567" not in reply.text
    assert "/appeals.csv" not in reply.text and 'href="/appeals/' not in reply.text
    assert "Номери абонентів приховано" in reply.text
    switch(console_client, "super")
    full = console_client.get("/appeals")
    assert "+380441234567" in full.text and "380•••••••67" not in full.text
    assert "/appeals.csv" in full.text and f'href="/appeals/{appeals.world.sadova}"' in full.text


def test_a_dispatcher_gets_no_detail_export_nor_status_change(
    console_client: ConsoleClient, console_state: Console, appeals: Appeals
):
    console_client.login("dispatcher")
    target = appeals.world.sadova
    for path in (f"/appeals/{target}", "/appeals.csv", "/appeals.csv?kind=outage_report"):
        reply = console_client.get(path)
        assert reply.status == 403 and "Доступ заборонено" in reply.text, path
        assert "+380441234567" not in reply.text and "appeal_number" not in reply.text
    token = console_client.get("/appeals").csrf()
    refused = console_client.post(
        f"/appeals/{target}/status", {"csrf": token, "status": "in_progress", "note": "x"}
    )
    assert refused.status == 403 and "недоступна для вашої ролі" in refused.text
    assert status_of(console_state, target) == "registered"


def test_a_visitor_is_sent_to_sign_in(console_client: ConsoleClient, appeals: Appeals):
    reply = console_client.get(f"/appeals/{appeals.world.sadova}")
    assert reply.url.endswith(f"/login?next=/appeals/{appeals.world.sadova}")
    csv_reply = console_client.get("/appeals.csv")
    assert "Вхід до консолі" in csv_reply.text and "appeal_number" not in csv_reply.text


# -- one appeal -------------------------------------------------------------------------------


def test_the_detail_shows_the_appeal_and_its_call(console_client: ConsoleClient, appeals: Appeals):
    console_client.login("super")
    sadova = appeals.world.sadova
    reply = console_client.get(f"/appeals/{sadova}")
    assert reply.status == 200
    text = reply.text
    assert f"Звернення {format_appeal_number(sadova)}" in text
    assert "Вишневе, вул. Садова, 12-А" in text and "2010000001" in text
    assert "+380441234567" in text and "повідомлення про відключення" in text
    assert "3 (це та 2 повторних)" in text  # two linked reports
    assert "+380500000000" in text and "+380500000001" in text  # the linked callers
    started = (NOW - timedelta(hours=4)).astimezone(KYIV)
    assert started.strftime("%d.%m.%Y %H:%M:%S") in text  # the call's start
    assert (started + timedelta(minutes=2)).strftime("%d.%m.%Y %H:%M:%S") in text  # its end
    assert "переведено до оператора" in text and "2:00" in text  # outcome, duration
    assert "0800300100" in text  # the dialled number
    assert "Змінити стан" in text and 'name="csrf"' in text
    assert "<dt>Відповідь у меню</dt><dd>1</dd>" in text  # what the caller said
    meter = console_client.get(f"/appeals/{appeals.world.meter}")
    assert "Покази лічильника" in meter.text and "1200 / 340" in meter.text
    dashed = console_client.get(f"/appeals/{format_appeal_number(sadova)}")
    assert dashed.status == 200 and "Вишневе, вул. Садова, 12-А" in dashed.text


def test_an_unknown_or_malformed_number_is_a_ukrainian_404(
    console_client: ConsoleClient, appeals: Appeals
):
    console_client.login("super")
    missing = number("261201", 777)
    reply = console_client.get(f"/appeals/{missing}")
    assert reply.status == 404 and "Звернення не знайдено" in reply.text
    assert format_appeal_number(missing) in reply.text
    for bad in ("12345", "26120101007771", "abc"):
        reply = console_client.get(f"/appeals/{bad}")
        assert reply.status == 404 and "Сторінку не знайдено" in reply.text, bad
    posted = change(console_client, appeals.world.sadova, "in_progress")  # the page's token
    assert posted.status == 200
    token = console_client.get("/appeals").csrf()
    gone = console_client.post(f"/appeals/{missing}/status", {"csrf": token, "status": "closed"})
    assert gone.status == 404 and "Звернення не знайдено" in gone.text


# -- status changes ---------------------------------------------------------------------------


def test_a_status_change_with_a_comment_is_in_the_history_and_the_audit_log(
    console_client: ConsoleClient, console_state: Console, appeals: Appeals
):
    console_client.login("super")
    target = appeals.world.overdue
    reply = change(console_client, target, "in_progress", "передано бригаді", current="registered")
    assert reply.status == 200 and reply.url.endswith(f"/appeals/{target}")
    assert f"Звернення {format_appeal_number(target)}: стан «в роботі»." in reply.text
    history = reply.text.split("<h2>Історія</h2>", 1)[1]
    assert "в роботі" in history and "super" in history and "передано бригаді" in history
    assert status_of(console_state, target) == "in_progress"
    switch(console_client, "admin")
    answered = change(console_client, target, "answered", "відповідь надіслано листом")
    assert answered.status == 200 and "надано відповідь" in answered.text
    assert "прострочено на" not in answered.text.split("<h2>Дзвінок</h2>")[0]
    assert "відповідь із запізненням" in answered.text
    closed = change(console_client, target, "closed")
    assert (
        closed.status == 200 and "Звернення закрито: його стан більше не змінюється" in closed.text
    )
    assert "Змінити стан" not in closed.text
    detail = AppealQueries(console_state.repository).get(target)
    assert detail is not None
    assert [(e.status, e.by, e.note) for e in detail.events] == [
        ("in_progress", "super", "передано бригаді"),
        ("answered", "admin", "відповідь надіслано листом"),
        ("closed", "admin", ""),
    ]
    assert detail.view.answered_at == NOW and detail.view.closed_at == NOW
    events = AuditLog(console_state.repository).events(AuditFilter(action_prefix="appeal."))
    assert [(e.actor, e.action, e.target, e.before, e.after) for e in reversed(events)] == [
        ("super", "appeal.status", target, "registered", "in_progress"),
        ("admin", "appeal.status", target, "in_progress", "answered"),
        ("admin", "appeal.status", target, "answered", "closed"),
    ]
    assert all(e.at == NOW for e in events)


@pytest.mark.parametrize(
    ("first", "status", "note", "code", "message"),
    [
        (
            "in_progress",
            "registered",
            "",
            400,
            "Звернення має стан «в роботі»: повернути його до стану «зареєстровано» не можна",
        ),
        ("in_progress", "in_progress", "", 400, "Звернення вже має стан «в роботі»."),
        (None, "closed", "  ", 400, "Звернення не отримало відповіді: щоб закрити його"),
        (None, "done", "", 400, "Оберіть новий стан звернення."),
        (None, "", "", 400, "Оберіть новий стан звернення."),
        (
            None,
            "answered",
            "я" * 501,
            400,
            "Коментар задовгий: 501 символів, можна щонайбільше 500.",
        ),
    ],
)
def test_a_change_that_cannot_be_made_is_refused_in_ukrainian(
    console_client: ConsoleClient,
    console_state: Console,
    appeals: Appeals,
    first,
    status,
    note,
    code,
    message,
):
    console_client.login("super")
    target = appeals.world.lisova
    if first:
        assert change(console_client, target, first).status == 200
    before = status_of(console_state, target)
    reply = change(console_client, target, status, note)
    assert reply.status == code and message in reply.text, reply.text
    assert "cannot" not in reply.text and "appeal " not in reply.text  # no English
    assert status_of(console_state, target) == before
    assert 'class="flash error"' in reply.text and "Змінити стан" in reply.text
    if note.strip():
        assert note.strip() in reply.text  # the comment is kept in the form


def test_a_stale_form_is_refused(
    console_client: ConsoleClient, console_state: Console, appeals: Appeals
):
    console_client.login("super")
    target = appeals.world.sadova_14
    stale = console_client.get(f"/appeals/{target}")
    assert change(console_client, target, "in_progress", "беру").status == 200
    reply = console_client.post(
        f"/appeals/{target}/status",
        {"csrf": stale.csrf(), "current": "registered", "status": "answered", "note": "x"},
    )
    assert reply.status == 409 and "Звернення щойно змінив інший користувач" in reply.text
    assert status_of(console_state, target) == "in_progress"


def test_a_status_change_without_the_csrf_token_is_refused(
    console_client: ConsoleClient, console_state: Console, appeals: Appeals
):
    console_client.login("super")
    target = appeals.world.sadova
    missing = console_client.post(f"/appeals/{target}/status", {"status": "in_progress"})
    assert missing.status == 403 and "Форму відхилено" in missing.text
    wrong = console_client.post(
        f"/appeals/{target}/status", {"csrf": "x" * 43, "status": "in_progress"}
    )
    assert wrong.status == 403
    assert status_of(console_state, target) == "registered"
    assert AuditLog(console_state.repository).events(AuditFilter(action_prefix="appeal.")) == []


# -- the CSV export ---------------------------------------------------------------------------


def test_the_csv_export_has_every_column_for_excel(console_client: ConsoleClient, appeals: Appeals):
    console_client.login("super")
    reply = console_client.get("/appeals.csv?kind=outage_report")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = reply.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="appeals-{NOW.astimezone(KYIV):%Y%m%d-%H%M}.csv"'
    assert reply.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(reply.text.removeprefix("\ufeff"))))
    assert tuple(rows[0].keys()) == EXPORT_COLUMNS
    world = appeals.world
    assert [r["appeal_number"] for r in rows] == [
        world.old_report,
        world.sadova,
        world.sadova_14,
        world.lisova,
    ]  # oldest first, as ``ivr appeals export``
    sadova = rows[1]
    assert sadova["caller_number"] == "+380441234567" and sadova["account_number"] == "2010000001"
    assert sadova["address"] == "Вишневе, вул. Садова, 12-А" and sadova["reports"] == "3"
    assert sadova["topic_label"] == "Відсутність електропостачання" and sadova["links"] == "2"
    assert sadova["registered_at"].endswith("+02:00")  # the company's time
    overdue = console_client.get("/appeals.csv?overdue=1&test=1")
    numbers = [r["appeal_number"] for r in csv.DictReader(io.StringIO(overdue.text[1:]))]
    assert numbers == [world.overdue, world.test]
    empty = console_client.get("/appeals.csv?topic=D9")
    assert empty.text == "\ufeff" + ",".join(EXPORT_COLUMNS) + "\n"
    # who took the personal data out, how many, by which filter
    exports = AuditLog(console_client.state.repository).events(AuditFilter("appeal.export"))
    assert [(e.actor, e.target, e.after) for e in exports] == [
        ("super", "topic=D9", "0"),
        ("super", "overdue=1&test=1", "2"),
        ("super", "kind=outage_report", "4"),
    ]


def test_an_export_too_big_is_refused(console_client: ConsoleClient, appeals: Appeals, monkeypatch):
    monkeypatch.setattr(appeal_views, "EXPORT_LIMIT", 2)
    console_client.login("admin")
    reply = console_client.get("/appeals.csv?kind=outage_report")
    assert reply.status == 400 and "Звернень за цим фільтром 4" in reply.text
    assert reply.headers["Content-Type"].startswith("text/html")
    assert console_client.get("/appeals.csv?kind=meter_reading").status == 200


# -- the words ---------------------------------------------------------------------------------


def test_the_deadline_words():
    assert days(1) == "1 день" and days(3) == "3 дні" and days(30) == "30 днів"
    assert until(NOW + timedelta(hours=10), NOW) == "за 10 годин"
    assert until(NOW + timedelta(minutes=21, seconds=5), NOW) == "за 21 хвилину"
    assert until(NOW + timedelta(hours=49), NOW) == "за 2 дні"
    assert until(NOW - timedelta(seconds=1), NOW) == "вже"


def test_the_lifecycle_names_its_refusals_and_audits_every_change(
    console_state: Console, appeals: Appeals
):
    lifecycle = AppealLifecycle(console_state.repository)
    target = appeals.world.meter
    assert next_statuses("registered") == ("in_progress", "answered", "closed")
    assert next_statuses("answered") == ("closed",) and next_statuses("lost") == ()
    with pytest.raises(LifecycleError) as stale:
        lifecycle.change(target, "answered", "cli-user", at=NOW, expected="in_progress")
    assert stale.value.reason == "conflict" and "is registered now" in str(stale.value)
    lifecycle.change(target, "answered", "cli-user", "передано", at=NOW, expected="registered")
    for status, reason in (("answered", "unchanged"), ("in_progress", "backwards")):
        with pytest.raises(LifecycleError) as refused:
            lifecycle.change(target, status, "cli-user", at=NOW)
        assert refused.value.reason == reason
    with pytest.raises(LifecycleError) as missing:
        lifecycle.change(number("261201", 777), "closed", "cli-user", at=NOW)
    assert missing.value.reason == "missing"
    events = AuditLog(console_state.repository).events(AuditFilter(target=target))
    assert [(e.actor, e.action, e.before, e.after) for e in events] == [
        ("cli-user", "appeal.status", "registered", "answered")
    ]
