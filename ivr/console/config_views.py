"""The configuration page (admin): the menu diagram of the running file, its validation
under the rule of calls, a candidate file's check and its changes against the running file,
and the reload button, which sends the FastAGI server SIGHUP: exactly what ``kill -HUP``
does (the server reloads for new calls, or refuses an invalid file and keeps the running
one). The page never writes the running file."""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import signal

from aiohttp import web

from ivr.config.model import Config
from ivr.console import config_check
from ivr.console.web import Pages, console, redirect, render, session_of, user_of
from ivr.store.audit import record_event

log = logging.getLogger(__name__)
pages = Pages()


def _svg_source(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    candidate: config_check.Candidate | None = None,
    text: str = "",
) -> web.Response:
    state = console(request)
    current = await state.run(config_check.running, state.config_path)
    if current.dot_problem:
        log.warning("configuration page: the menu diagram as text: %s", current.dot_problem)
    return render(
        request,
        "config.html",
        status=status,
        error=error,
        path=state.config_path,
        running=current,
        images={d.company_id: _svg_source(d.svg) for d in current.diagrams if d.svg},
        candidate=candidate,
        server_pid=state.server_pid,
        text=text,
    )


@pages.get("/config", "config.view")
async def config_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


def _file_name(value: str) -> str:
    return value.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "config.yaml"


@pages.post("/config/check", "config.view")
async def check_candidate(request: web.Request) -> web.StreamResponse:
    state = console(request)
    form = await request.post()
    upload = form.get("file")
    typed = form.get("text")
    data: bytes
    shown = ""  # the typed text, shown again in its box
    if isinstance(upload, web.FileField) and upload.filename:
        name = _file_name(upload.filename)
        data = await state.run(upload.file.read, config_check.MAX_CANDIDATE + 1)
    elif isinstance(typed, str) and typed.strip():
        name, data, shown = "candidate.yaml", typed.encode("utf-8"), typed
    else:
        return await _page(
            request, status=400, error="Оберіть файл конфігурації або вставте його текст."
        )
    if len(data) > config_check.MAX_CANDIDATE:
        return await _page(request, status=400, error="Файл завеликий (понад 1 МБ).")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return await _page(request, status=400, error=f"Файл {name} не є текстом UTF-8.")
    require_audio = form.get("no_audio") != "1"
    try:
        candidate = await state.run(
            config_check.check_candidate, state.config_path, text, name, require_audio
        )
    except OSError as exc:
        log.error("a candidate config cannot be checked beside %s: %s", state.config_path, exc)
        return await _page(
            request,
            status=500,
            error="Не вдалося тимчасово зберегти файл поруч із робочою конфігурацією "
            f"(каталог {state.config_path.parent} недоступний для запису консолі).",
        )
    log.info("%s checked a candidate config (%d error(s))", user_of(request).name, candidate.errors)
    status = 200 if candidate.changes is not None else 400
    return await _page(request, status=status, candidate=candidate, text=shown)


def _keep_database(old: Config, new: Config) -> Config:
    """The console's new configuration; its database stays the one it opened (as the
    server's does: ``database.url`` takes effect on restart only)."""
    if new.database_url != old.database_url:
        log.warning("config reload: database.url changed; the console uses it after a restart")
        new = dataclasses.replace(new, database_url=old.database_url)
    return new


@pages.post("/config/reload", "config.reload")
async def reload_config(request: web.Request) -> web.StreamResponse:
    state = console(request)
    actor = user_of(request).name
    pid = state.server_pid
    if pid is None:
        return await _page(
            request,
            status=409,
            error="Консоль не знає, який сервер IVR перечитуватиме конфігурацію. Запустіть "
            "консоль разом із сервером (ivr serve --console АДРЕСА:ПОРТ) або вкажіть його "
            "(ivr console --server-pid PID).",
        )
    _problems, config = await state.run(config_check.check_for_calls, state.config_path)
    if config is None:
        log.warning("%s: reload refused, %s is invalid", actor, state.config_path)
        return await _page(
            request,
            status=409,
            error="Конфігурацію не перечитано: у файлі є помилки. Сервер відмовився б від "
            "нього й працював би далі з поточною (перелік помилок — нижче).",
        )
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return await _page(
            request, status=409, error=f"Сервер IVR (pid {pid}) не працює: сигнал не надіслано."
        )
    except PermissionError:
        return await _page(
            request,
            status=409,
            error=f"Консоль не має права надіслати сигнал серверу IVR (pid {pid}).",
        )
    log.info("%s: SIGHUP sent to the FastAGI server (pid %d)", actor, pid)
    state.config = _keep_database(state.config, config)
    await state.run(
        record_event,
        state.repository,
        state.now(),
        actor,
        "config.reload",
        str(state.config_path),
        None,
        f"SIGHUP pid {pid}",
    )
    session_of(request).flash(
        f"Сервер IVR (pid {pid}) отримав сигнал перечитати конфігурацію: нові дзвінки йдуть "
        "за нею, поточні завершуються за попередньою."
    )
    raise redirect("/config")
