"""The web console's users (``ivr.store.users``, ``ivr users``) on SQLite and PostgreSQL:
argon2 hashes only, roles, disabling, and an audit line for every change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED_CONFIG
from shipped import single_company

from ivr.store.repository import CallRepository
from ivr.store.users import UserError, UserStore

PASSWORD = "довгий-пароль-42"


@pytest.fixture
def store(db_url):
    repository = CallRepository(db_url)
    repository.ensure_schema()
    yield UserStore(repository)
    repository.dispose()


def test_a_user_signs_in_with_their_password_only(store: UserStore):
    store.add("olena.dispatch", "dispatcher", PASSWORD, "cli:test")
    user = store.verify("olena.dispatch", PASSWORD)
    assert user is not None and user.role == "dispatcher" and not user.disabled
    assert store.verify("olena.dispatch", PASSWORD + "x") is None
    assert store.verify("nobody", PASSWORD) is None
    with store.engine.connect() as connection:
        import sqlalchemy as sa

        stored = connection.execute(sa.text("SELECT password_hash FROM console_users")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_bad_names_roles_passwords_and_duplicates_are_refused(store: UserStore):
    with pytest.raises(UserError, match="user name 'Olena'"):
        store.add("Olena", "admin", PASSWORD, "cli:test")
    with pytest.raises(UserError, match="role 'root'"):
        store.add("olena", "root", PASSWORD, "cli:test")
    with pytest.raises(UserError, match="at least 10 characters"):
        store.add("olena", "admin", "short", "cli:test")
    store.add("olena", "admin", PASSWORD, "cli:test")
    with pytest.raises(UserError, match="exists already"):
        store.add("olena", "supervisor", PASSWORD, "cli:test")
    with pytest.raises(UserError, match="no user 'petro'"):
        store.set_password("petro", PASSWORD, "cli:test")
    assert [u.name for u in store.users()] == ["olena"]


def test_disabled_users_cannot_sign_in_and_every_change_is_audited(store: UserStore):
    store.add("ivan", "supervisor", PASSWORD, "cli:root")
    store.set_password("ivan", "ще-довший-пароль", "cli:root")
    assert store.verify("ivan", PASSWORD) is None
    store.set_disabled("ivan", True, "cli:root")
    assert store.verify("ivan", "ще-довший-пароль") is None
    store.set_disabled("ivan", True, "cli:root")  # no change: no audit line
    store.set_disabled("ivan", False, "cli:root")
    assert store.verify("ivan", "ще-довший-пароль") is not None
    events = [(e.actor, e.action, e.target, e.before, e.after) for e in store.audit()]
    assert events == [
        ("cli:root", "user.enable", "ivan", "true", "false"),
        ("cli:root", "user.disable", "ivan", "false", "true"),
        ("cli:root", "user.password", "ivan", None, None),
        ("cli:root", "user.add", "ivan", None, "supervisor"),
    ]


def ivr_users(workdir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ivr", "users", *args, "--config", "config.yaml"],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=workdir,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_the_command_line(tmp_path: Path):
    text = single_company(SHIPPED_CONFIG.read_text(encoding="utf-8"))
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    add = ("add", "maria", "--role", "admin", "--password-stdin")
    added = ivr_users(tmp_path, *add, stdin=PASSWORD)
    assert added.returncode == 0, added.stderr
    assert "user maria added (admin)" in added.stdout
    again = ivr_users(tmp_path, *add, stdin=PASSWORD)
    assert again.returncode == 1 and "exists already" in again.stderr
    assert ivr_users(tmp_path, "disable", "maria").returncode == 0
    listed = ivr_users(tmp_path, "list")
    assert listed.stdout.startswith("maria\tadmin\tdisabled\t")
    assert PASSWORD not in listed.stdout and "argon2" not in listed.stdout
    audit = ivr_users(tmp_path, "audit").stdout.splitlines()
    assert [line.split("\t")[2] for line in audit] == ["user.disable", "user.add"]
    assert all(line.split("\t")[1].startswith("cli") for line in audit)
