"""The outages page: active and planned outages, today's and tomorrow's hourly schedules,
the data's sources and age; a dispatcher adds an outage, gives a new restoration time,
restores or cancels one, and imports a file. Each change is one transaction with its audit
event (``OutageStore``), and the IVR's look-ups see it within a second (they check the
data's version, ``ivr.store.lookups``): the next caller hears it, no restart."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from ivr.console.web import Pages, console, form_text, redirect, render, session_of, user_of
from ivr.outages.batch import Origin
from ivr.outages.formats import PARSERS
from ivr.outages.groups import group_problem
from ivr.outages.model import (
    Area,
    Outage,
    OutageKind,
    OutageStatus,
    Restoration,
    ScheduleDay,
)
from ivr.outages.moments import parse_moment
from ivr.outages.problem_texts import ukrainian, ukrainian_place
from ivr.outages.problems import BadData
from ivr.store.outages import (
    ImportSummary,
    OutageConflict,
    OutageError,
    OutageStore,
    RestorationBeforeStart,
)

log = logging.getLogger(__name__)
pages = Pages()

#: The formats a file may be imported in, as the form offers them.
FORMAT_LABELS = {
    "yasno": "Yasno (JSON графіків)",
    "dtek": "ДТЕК (JSON графіків)",
    "csv": "CSV відключень",
    "json": "JSON відключень (наш формат)",
}
KIND_LABELS = {OutageKind.EMERGENCY: "аварійне", OutageKind.PLANNED: "планове"}
STATUS_LABELS = {
    OutageStatus.ACTIVE: "триває",
    OutageStatus.RESTORED: "відновлено",
    OutageStatus.CANCELLED: "скасовано",
}
DAY_STATUS_LABELS = {
    "in_force": "діє",
    "provisional": "попередній",
    "suspended": "графіки скасовано (аварійні відключення)",
    "no_outages": "без відключень",
}
ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: A dispatcher's outages are stored with this source, as ``ivr outages add`` does.
DISPATCHER_SOURCE = "dispatcher"


class FormError(Exception):
    """A form's value is wrong; the message is what the dispatcher reads (Ukrainian)."""


@dataclass(frozen=True)
class OutagePage:
    active: list[Outage]
    ended: list[Outage]  # restored or cancelled in the last day
    days: list[ScheduleDay]  # today's and tomorrow's, by group
    fetches: dict[str, datetime]
    updated_at: datetime | None
    today: Any
    tomorrow: Any


def _page_data(store: OutageStore, now: datetime, tz: Any) -> OutagePage:
    today = now.astimezone(tz).date()
    tomorrow = today + timedelta(days=1)
    active, days = store.current(today)
    return OutagePage(
        active=active,
        ended=store.ended_since(now - timedelta(days=1)),
        days=[d for d in days if d.day in (today, tomorrow)],
        fetches=store.fetches(),
        updated_at=store.updated_at(),
        today=today,
        tomorrow=tomorrow,
    )


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    problems: list[tuple[str, str]] | None = None,
    form: MultiDictProxy[Any] | dict[str, str] | None = None,
) -> web.Response:
    state = console(request)
    now = state.now()
    data = await state.run(_page_data, OutageStore(state.repository), now, state.config.company.tz)
    groups: dict[str, list[ScheduleDay]] = {}
    for day in data.days:
        groups.setdefault(day.group, []).append(day)
    return render(
        request,
        "outages.html",
        status=status,
        data=data,
        groups=groups,
        now=now,
        error=error,
        problems=problems or [],
        form=form or {},
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        day_statuses=DAY_STATUS_LABELS,
        formats=FORMAT_LABELS,
    )


@pages.get("/outages", "outages.view")
async def outages_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


# -- reading the forms ------------------------------------------------------------------------


def _moment(form: MultiDictProxy[Any], name: str, what: str, tz: Any) -> datetime | None:
    text = form_text(form, name)
    if not text:
        return None
    try:
        return parse_moment(text, str(tz))
    except ValueError:
        raise FormError(
            f"{what}: «{text}» не є датою й часом (наприклад, 01.12.2026 14:30)"
        ) from None


