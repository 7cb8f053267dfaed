"""The appeal lifecycle: registered -> in_progress -> answered -> closed.

Every change is an ``appeal_events`` row (status, when, by whom, note), written in the same
transaction as the appeal's ``status`` and its ``answered_at`` or ``closed_at``. A status
only moves forward (a step may be skipped); a change that cannot be made raises
LifecycleError and changes nothing (a database that refuses: StorageError). Two people
changing one appeal at once cannot both win: the update names the status it started from.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ivr.store.appeals import format_appeal_number
from ivr.store.models import Appeal, AppealEvent
from ivr.store.records import AppealEventRecord, AppealStatus
from ivr.store.repository import CallRepository, database_refusals

ORDER = tuple(AppealStatus)
#: The longest ``by`` and ``note`` the events table keeps.
BY_LENGTH = 64
NOTE_LENGTH = 500


class LifecycleError(Exception):
    """A status change that cannot be made; nothing was changed."""


def check_change(number: str, current: str, new: str, note: str = "") -> AppealStatus:
    """The new status, if an appeal in ``current`` may go there; else LifecycleError."""
    shown = format_appeal_number(number)
    statuses = ", ".join(s.value for s in ORDER[1:])
    try:
        target = AppealStatus(new)
    except ValueError:
        raise LifecycleError(f"unknown status '{new}': use {statuses}") from None
    try:
        now = AppealStatus(current)
    except ValueError:
        raise LifecycleError(f"appeal {shown} has a status unknown here: '{current}'") from None
    if target is now:
        raise LifecycleError(f"appeal {shown} is already {now.value}")
    if ORDER.index(target) < ORDER.index(now):
        raise LifecycleError(
            f"appeal {shown} is {now.value}; it cannot go back to {target.value} "
            f"(statuses only go forward: {' -> '.join(s.value for s in ORDER)})"
        )
    if target is AppealStatus.CLOSED and now is not AppealStatus.ANSWERED and not note.strip():
        raise LifecycleError(
            f"appeal {shown} was never answered: closing it needs a note saying why "
            "(withdrawn, a duplicate of another appeal, ...)"
        )
    return target


def _checked_text(value: str, what: str, longest: int, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise LifecycleError(f"{what} must not be empty")
    if len(text) > longest:
        raise LifecycleError(f"{what} is {len(text)} characters long; at most {longest}")
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
                raise LifecycleError(f"no appeal {format_appeal_number(number)} in the database")
            last = session.scalar(
                select(func.max(AppealEvent.at)).where(AppealEvent.appeal_number == number)
            )
        status, registered_at = row
        return status, max(registered_at, last) if last is not None else registered_at

    @database_refusals
    def change(
        self, number: str, status: str, by: str, note: str = "", at: datetime | None = None
    ) -> AppealEventRecord:
        """Move appeal ``number`` (14 digits) to ``status``; returns the event written."""
        by = _checked_text(by, "the name of who changes it (--by)", BY_LENGTH, required=True)
        note = _checked_text(note, "the note", NOTE_LENGTH, required=False)
        at = at or datetime.now(UTC)
        if at.tzinfo is None:
            raise LifecycleError("the moment of a change must carry its timezone")
        current, latest = self._state(number)
        target = check_change(number, current, status, note)
        if at < latest:
            raise LifecycleError(
                f"{at.isoformat()} is before the appeal's last change ({latest.isoformat()})"
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
                    "now; look at it again (ivr appeals show) and repeat if still needed"
                )
            session.add(
                AppealEvent(appeal_number=number, status=target.value, at=at, by=by, note=note)
            )
        return AppealEventRecord(number, target.value, at, by, note)
