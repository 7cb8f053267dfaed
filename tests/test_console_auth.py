"""Signing in to the web console, sessions, CSRF and roles, through aiohttp's test client
on SQLite and PostgreSQL (``console_support``)."""

from __future__ import annotations

import pytest
from console_support import PASSWORD, ConsoleClient

from ivr.console import sessions
from ivr.console.masking import mask_phone
from ivr.store.users import UserStore


def test_a_page_asks_a_visitor_to_sign_in_and_then_opens(console_client: ConsoleClient):
    reply = console_client.get("/outages")
    assert reply.status == 200 and reply.url.endswith("/login?next=/outages")
    assert "Вхід до консолі" in reply.text
    signed_in = console_client.form(
        "/login?next=/outages",
        "/login",
        {"name": "dispatcher", "password": PASSWORD, "next": "/outages"},
    )
    assert signed_in.status == 200 and signed_in.url.endswith("/outages")
    assert "dispatcher · диспетчер" in signed_in.text and "Відключення" in signed_in.text


def test_the_session_cookie_is_httponly_strict_and_changes_at_sign_in(
    console_client: ConsoleClient,
):
    first = console_client.get("/login")
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    before = console_client.client.session.cookie_jar.filter_cookies(
        console_client.client.make_url("/")
    )["ivr_console"].value
    console_client.login("super")
    after = console_client.client.session.cookie_jar.filter_cookies(
        console_client.client.make_url("/")
    )["ivr_console"].value
    assert before != after and console_client.state.sessions.get(before) is None


def test_pages_carry_the_security_headers(console_client: ConsoleClient):
    reply = console_client.get("/login")
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Referrer-Policy"] == "no-referrer"


def test_a_wrong_password_is_refused_in_ukrainian(console_client: ConsoleClient):
    reply = console_client.login("dispatcher", PASSWORD + "x")
    assert reply.status == 401 and "Невірне ім’я користувача або пароль" in reply.text
    unknown = console_client.login("nobody", PASSWORD)
    assert unknown.status == 401 and "Невірне ім’я користувача або пароль" in unknown.text


def test_ten_wrong_passwords_lock_the_name_even_for_the_right_one(
    console_client: ConsoleClient,
):
    statuses = [console_client.login("admin", f"wrong-{i}-password").status for i in range(10)]
    assert statuses[: sessions.MAX_FAILURES] == [401] * sessions.MAX_FAILURES
    assert statuses[sessions.MAX_FAILURES :] == [429] * (10 - sessions.MAX_FAILURES)
    locked = console_client.login("admin", PASSWORD)
    assert locked.status == 429 and "Забагато невдалих спроб входу" in locked.text
    assert "/logout" not in locked.text  # not signed in
    # another user from another address is not locked by it
    assert console_client.state.throttle.locked_for("super", "192.0.2.7") == 0


def test_the_lock_ends_after_its_time(console_client: ConsoleClient):
    clock = [1000.0]
    console_client.state.throttle.clock = lambda: clock[0]
    for i in range(sessions.MAX_FAILURES):
        console_client.login("admin", f"wrong-{i}-password")
    assert console_client.login("admin", PASSWORD).status == 429
    clock[0] += sessions.LOCKOUT + 1
    assert console_client.login("admin", PASSWORD).url.endswith("/")


def test_a_form_without_its_csrf_token_is_refused(console_client: ConsoleClient):
    console_client.login("admin")
    no_token = console_client.post("/logout", {})
    assert no_token.status == 403 and "Форму відхилено" in no_token.text
    forged = console_client.post("/logout", {"csrf": "a" * 43})
    assert forged.status == 403
    assert console_client.get("/outages").status == 200  # still signed in


def test_a_sign_in_without_the_pages_token_is_refused(console_client: ConsoleClient):
    reply = console_client.post("/login", {"name": "admin", "password": PASSWORD})
    assert reply.status == 403
    assert console_client.get("/outages").url.endswith("/login?next=/outages")


def test_logging_out_ends_the_session(console_client: ConsoleClient):
    console_client.login("super")
    assert console_client.form("/outages", "/logout", {}).url.endswith("/login")
    assert console_client.get("/outages").url.endswith("/login?next=/outages")