def _future(moment: datetime, now: datetime, what: str) -> datetime:
    """A restoration estimate must not be in the past (the current minute is allowed)."""
    if moment < now.replace(second=0, microsecond=0):
        raise FormError(
            f"{what} вже минув. Вкажіть майбутній час; якщо світло вже є — натисніть «Відновлено»."
        )
    return moment


def _list(form: MultiDictProxy[Any], name: str) -> tuple[str, ...]:
    """Values separated by commas, semicolons or new lines."""
    return tuple(p.strip() for p in re.split(r"[,;\n]", form_text(form, name)) if p.strip())


def _expected(form: MultiDictProxy[Any]) -> datetime:
    """The outage's ``changed_at`` when the form was shown (a stale form is refused)."""
    try:
        return datetime.fromisoformat(form_text(form, "changed"))
    except ValueError:
        raise FormError("Форма застаріла: відкрийте сторінку знову.") from None


def _new_outage(form: MultiDictProxy[Any], now: datetime, tz: Any) -> Outage:
    outage_id = form_text(form, "outage_id") or now.astimezone(tz).strftime("D%Y%m%d-%H%M%S")
    if not ID_RE.fullmatch(outage_id):
        raise FormError("Номер відключення: лише латинські літери, цифри, «.», «_» і «-».")
    settlement = form_text(form, "settlement")
    if not settlement:
        raise FormError("Вкажіть населений пункт.")
    kind = form_text(form, "kind") or OutageKind.EMERGENCY.value
    if kind not in {k.value for k in OutageKind}:
        raise FormError("Невідомий вид відключення.")
    streets, houses, groups = _list(form, "streets"), _list(form, "houses"), _list(form, "groups")
    for group in groups:
        if group_problem(group):
            raise FormError(f"Черга «{group}»: очікується номер на кшталт 3.1.")
    if houses and len(streets) != 1:
        raise FormError("Будинки можна вказати лише для однієї вулиці.")
    start = _moment(form, "start", "Початок", tz) or now
    back = _moment(form, "restoration", "Час відновлення", tz)
    if back is not None:
        _future(back, now, "Час відновлення")
    return Outage(
        outage_id,
        OutageKind(kind),
        Area(settlement, streets, houses, form_text(form, "feeder") or None, groups),
        start,
        OutageStatus.ACTIVE,
        (Restoration(back, now, DISPATCHER_SOURCE),),
        form_text(form, "note"),
        DISPATCHER_SOURCE,
    )


def _same_minute(moment: datetime, other: datetime | None) -> bool:
    return other is not None and moment.replace(second=0, microsecond=0) == other.replace(
        second=0, microsecond=0
    )


def _before_start(operation: str, outage_id: str) -> str:
    if operation == "restore":
        return f"Відключення {outage_id} ще не почалося. Якщо його не буде — натисніть «Скасувати»."
    return "Час відновлення має бути пізніше за початок відключення."


def _conflict_message(outage_id: str) -> str:
    return (
        f"Відключення {outage_id} щойно змінив інший користувач. Вашу зміну не збережено: "
        "перегляньте нові дані нижче й за потреби повторіть її."
    )


