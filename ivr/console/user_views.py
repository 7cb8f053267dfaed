"""The users page (admin): the console's users, adding one, a new password, disabling and
enabling (``UserStore``: each change with its audit event); and the audit log page
(supervisor, admin): every change people made, newest first. A user who is disabled or
gets a new password is signed out everywhere. Passwords are never logged nor shown again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from ivr.console.roles import ROLE_LABELS
from ivr.console.web import (
    Pages,
    console,
    form_text,
    redirect,
    render,
    session_of,
    set_session_cookie,
    user_of,
)
from ivr.store.audit import AuditFilter, AuditLog
from ivr.store.users import MIN_PASSWORD, UserError

log = logging.getLogger(__name__)
pages = Pages()


# -- users ------------------------------------------------------------------------------------


class FormError(Exception):
    """A form's value is wrong; the message is what the admin reads (Ukrainian)."""


def ukrainian(error: UserError, name: str) -> str:
    """What the admin reads for one of ``UserStore``'s refusals (by its ``reason``)."""
    texts = {
        "exists": f"Користувач «{name}» уже є.",
        "unknown": f"Користувача «{name}» немає.",
        "password": f"Пароль має містити щонайменше {MIN_PASSWORD} символів.",
        "role": "Оберіть роль зі списку.",
        "name": "Ім’я користувача: від 2 до 64 символів — малі латинські літери, цифри, «.», "
        "«_» або «-», першою має бути літера.",
    }
    return texts.get(error.reason, "Зміну не збережено.")


def _new_password(form: MultiDictProxy[Any]) -> str:
    """The password typed twice (never stripped: spaces are part of it)."""
    first, second = form.get("password", ""), form.get("password2", "")
    if not isinstance(first, str) or not isinstance(second, str) or not first:
        raise FormError("Введіть пароль двічі.")
    if first != second:
        raise FormError("Паролі не збігаються: введіть той самий пароль двічі.")
    return first


