"""The console's users page (admin) and audit log page (supervisor, admin) on SQLite and
PostgreSQL: adding users, new passwords, disabling and enabling with their audit events and
the sessions they end; bad input refused in Ukrainian; the audit log's labels, local times
and filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from console_support import PASSWORD, ConsoleClient

from ivr.console.web import Console
from ivr.store.audit import AuditFilter, AuditLog, record_event

REFUSED = "Ця сторінка недоступна для вашої ролі."
NEW_PASSWORD = "новий-пароль-диспетчера-7"


def events(state: Console, prefix: str = "user.") -> list[tuple[str, str, str, str | None]]:
    """The events of this test (the fixture's users were added as ``cli:test``)."""
    found = AuditLog(state.repository).events(AuditFilter(action_prefix=prefix))
    return [(e.actor, e.action, e.target, e.after) for e in found if e.actor != "cli:test"]


@pytest.fixture
def other(console_state: Console):
    """A second browser on the same console."""
    client = ConsoleClient(console_state)
    yield client
    client.close()


def signed_in(client: ConsoleClient) -> bool:
    reply = client.get("/outages")
    return reply.status == 200 and not reply.url.split("?")[0].endswith("/login")


# -- the users page ---------------------------------------------------------------------------


def test_the_admin_sees_the_users(console_client: ConsoleClient):
    console_client.login("admin")
    reply = console_client.get("/users")
    assert reply.status == 200 and "Користувачі консолі" in reply.text
    for name, role in (("dispatcher", "диспетчер"), ("super", "супервізор")):
        row = reply.text.split(f'id="user-{name}"')[1].split("</tr>")[0]
        assert role in row and "активний" in row and "/users/disable" in row
    admin_row = reply.text.split('id="user-admin"')[1].split("</tr>")[0]
    assert "це ви" in admin_row and "/users/disable" not in admin_row


@pytest.mark.parametrize("name", ["dispatcher", "super"])
def test_a_dispatcher_and_a_supervisor_are_refused(console_client: ConsoleClient, name: str):
    console_client.login(name)
    reply = console_client.get("/users")
    assert reply.status == 403 and REFUSED in reply.text
    token = console_client.get("/outages").csrf()
    fields = {"csrf": token, "name": "intruder", "role": "admin"}
    fields |= {"password": PASSWORD, "password2": PASSWORD}
    refused = console_client.post("/users/add", fields)
    assert refused.status == 403 and REFUSED in refused.text
    assert console_client.state.users.get("intruder") is None
    disable = console_client.post("/users/disable", {"csrf": token, "name": "admin"})
    assert disable.status == 403 and not console_client.state.users.get("admin").disabled


def test_adding_a_user(console_client: ConsoleClient, other: ConsoleClient):
    console_client.login("admin")
    reply = console_client.form(
        "/users",
        "/users/add",
        {"name": "o.petrenko", "role": "supervisor", "password": PASSWORD, "password2": PASSWORD},
    )
    assert reply.status == 200 and reply.url.endswith("/users")
    assert "Користувача o.petrenko додано (супервізор)." in reply.text
    assert PASSWORD not in reply.text
    assert events(console_client.state) == [("admin", "user.add", "o.petrenko", "supervisor")]
    assert other.login("o.petrenko").url.endswith("/")


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"password2": PASSWORD + "x"}, 400, "Паролі не збігаються"),
        ({"password": "короткий", "password2": "короткий"}, 400, "щонайменше 10 символів"),
        ({"name": "dispatcher"}, 409, "Користувач «dispatcher» уже є."),
        ({"name": "1bad name"}, 400, "Ім’я користувача: від 2 до 64 символів"),
        ({"role": "root"}, 400, "Оберіть роль зі списку."),
        ({"password": "", "password2": ""}, 400, "Введіть пароль двічі."),
    ],
)
def test_bad_new_users_are_refused_in_ukrainian(
    console_client: ConsoleClient, fields: dict[str, str], status: int, message: str
):
    console_client.login("admin")
    wanted = {"name": "new.user", "role": "dispatcher", "password": PASSWORD}
    wanted |= {"password2": PASSWORD} | fields
    reply = console_client.form("/users", "/users/add", wanted)
    assert reply.status == status and message in reply.text
    for password in (wanted["password"], wanted["password2"]):
        if password:
            assert password not in reply.text  # never echoed
    assert events(console_client.state) == []
    if fields.get("name") != "dispatcher":
        assert console_client.state.users.get(wanted["name"]) is None
        assert f'value="{wanted["name"]}"' in reply.text  # the name is kept in the form


