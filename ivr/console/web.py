"""The console's application: its state, how a page is declared, and the checks every
request goes through (the session, the role, the CSRF token, the security headers).

A view is declared with ``@pages.get(path, permission)`` or ``@pages.post(...)`` in its
module; ``build_app`` registers them all, each wrapped by ``_guarded``. Blocking work (the
database, argon2, file parsing) goes through ``Console.run``: a thread pool, never the event
loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from aiohttp import web
from multidict import MultiMapping

from ivr.config import Config
from ivr.console.roles import ROLE_LABELS, allowed, masks_callers
from ivr.console.sessions import COOKIE, ConsoleSession, LoginThrottle, Sessions
from ivr.store.users import User, UserStore

log = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: An uploaded outage file may be this large (the feeds' limit, ``ivr.outages.fetch``).
MAX_BODY = 8 * 1024 * 1024

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class Console:
    """What every view reaches through ``console(request)``."""

    config_path: Path
    config: Config
    #: the database (an ``ivr.store.repository.CallRepository``, opened and closed by the
    #: command); views hand it to the store's classes, never to SQL of their own
    repository: Any
    #: the FastAGI server the reload button signals (SIGHUP), when known
    server_pid: int | None = None
    #: cookies with ``Secure``: True, False, or None for "when the request came over HTTPS"
    #: (directly or through a proxy on this machine saying ``X-Forwarded-Proto: https``)
    secure_cookies: bool | None = None
    #: Asterisk's queue_log (``ivr console --queue-log``): the queue's waiting callers and
    #: the Resolution 375 indicators; None: not known
    queue_log: Path | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sessions: Sessions = field(default_factory=Sessions)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="ivr-console")
    )

    @property
    def users(self) -> UserStore:
        return UserStore(self.repository)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the console's thread pool."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def now(self) -> datetime:
        return self.clock()


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("session", ConsoleSession)
USER = web.RequestKey("user", User)


def console(request: web.Request) -> Console:
    return request.app[CONSOLE]


def session_of(request: web.Request) -> ConsoleSession:
    """The request's session (the guard made sure there is one)."""
    return request[SESSION]


def user_of(request: web.Request) -> User:
    """The signed-in user (for a page that needs a permission)."""
    return request[USER]


# -- declaring pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    permission: str | None  # None: open to visitors (the sign-in page)
    handler: Handler
    name: str


class Pages:
    """A module's views, registered by ``build_app``."""

    def __init__(self) -> None:
        self.entries: list[Page] = []

    def _add(self, method: str, path: str, permission: str | None, name: str | None):
        def register(handler: Handler) -> Handler:
            self.entries.append(Page(method, path, permission, handler, name or handler.__name__))
            return handler

        return register

    def get(self, path: str, permission: str | None, name: str | None = None):
        return self._add("GET", path, permission, name)

    def post(self, path: str, permission: str | None, name: str | None = None):
        return self._add("POST", path, permission, name)


# -- templates -------------------------------------------------------------------------------

NAV = (  # (permission, path, label)
    ("live.view", "/", "Зараз"),
    ("outages.view", "/outages", "Відключення"),
    ("appeals.view", "/appeals", "Звернення"),
    ("reports.view", "/reports", "Звіти"),
    ("audit.view", "/audit", "Журнал змін"),
    ("config.view", "/config", "Конфігурація"),
    ("users.manage", "/users", "Користувачі"),
)


def _environment() -> jinja2.Environment:
    from ivr.console import formatting

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(formatting.FILTERS)
    return env


TEMPLATES = web.AppKey("templates", jinja2.Environment)


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """A page: ``template`` with the user, the navigation, the CSRF token and the flashes."""
    session: ConsoleSession | None = request.get(SESSION)
    user: User | None = request.get(USER)
    nav = [(path, label) for perm, path, label in NAV if user and allowed(user.role, perm)]
    text = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(
            user=user,
            role_label=ROLE_LABELS.get(user.role, user.role) if user else None,
            masked=bool(user and masks_callers(user.role)),
            can=(lambda permission: bool(user and allowed(user.role, permission))),
            nav=nav,
            here=request.path,
            csrf=session.csrf if session else "",
            flashes=session.take_flashes() if session else [],
            tz=console(request).config.company.tz,
            **context,
        )
    )
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def form_text(values: MultiMapping[Any], name: str) -> str:
    """A form's or a query's text value, stripped; "" when it is missing or a file."""
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def redirect(location: str) -> web.HTTPSeeOther:
    """After a form: 303 to a page (Post/Redirect/Get)."""
    return web.HTTPSeeOther(location)


