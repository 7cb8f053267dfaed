"""The appeal lifecycle: registered -> in_progress -> answered -> closed.

Every change is an ``appeal_events`` row (status, when, by whom, note), written in the same
transaction as the appeal's ``status`` and its ``answered_at`` or ``closed_at``, with its
``audit_events`` row (``appeal.status``: who, from what status to what). A status only moves
forward (a step may be skipped); a change that cannot be made raises LifecycleError and
changes nothing (a database that refuses: StorageError). Two people changing one appeal at
once cannot both win: the update names the status it started from.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ivr.store.appeals import format_appeal_number
from ivr.store.audit import audit_event
from ivr.store.models import Appeal, AppealEvent
from ivr.store.records import AppealEventRecord, AppealStatus
from ivr.store.repository import CallRepository, database_refusals

ORDER = tuple(AppealStatus)
#: The longest ``by`` and ``note`` the events table keeps.
BY_LENGTH = 64
NOTE_LENGTH = 500


class LifecycleError(Exception):
    """A status change that cannot be made; nothing was changed. ``reason`` names the case
    (one of ``REASONS``) for a caller that words the refusal itself (the web console)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


#: Why a change was refused: ``LifecycleError.reason``.
REASONS = (
    "unknown_status",  # the new status is not one of AppealStatus
    "unknown_current",  # the appeal's stored status is not one this version knows
    "unchanged",  # the appeal already has that status
    "backwards",  # statuses only go forward
    "needs_note",  # closing an appeal never answered needs a note
    "no_author",  # who changes it is not given
    "too_long",  # the note (or the author's name) is too long
    "naive_time",  # the moment of the change has no timezone
    "before_last",  # the moment is before the appeal's last change
    "missing",  # no such appeal
    "conflict",  # someone else changed it meanwhile
)


def next_statuses(current: str) -> tuple[AppealStatus, ...]:
    """The statuses an appeal in ``current`` may go to (none for one unknown here)."""
    try:
        return ORDER[ORDER.index(AppealStatus(current)) + 1 :]
    except ValueError:
        return ()


def check_change(number: str, current: str, new: str, note: str = "") -> AppealStatus:
    """The new status, if an appeal in ``current`` may go there; else LifecycleError."""
    shown = format_appeal_number(number)
    statuses = ", ".join(s.value for s in ORDER[1:])
    try:
        target = AppealStatus(new)
    except ValueError:
        raise LifecycleError(f"unknown status '{new}': use {statuses}", "unknown_status") from None
    try:
        now = AppealStatus(current)
    except ValueError:
        raise LifecycleError(
            f"appeal {shown} has a status unknown here: '{current}'", "unknown_current"
        ) from None
    if target is now:
        raise LifecycleError(f"appeal {shown} is already {now.value}", "unchanged")
    if ORDER.index(target) < ORDER.index(now):
        raise LifecycleError(
            f"appeal {shown} is {now.value}; it cannot go back to {target.value} "
            f"(statuses only go forward: {' -> '.join(s.value for s in ORDER)})",
            "backwards",
        )
    if target is AppealStatus.CLOSED and now is not AppealStatus.ANSWERED and not note.strip():
        raise LifecycleError(
            f"appeal {shown} was never answered: closing it needs a note saying why "
            "(withdrawn, a duplicate of another appeal, ...)",
            "needs_note",
        )
    return target


def _checked_text(value: str, what: str, longest: int, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise LifecycleError(f"{what} must not be empty", "no_author")
    if len(text) > longest:
        raise LifecycleError(
            f"{what} is {len(text)} characters long; at most {longest}", "too_long"
        )
    return text


class AppealLifecycle:
    """Status changes of the appeals in one database."""

    def __init__(self, repository: CallRepository) -> None:
        self.engine = repository.engine

    @database_refusals
    def _state(self, number: str) -> tuple[str, datetime]:
        """The appeal's status and the moment of its last change (or registration)."""
        with Session(self.engine) as session:
            row = session.execute(
                select(Appeal.status, Appeal.registered_at).where(Appeal.appeal_number == number)
            ).first()
            if row is None:
                raise LifecycleError(
                    f"no appeal {format_appeal_number(number)} in the database", "missing"
                )
            last = session.scalar(
                select(func.max(AppealEvent.at)).where(AppealEvent.appeal_number == number)
            )
        status, registered_at = row
        return status, max(registered_at, last) if last is not None else registered_at

    @database_refusals
    def change(
        self,
        number: str,
        status: str,
        by: str,
        note: str = "",
        at: datetime | None = None,
        expected: str | None = None,
    ) -> AppealEventRecord:
        """Move appeal ``number`` (14 digits) to ``status``; returns the event written.
        ``expected``: the status the person saw; another one now is a conflict."""
        by = _checked_text(by, "the name of who changes it (--by)", BY_LENGTH, required=True)
        note = _checked_text(note, "the note", NOTE_LENGTH, required=False)
        at = at or datetime.now(UTC)
        if at.tzinfo is None:
            raise LifecycleError("the moment of a change must carry its timezone", "naive_time")
        current, latest = self._state(number)
        if expected is not None and current != expected:
            raise LifecycleError(
                f"appeal {format_appeal_number(number)} is {current} now, not {expected}",
                "conflict",
            )
        target = check_change(number, current, status, note)
        if at < latest:
            raise LifecycleError(
                f"{at.isoformat()} is before the appeal's last change ({latest.isoformat()})",
                "before_last",
            )
        values: dict[str, object] = {"status": target.value}
        if target is AppealStatus.ANSWERED:
            values["answered_at"] = at
        elif target is AppealStatus.CLOSED:
            values["closed_at"] = at
        # The update comes first and names the status read above: a change made meanwhile
        # makes it match nothing (and SQLite takes its write lock at once).
        with Session(self.engine) as session, session.begin():
            changed = session.execute(
                update(Appeal)
                .where(Appeal.appeal_number == number, Appeal.status == current)
                .values(**values)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise LifecycleError(
                    f"appeal {format_appeal_number(number)} was changed by someone else just "
                    "now; look at it again (ivr appeals show) and repeat if still needed",
                    "conflict",
                )
            session.add(
                AppealEvent(appeal_number=number, status=target.value, at=at, by=by, note=note)
            )
            session.add(audit_event(at, by, "appeal.status", number, current, target.value))
        return AppealEventRecord(number, target.value, at, by, note)
