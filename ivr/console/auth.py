"""Signing in and out. Wrong passwords are throttled per user name and per address
(``LoginThrottle``); the answer is the same for an unknown name and a wrong password; a
successful sign-in gets a new session token."""

from __future__ import annotations

import logging

from aiohttp import web

from ivr.console.web import (
    SESSION,
    USER,
    Pages,
    client_address,
    console,
    redirect,
    render,
    session_of,
    set_session_cookie,
)

log = logging.getLogger(__name__)
pages = Pages()


def _next_path(value: object) -> str:
    """Where to go after signing in: a path of this console only (no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return "/"
    return "/" if "\\" in value else value


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60) + (seconds % 60 > 0))


@pages.get("/login", None)
async def login_form(request: web.Request) -> web.StreamResponse:
    state = console(request)
    if USER in request:
        raise redirect("/")
    session = request.get(SESSION) or state.sessions.new()
    request[SESSION] = session
    response = render(request, "login.html", next=_next_path(request.query.get("next")), name="")
    set_session_cookie(request, response, session.token)
    return response


@pages.post("/login", None)
async def login(request: web.Request) -> web.StreamResponse:
    state = console(request)
    form = await request.post()
    name = str(form.get("name", "")).strip().lower()
    password = str(form.get("password", ""))
    target = _next_path(form.get("next"))
    address = client_address(request)
    wait = state.throttle.locked_for(name, address)
    if wait > 0:
        log.warning("sign-in refused: too many wrong passwords (name or address locked)")
        return render(
            request,
            "login.html",
            status=429,
            next=target,
            name=name,
            error=f"Забагато невдалих спроб входу. Спробуйте знову через {_minutes(wait)} хв.",
        )
    user = await state.run(state.users.verify, name, password) if name and password else None
    if user is None:
        state.throttle.failed(name, address)
        log.warning("sign-in failed from %s", address)
        return render(
            request,
            "login.html",
            status=401,
            next=target,
            name=name,
            error="Невірне ім’я користувача або пароль.",
        )
    state.throttle.succeeded(name)
    state.sessions.drop(session_of(request).token)
    session = state.sessions.new(user.name)
    log.info("%s signed in (%s)", user.name, user.role)
    response = redirect(target)
    set_session_cookie(request, response, session.token)
    raise response


@pages.post("/logout", None)
async def logout(request: web.Request) -> web.StreamResponse:
    state = console(request)
    session = session_of(request)
    if session.user:
        log.info("%s signed out", session.user)
    state.sessions.drop(session.token)
    response = redirect("/login")
    response.del_cookie("ivr_console", path="/")
    raise response