# -- the guard ---------------------------------------------------------------------------------


LOOPBACK_PEERS = ("127.0.0.1", "::1")


def is_secure(request: web.Request) -> bool:
    """The browser reached us over HTTPS: directly, or through a proxy on this machine."""
    if request.secure:
        return True
    proto = request.headers.get("X-Forwarded-Proto", "").strip().lower()
    return proto == "https" and request.remote in LOOPBACK_PEERS


def client_address(request: web.Request) -> str:
    """The browser's address: the peer's, or behind a proxy on this machine the one it
    names last in ``X-Forwarded-For`` (every user of a proxy would share 127.0.0.1, and one
    person's wrong passwords would lock everyone out)."""
    peer = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if peer in LOOPBACK_PEERS and forwarded.strip():
        return forwarded.split(",")[-1].strip() or peer
    return peer


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    secure = console(request).secure_cookies
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=is_secure(request) if secure is None else secure,
        path="/",
    )


def _forbidden(request: web.Request, message: str) -> web.Response:
    return render(request, "error.html", status=403, title="Доступ заборонено", message=message)


async def csrf_ok(request: web.Request, session: ConsoleSession) -> bool:
    """The form's ``csrf`` field is this session's token (every POST must carry it)."""
    form = await request.post()
    given = form.get("csrf")
    return isinstance(given, str) and hmac.compare_digest(given, session.csrf)


def _guarded(page: Page) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        state = console(request)
        session = state.sessions.get(request.cookies.get(COOKIE))
        if session is not None and session.user is not None:
            user = await state.run(state.users.get, session.user)
            if user is None or user.disabled:
                state.sessions.drop(session.token)
                session = None
            else:
                request[USER] = user
        if page.permission is not None and USER not in request:
            target = "/login"
            if page.method == "GET" and request.path != "/":
                target += "?next=" + quote(request.path, safe="/")
            raise redirect(target)
        if session is not None:
            request[SESSION] = session
        if page.method == "POST" and (session is None or not await csrf_ok(request, session)):
            log.warning("a form to %s without a valid CSRF token refused", request.path)
            return render(
                request,
                "error.html",
                status=403,
                title="Форму відхилено",
                message="Форма застаріла або надіслана не з консолі. Відкрийте сторінку "
                "знову й повторіть дію.",
            )
        if page.permission is not None and not allowed(request[USER].role, page.permission):
            return _forbidden(request, "Ця сторінка недоступна для вашої ролі.")
        return await page.handler(request)

    handler.__name__ = page.name
    return handler


async def _sign_in_for_error_page(request: web.Request) -> None:
    """The session's user on a page no view answered (its navigation and sign-out)."""
    state = console(request)
    session = state.sessions.get(request.cookies.get(COOKIE))
    if session is None or session.user is None or USER in request:
        return
    user = await state.run(state.users.get, session.user)
    if user is not None and not user.disabled:
        request[SESSION], request[USER] = session, user


ERROR_PAGES = {404: "Сторінку не знайдено", 405: "Так цю сторінку не відкривають"}


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The security headers on every answer; a Ukrainian page for an unknown address."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status not in ERROR_PAGES:
            exc.headers.update(SECURITY_HEADERS)
            raise
        with contextlib.suppress(Exception):  # the page says "not found" all the same
            await _sign_in_for_error_page(request)
        response = render(
            request, "error.html", status=exc.status, title=ERROR_PAGES[exc.status], message=""
        )
    except Exception:  # the database is down, or a bug: never a traceback or English
        log.exception("%s %s failed", request.method, request.path)
        response = render(
            request,
            "error.html",
            status=500,
            title="Сталася помилка",
            message="Не вдалося виконати запит: база даних недоступна або сталася внутрішня "
            "помилка. Нічого не змінено. Спробуйте ще раз за хвилину; якщо це триває, "
            "зверніться до адміністратора.",
        )
    response.headers.update(SECURITY_HEADERS)
    return response


def build_app(state: Console, modules: list[Pages]) -> web.Application:
    """The console over ``state`` with the views of ``modules`` (``ivr.console.app``)."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_headers])
    app[CONSOLE] = state
    app[TEMPLATES] = _environment()
    for module in modules:
        for page in module.entries:
            app.router.add_route(page.method, page.path, _guarded(page), name=page.name)
    app.router.add_static("/static/", HERE / "static", name="static", append_version=False)

    async def shutdown(_app: web.Application) -> None:
        state.executor.shutdown(wait=True)

    app.on_cleanup.append(shutdown)
    return app
