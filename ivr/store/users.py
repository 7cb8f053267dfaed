"""The web console's users and the audit log of changes people make (``ivr users``, the
console). Passwords are kept only as argon2id hashes (``argon2-cffi``); a user is disabled,
never deleted, so the audit log's names stay meaningful."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.store.audit import AuditFilter, AuditLog, audit_event
from ivr.store.models import AuditEvent, ConsoleUser
from ivr.store.repository import CallRepository

#: What each role may do in the console.
ROLES = ("dispatcher", "supervisor", "admin")
NAME_RE = re.compile(r"[a-z][a-z0-9._-]{1,63}")
#: Shorter passwords are refused.
MIN_PASSWORD = 10

_hasher = PasswordHasher()


class UserError(Exception):
    """A user cannot be added or changed (the message says why; never the password).
    ``reason`` names the case for a translation: ``name``, ``role``, ``password``,
    ``exists`` or ``unknown``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class User:
    name: str
    role: str
    disabled: bool
    created_at: datetime
    changed_at: datetime


def _user(row: ConsoleUser) -> User:
    return User(row.name, row.role, row.disabled, row.created_at, row.changed_at)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters", "password")


class UserStore:
    def __init__(self, repository: CallRepository) -> None:
        self.engine = repository.engine
        self._audit = AuditLog(repository)

    def add(self, name: str, role: str, password: str, actor: str) -> User:
        if not NAME_RE.fullmatch(name):
            raise UserError(
                f"user name {name!r}: 2-64 characters, lower-case Latin letters, digits, "
                "'.', '_' or '-', starting with a letter",
                "name",
            )
        if role not in ROLES:
            raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}", "role")
        _check_password(password)
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            if session.get(ConsoleUser, name) is not None:
                raise UserError(f"user {name!r} exists already", "exists")
            row = ConsoleUser(
                name=name,
                role=role,
                password_hash=_hasher.hash(password),
                disabled=False,
                created_at=now,
                changed_at=now,
            )
            session.add(row)
            session.add(audit_event(now, actor, "user.add", name, None, role))
            return _user(row)

    def set_password(self, name: str, password: str, actor: str) -> None:
        _check_password(password)
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            row = self._row(session, name)
            row.password_hash = _hasher.hash(password)
            row.changed_at = now
            session.add(audit_event(now, actor, "user.password", name, None, None))

    def set_disabled(self, name: str, disabled: bool, actor: str) -> None:
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            row = self._row(session, name)
            if row.disabled == disabled:
                return
            before, after = str(row.disabled).lower(), str(disabled).lower()
            row.disabled = disabled
            row.changed_at = now
            action = "user.disable" if disabled else "user.enable"
            session.add(audit_event(now, actor, action, name, before, after))

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password is theirs and they are not disabled; else None (the
        same answer for an unknown name, so a caller cannot tell which was wrong)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(ConsoleUser, name)
            if row is None:
                _hasher.hash(password)  # the same time as a known name
                return None
            try:
                _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            if row.disabled:
                return None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return _user(row)

    def users(self) -> list[User]:
        with Session(self.engine) as session:
            rows = session.scalars(select(ConsoleUser).order_by(ConsoleUser.name))
            return [_user(r) for r in rows]

    def audit(self, limit: int = 100) -> list[AuditEvent]:
        return self._audit.events(AuditFilter(limit=limit))

    def get(self, name: str) -> User | None:
        with Session(self.engine) as session:
            row = session.get(ConsoleUser, name)
            return _user(row) if row is not None else None

    @staticmethod
    def _row(session: Session, name: str) -> ConsoleUser:
        row = session.get(ConsoleUser, name)
        if row is None:
            raise UserError(f"no user {name!r}", "unknown")
        return row