async def _users_page(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> web.Response:
    state = console(request)
    users = await state.run(state.users.users)
    return render(
        request,
        "users.html",
        status=status,
        error=error,
        users=users,
        roles=ROLE_LABELS,
        min_password=MIN_PASSWORD,
        form=form or {},
    )


@pages.get("/users", "users.manage")
async def users_page(request: web.Request) -> web.StreamResponse:
    return await _users_page(request)


@pages.post("/users/add", "users.manage")
async def add_user(request: web.Request) -> web.StreamResponse:
    state = console(request)
    form = await request.post()
    name, role = form_text(form, "name").lower(), form_text(form, "role")
    kept = {"name": name, "role": role}  # never the passwords
    try:
        password = _new_password(form)
        await state.run(state.users.add, name, role, password, user_of(request).name)
    except FormError as exc:
        return await _users_page(request, status=400, error=str(exc), form=kept)
    except UserError as exc:
        status = 409 if exc.reason == "exists" else 400
        return await _users_page(request, status=status, error=ukrainian(exc, name), form=kept)
    log.info("%s added the console user %s (%s)", user_of(request).name, name, role)
    session_of(request).flash(f"Користувача {name} додано ({ROLE_LABELS.get(role, role)}).")
    raise redirect("/users")


@pages.post("/users/password", "users.manage")
async def set_password(request: web.Request) -> web.StreamResponse:
    state = console(request)
    form = await request.post()
    name, actor = form_text(form, "name"), user_of(request).name
    try:
        password = _new_password(form)
        await state.run(state.users.set_password, name, password, actor)
    except FormError as exc:
        return await _users_page(request, status=400, error=f"{name}: {exc}")
    except UserError as exc:
        status = 404 if exc.reason == "unknown" else 400
        return await _users_page(request, status=status, error=ukrainian(exc, name))
    log.info("%s set a new password for %s; their sessions ended", actor, name)
    state.sessions.drop_user(name)
    message = f"Пароль користувача {name} змінено; його сеанси завершено."
    if name != actor:
        session_of(request).flash(message)
        raise redirect("/users")
    # the admin's own password: their other sessions end, this one goes on under a new token
    session = state.sessions.new(actor)
    session.flash("Ваш пароль змінено; інші ваші сеанси завершено.")
    response = redirect("/users")
    set_session_cookie(request, response, session.token)
    raise response


async def _set_disabled(request: web.Request, disabled: bool) -> web.StreamResponse:
    state = console(request)
    form = await request.post()
    name, actor = form_text(form, "name"), user_of(request).name
    if disabled and name == actor:
        return await _users_page(
            request, status=400, error="Не можна вимкнути власний обліковий запис."
        )
    try:
        await state.run(state.users.set_disabled, name, disabled, actor)
    except UserError as exc:
        return await _users_page(request, status=404, error=ukrainian(exc, name))
    if disabled:
        state.sessions.drop_user(name)
        log.info("%s disabled the console user %s; their sessions ended", actor, name)
        session_of(request).flash(f"Користувача {name} вимкнено; його сеанси завершено.")
    else:
        log.info("%s enabled the console user %s", actor, name)
        session_of(request).flash(f"Користувача {name} увімкнено.")
    raise redirect("/users")


@pages.post("/users/disable", "users.manage")
async def disable_user(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, True)


@pages.post("/users/enable", "users.manage")
async def enable_user(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, False)


# -- the audit log ----------------------------------------------------------------------------

ACTION_LABELS = {
    "outage.restoration": "Час відновлення",
    "outage.status": "Стан відключення",
    "outage.note": "Примітка до відключення",
    "outage.add": "Нове відключення",
    "outage.import": "Імпорт файлу відключень",
    "user.add": "Новий користувач",
    "user.password": "Новий пароль",
    "user.disable": "Користувача вимкнено",
    "user.enable": "Користувача увімкнено",
    "appeal.status": "Стан звернення",
    "appeal.export": "Вивантаження звернень у CSV",
    "config.reload": "Перечитано конфігурацію",
}
#: The filter's choices: an action prefix -> its label.
KINDS = {
    "outage.": "Відключення",
    "user.": "Користувачі",
    "appeal.": "Звернення",
    "config.": "Конфігурація",
}
_YES_NO = {"true": "так", "false": "ні"}
#: Values said in Ukrainian, by action.
WORDS = {
    "outage.status": {"active": "триває", "restored": "відновлено", "cancelled": "скасовано"},
    "user.add": ROLE_LABELS,
    "user.disable": _YES_NO,
    "user.enable": _YES_NO,
}
LIMIT = 200


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    label: str
    target: str
    before: str
    after: str


def shown_value(action: str, value: str | None, tz: tzinfo) -> str:
    """A before or after value as people read it: an ISO moment in the company's time,
    states, roles and yes/no in Ukrainian, nothing as ``—``."""
    if value is None or value == "":
        return "—"
    words = WORDS.get(action, {})
    if value in words:
        return words[value]
    if len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    return value


def _date(text: str, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FormError(f"{what}: «{text}» не є датою (наприклад, 2026-12-01).") from None


def audit_filter(query: Any, tz: tzinfo) -> AuditFilter:
    """The page's query (``kind``, ``since``, ``until`` as local dates, both included)."""
    kind = query.get("kind", "")
    if kind and kind not in KINDS:
        raise FormError("Невідомий вид змін.")
    since = _date(query.get("since", "").strip(), "Від")
    until = _date(query.get("until", "").strip(), "До")
    if since and until and until < since:
        raise FormError("Кінцева дата раніша за початкову.")

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz)

    return AuditFilter(
        action_prefix=kind or None,
        since=start_of(since) if since else None,
        until=start_of(until + timedelta(days=1)) if until else None,
        limit=LIMIT,
    )


@pages.get("/audit", "audit.view")
async def audit_page(request: web.Request) -> web.StreamResponse:
    state = console(request)
    tz = state.config.company.tz
    query = request.query
    error, status, rows = None, 200, []
    try:
        filters = audit_filter(query, tz)
    except FormError as exc:
        error, status = str(exc), 400
    else:
        events = await state.run(AuditLog(state.repository).events, filters)
        rows = [
            AuditRow(
                e.at,
                e.actor,
                e.action,
                ACTION_LABELS.get(e.action, e.action),
                e.target,
                shown_value(e.action, e.before, tz),
                shown_value(e.action, e.after, tz),
            )
            for e in events
        ]
    return render(
        request,
        "audit.html",
        status=status,
        error=error,
        rows=rows,
        kinds=KINDS,
        query={k: query.get(k, "") for k in ("kind", "since", "until")},
        limit=LIMIT,
    )