def test_disabling_signs_the_user_out_and_enabling_lets_them_in(
    console_client: ConsoleClient, other: ConsoleClient
):
    other.login("dispatcher")
    assert signed_in(other)
    console_client.login("admin")
    reply = console_client.form("/users", "/users/disable", {"name": "dispatcher"})
    assert reply.status == 200 and "Користувача dispatcher вимкнено" in reply.text
    assert not signed_in(other)
    assert other.login("dispatcher").status == 401
    assert events(console_client.state) == [("admin", "user.disable", "dispatcher", "true")]
    page = console_client.get("/users")
    assert "вимкнено" in page.text.split('id="user-dispatcher"')[1].split("</tr>")[0]
    enabled = console_client.form("/users", "/users/enable", {"name": "dispatcher"})
    assert enabled.status == 200 and "Користувача dispatcher увімкнено." in enabled.text
    assert [e[1] for e in events(console_client.state)] == ["user.enable", "user.disable"]
    assert other.login("dispatcher").url.endswith("/")


def test_an_admin_cannot_disable_themself(console_client: ConsoleClient):
    console_client.login("admin")
    reply = console_client.form("/users", "/users/disable", {"name": "admin"})
    assert reply.status == 400 and "Не можна вимкнути власний обліковий запис." in reply.text
    assert not console_client.state.users.get("admin").disabled
    assert events(console_client.state) == []


def test_an_unknown_user_is_said_so(console_client: ConsoleClient):
    console_client.login("admin")
    reply = console_client.form("/users", "/users/disable", {"name": "nobody"})
    assert reply.status == 404 and "Користувача «nobody» немає." in reply.text
    fields = {"name": "nobody", "password": PASSWORD, "password2": PASSWORD}
    reply = console_client.form("/users", "/users/password", fields)
    assert reply.status == 404 and "Користувача «nobody» немає." in reply.text