async def _change(request: web.Request, operation: str) -> web.StreamResponse:
    """Update, restore or cancel one outage from its row's form."""
    state = console(request)
    form = await request.post()
    source, outage_id = form_text(form, "source"), form_text(form, "outage_id")
    store = OutageStore(state.repository)
    actor = user_of(request).name
    now = state.now()
    tz = state.config.company.tz
    try:
        expected = _expected(form)
        if operation == "update":
            current = await state.run(store.get, source, outage_id)
            back = _moment(form, "restoration", "Час відновлення", tz)
            if back is not None and _same_minute(back, current.restoration):
                back = None  # the form shows the current time: only the note changed
            note = form_text(form, "note") if "note" in form else None
            if back is None and note in (None, current.note):
                raise FormError("Вкажіть новий час відновлення або примітку.")
            if back is not None:
                _future(back, now, "Час відновлення")
            await state.run(
                lambda: store.update(
                    source, outage_id, restoration=back, note=note, actor=actor, expected=expected
                )
            )
            message = f"Відключення {outage_id}: зміни збережено."
        elif operation == "restore":
            await state.run(
                lambda: store.restore(source, outage_id, actor=actor, expected=expected)
            )
            message = f"Відключення {outage_id}: світло відновлено."
        else:
            await state.run(lambda: store.cancel(source, outage_id, actor=actor, expected=expected))
            message = f"Відключення {outage_id} скасовано."
    except FormError as exc:
        return await _page(request, status=400, error=str(exc))
    except RestorationBeforeStart:  # the store's rule, in the dispatcher's words
        return await _page(request, status=400, error=_before_start(operation, outage_id))
    except OutageConflict:
        log.info("%s: a stale %s of outage %s/%s refused", actor, operation, source, outage_id)
        return await _page(request, status=409, error=_conflict_message(outage_id))
    except OutageError:
        return await _page(request, status=404, error=f"Відключення {outage_id} не знайдено.")
    log.info("%s: %s of outage %s/%s", actor, operation, source, outage_id)
    session_of(request).flash(message)
    raise redirect("/outages")


@pages.post("/outages/update", "outages.edit")
async def update_outage(request: web.Request) -> web.StreamResponse:
    return await _change(request, "update")


@pages.post("/outages/restore", "outages.edit")
async def restore_outage(request: web.Request) -> web.StreamResponse:
    return await _change(request, "restore")


@pages.post("/outages/cancel", "outages.edit")
async def cancel_outage(request: web.Request) -> web.StreamResponse:
    return await _change(request, "cancel")


@pages.post("/outages/add", "outages.edit")
async def add_outage(request: web.Request) -> web.StreamResponse:
    state = console(request)
    form = await request.post()
    store = OutageStore(state.repository)
    try:
        outage = _new_outage(form, state.now(), state.config.company.tz)
        await state.run(store.add, outage, user_of(request).name)
    except FormError as exc:
        return await _page(request, status=400, error=str(exc), form=form)
    except RestorationBeforeStart:
        return await _page(request, status=400, error=_before_start("add", ""), form=form)
    except OutageError:
        return await _page(
            request, status=409, error="Відключення з таким номером уже є.", form=form
        )
    session_of(request).flash(f"Відключення {outage.id} додано.")
    raise redirect("/outages")


def _parse_upload(text: str, format_: str, origin: Origin) -> Any:
    return PARSERS[format_](text, origin)


@pages.post("/outages/import", "outages.edit")
async def import_file(request: web.Request) -> web.StreamResponse:
    state = console(request)
    form = await request.post()
    upload = form.get("file")
    format_ = form_text(form, "format")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return await _page(request, status=400, error="Оберіть файл для імпорту.")
    if format_ not in PARSERS:
        return await _page(request, status=400, error="Оберіть формат файлу.")
    name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    source = form_text(form, "source") or name
    data: bytes = await state.run(upload.file.read)  # a temporary file: off the loop
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return await _page(request, status=400, error=f"Файл {name} не є текстом UTF-8.")
    origin = Origin(name, source, str(state.config.company.tz))
    try:
        batch = await state.run(_parse_upload, text, format_, origin)
    except BadData as exc:
        return await _page(
            request,
            status=400,
            error=f"Файл {name} не імпортовано: помилок — {len(exc.problems)}. Нічого не змінено.",
            problems=[(ukrainian_place(p.where), ukrainian(p.message)) for p in exc.problems],
        )
    store = OutageStore(state.repository)
    actor = user_of(request).name
    summary: ImportSummary = await state.run(lambda: store.import_batch(batch, source, actor=actor))
    log.info("%s imported %s (%s): %s", actor, name, format_, summary)
    session_of(request).flash(
        f"Файл {name} імпортовано: додано {summary.added}, змінено {summary.revised}, "
        f"без змін {summary.unchanged}."
    )
    raise redirect("/outages")
