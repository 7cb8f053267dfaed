"""The audit log: every change a person makes (the web console, ``ivr users``, ``ivr
outages`` from the command line), who made it, when, to what, from what to what. An event
is written in the same transaction as the change it describes, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.store.models import AuditEvent
from ivr.store.repository import CallRepository

#: The columns' lengths (``AuditEvent``): longer values are cut, never refused.
_LIMITS = {"actor": 64, "action": 64, "target": 200, "before": 500, "after": 500}


def audit_event(
    at: datetime,
    actor: str,
    action: str,
    target: str,
    before: str | None,
    after: str | None,
) -> AuditEvent:
    """The row for one change, to add to the change's own session."""
    values = {"actor": actor, "action": action, "target": target, "before": before, "after": after}
    cut = {k: v[: _LIMITS[k]] if isinstance(v, str) else v for k, v in values.items()}
    return AuditEvent(at=at, **cut)


@dataclass(frozen=True)
class AuditFilter:
    """Which events: every given condition holds; the newest first, at most ``limit``."""

    action_prefix: str | None = None  # "outage." for every outage change
    actor: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


class AuditLog:
    def __init__(self, repository: CallRepository) -> None:
        self.engine = repository.engine

    def events(self, filters: AuditFilter | None = None) -> list[AuditEvent]:
        filters = filters or AuditFilter()
        stmt = select(AuditEvent)
        if filters.action_prefix:
            stmt = stmt.where(AuditEvent.action.startswith(filters.action_prefix, autoescape=True))
        if filters.actor:
            stmt = stmt.where(AuditEvent.actor == filters.actor)
        if filters.target:
            stmt = stmt.where(AuditEvent.target == filters.target)
        if filters.since:
            stmt = stmt.where(AuditEvent.at >= filters.since)
        if filters.until:
            stmt = stmt.where(AuditEvent.at < filters.until)
        stmt = stmt.order_by(AuditEvent.id.desc()).limit(filters.limit)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))


def record_event(
    repository: CallRepository,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    before: str | None = None,
    after: str | None = None,
) -> None:
    """One event on its own, for a change no row of ours holds (a reload signal sent to the
    server): its own transaction."""
    with Session(repository.engine) as session, session.begin():
        session.add(audit_event(at, actor, action, target, before, after))