def test_a_disabled_user_is_signed_out_at_the_next_page(console_client: ConsoleClient):
    console_client.login("dispatcher")
    assert console_client.get("/outages").status == 200
    UserStore(console_client.state.repository).set_disabled("dispatcher", True, "cli:test")
    assert console_client.get("/outages").url.endswith("/login?next=/outages")


def test_an_idle_session_expires(console_client: ConsoleClient):
    clock = [0.0]
    console_client.state.sessions.clock = lambda: clock[0]
    console_client.login("super")
    clock[0] += sessions.IDLE - 1
    assert console_client.get("/outages").status == 200
    clock[0] += sessions.IDLE + 1
    assert console_client.get("/outages").url.endswith("/login?next=/outages")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "\\\\evil"])
def test_after_sign_in_only_a_console_path_is_followed(console_client: ConsoleClient, target):
    reply = console_client.form(
        "/login", "/login", {"name": "super", "password": PASSWORD, "next": target}
    )
    assert reply.url == str(console_client.client.make_url("/"))


def test_an_unknown_page_is_a_ukrainian_404(console_client: ConsoleClient):
    console_client.login("super")
    reply = console_client.get("/no-such-page")
    assert reply.status == 404 and "Сторінку не знайдено" in reply.text
    assert 'href="/reports"' in reply.text and "/logout" in reply.text  # still signed in


def test_callers_numbers_are_masked_to_the_operator_code_and_two_digits():
    assert mask_phone("0501234567") == "050•••••67"
    assert mask_phone("+380501234567") == "380•••••••67"
    assert mask_phone(None) == "—" and mask_phone("123") == "•••"


def test_a_flood_of_visitors_never_pushes_out_a_signed_in_user():
    store = sessions.Sessions(limit=3)
    user = store.new("olena")
    visitors = [store.new() for _ in range(10)]
    assert store.get(user.token) is user and len(store) == 3
    assert store.get(visitors[-1].token) is visitors[-1]
    assert store.get(visitors[0].token) is None


def test_the_console_refuses_an_address_other_machines_reach(tmp_path):
    import subprocess
    import sys

    from conftest import SHIPPED_CONFIG

    result = subprocess.run(
        [sys.executable, "-m", "ivr", "console", "--config", str(SHIPPED_CONFIG)]
        + ["--listen", "0.0.0.0:8080"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "reachable from other machines" in result.stderr and "--allow-remote" in result.stderr


def test_behind_a_proxy_one_persons_wrong_passwords_do_not_lock_everyone(
    console_client: ConsoleClient,
):
    """Every browser behind the proxy comes from 127.0.0.1: the address the proxy names is
    the one counted."""
    token = console_client.get("/login").csrf()
    for i in range(sessions.MAX_ADDRESS_FAILURES):
        console_client.post(
            "/login",
            {"csrf": token, "name": f"guess{i}", "password": "wrong-password-1"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    throttle = console_client.state.throttle
    assert throttle.locked_for("someone", "203.0.113.9") > 0
    assert throttle.locked_for("someone", "198.51.100.4") == 0
    reply = console_client.post(
        "/login",
        {"csrf": token, "name": "super", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    assert reply.url.endswith("/") and reply.status == 200


def test_a_database_gone_is_a_ukrainian_error_page_not_a_traceback(shipped_config, tmp_path):
    """The SQLite file is removed under the running console: every page that needs it says
    so in Ukrainian (500), nothing else."""
    from console_support import add_users, console_state

    database = tmp_path / "gone.sqlite3"
    state = console_state(shipped_config, f"sqlite:///{database}", tmp_path)
    add_users(state)
    client = ConsoleClient(state)
    try:
        client.login("dispatcher")
        state.repository.dispose()
        database.unlink()  # SQLite opens an empty file in its place: no tables
        reply = client.get("/outages")
        assert reply.status == 500 and "Сталася помилка" in reply.text
        assert "Traceback" not in reply.text and "Error" not in reply.text
        assert reply.headers["X-Frame-Options"] == "DENY"
    finally:
        client.close()
        state.repository.dispose()
