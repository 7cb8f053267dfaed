"""What each console role may do: one table, checked by ``ivr.console.web`` for every page
and form (a page names its permission; nothing else decides)."""

from __future__ import annotations

from ivr.store.users import ROLES

DISPATCHER, SUPERVISOR, ADMIN = ROLES
EVERYONE = frozenset(ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    "live.view": EVERYONE,
    "outages.view": EVERYONE,
    "outages.edit": frozenset({DISPATCHER, ADMIN}),
    "appeals.view": EVERYONE,  # a dispatcher sees the list, with callers' numbers masked
    "appeals.detail": frozenset({SUPERVISOR, ADMIN}),
    "appeals.edit": frozenset({SUPERVISOR, ADMIN}),
    "reports.view": frozenset({SUPERVISOR, ADMIN}),
    "audit.view": frozenset({SUPERVISOR, ADMIN}),
    "config.view": frozenset({ADMIN}),
    "config.reload": frozenset({ADMIN}),
    "users.manage": frozenset({ADMIN}),
}

#: The roles' names as the console shows them.
ROLE_LABELS = {DISPATCHER: "диспетчер", SUPERVISOR: "супервізор", ADMIN: "адміністратор"}


def allowed(role: str, permission: str) -> bool:
    """May ``role`` do ``permission``? An unknown permission is nobody's."""
    return role in PERMISSIONS.get(permission, frozenset())


def masks_callers(role: str) -> bool:
    """Lists show this role callers' numbers masked (``ivr.console.masking``)."""
    return role == DISPATCHER