def test_a_new_password_signs_the_user_out_everywhere(
    console_client: ConsoleClient, other: ConsoleClient
):
    other.login("dispatcher")
    console_client.login("admin")
    fields = {"name": "dispatcher", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    reply = console_client.form("/users", "/users/password", fields)
    assert reply.status == 200 and "Пароль користувача dispatcher змінено" in reply.text
    assert NEW_PASSWORD not in reply.text
    assert not signed_in(other)
    assert other.login("dispatcher").status == 401
    assert other.login("dispatcher", NEW_PASSWORD).url.endswith("/")
    assert events(console_client.state) == [("admin", "user.password", "dispatcher", None)]


def test_bad_new_passwords_are_refused(console_client: ConsoleClient, other: ConsoleClient):
    other.login("dispatcher")
    console_client.login("admin")
    differ = {"name": "dispatcher", "password": NEW_PASSWORD, "password2": NEW_PASSWORD + "!"}
    reply = console_client.form("/users", "/users/password", differ)
    assert reply.status == 400 and "dispatcher: Паролі не збігаються" in reply.text
    short = {"name": "dispatcher", "password": "коротко", "password2": "коротко"}
    reply = console_client.form("/users", "/users/password", short)
    assert reply.status == 400 and "щонайменше 10 символів" in reply.text
    assert "коротко" not in reply.text
    assert signed_in(other) and events(console_client.state) == []


def test_the_admin_s_own_new_password_ends_their_other_sessions_only(
    console_client: ConsoleClient, other: ConsoleClient
):
    other.login("admin")
    console_client.login("admin")
    fields = {"name": "admin", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    reply = console_client.form("/users", "/users/password", fields)
    assert reply.status == 200 and "Ваш пароль змінено" in reply.text
    assert signed_in(console_client) and not signed_in(other)


# -- the audit log page -----------------------------------------------------------------------


def seed(state: Console) -> None:
    """An outage's restoration time changed (UTC in the log) and a user added."""
    record_event(
        state.repository,
        datetime(2020, 12, 1, 10, 5, tzinfo=UTC),
        "dispatcher",
        "outage.restoration",
        "dispatcher/D1",
        "2020-12-01T12:00:00+00:00",
        "2020-12-01T14:30:00+00:00",
    )
    record_event(
        state.repository,
        datetime(2020, 12, 3, 9, 0, tzinfo=UTC),
        "admin",
        "user.add",
        "o.petrenko",
        None,
        "supervisor",
    )


def rows(text: str) -> list[str]:
    return [part.split("</tr>")[0] for part in text.split('<tr class="audit-')[1:]]


def test_a_supervisor_reads_the_audit_log_in_local_time(console_client: ConsoleClient):
    seed(console_client.state)
    console_client.login("super")
    reply = console_client.get("/audit")
    assert reply.status == 200 and "Журнал змін" in reply.text
    newest, oldest = rows(reply.text)[:2]  # the fixture's users were added before
    assert "Новий користувач" in newest and "супервізор" in newest
    assert "Час відновлення" in oldest and "dispatcher/D1" in oldest
    # Kyiv is UTC+2 in December
    assert "01.12.2020 12:05" in oldest
    assert "01.12.2020 14:00" in oldest and "01.12.2020 16:30" in oldest


def test_the_audit_log_filters(console_client: ConsoleClient):
    seed(console_client.state)
    console_client.login("admin")
    users = rows(console_client.get("/audit?kind=user.").text)
    assert "Новий користувач" in users[0] and "o.petrenko" in users[0]
    assert all("Новий користувач" in row for row in users)  # and the fixture's users
    outages = console_client.get("/audit?kind=outage.")
    assert len(rows(outages.text)) == 1 and 'value="outage." selected' in outages.text
    day = rows(console_client.get("/audit?since=2020-12-01&until=2020-12-01").text)
    assert len(day) == 1 and "Час відновлення" in day[0]
    later = rows(console_client.get("/audit?since=2020-12-02&until=2020-12-31").text)
    assert len(later) == 1 and "o.petrenko" in later[0]
    since = rows(console_client.get("/audit?since=2020-12-02").text)
    assert len(since) == 4 and "Час відновлення" not in "".join(since)  # + the fixture's
    none = console_client.get("/audit?kind=config.")
    assert rows(none.text) == [] and "Змін за цими умовами немає." in none.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=01.12.2026", "Від: «01.12.2026» не є датою"),
        ("since=2026-12-05&until=2026-12-01", "Кінцева дата раніша за початкову."),
        ("kind=secret.", "Невідомий вид змін."),
    ],
)
def test_a_bad_audit_filter_is_refused_in_ukrainian(
    console_client: ConsoleClient, query: str, message: str
):
    console_client.login("super")
    reply = console_client.get(f"/audit?{query}")
    assert reply.status == 400 and message in reply.text


def test_a_dispatcher_cannot_read_the_audit_log(console_client: ConsoleClient):
    console_client.login("dispatcher")
    reply = console_client.get("/audit")
    assert reply.status == 403 and REFUSED in reply.text


def test_console_changes_reach_the_audit_page(console_client: ConsoleClient):
    console_client.login("admin")
    console_client.form("/users", "/users/disable", {"name": "super"})
    reply = console_client.get("/audit?kind=user.")
    row = rows(reply.text)[0]
    assert "Користувача вимкнено" in row and "super" in row
    assert "<td>ні</td>" in row and "<td>так</td>" in row
