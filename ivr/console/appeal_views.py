"""The appeals pages: the list with its filters (kind, topic, status, company, dates, the
overdue ones and the ones about to miss their deadline), one appeal with its call and its
history, a status change with a comment, and the CSV export for the CRM.

Everyone sees the list (a dispatcher with callers' numbers masked); the detail page and the
export hold personal data and are a supervisor's or an admin's (``appeals.detail``), and so
is a status change (``appeals.edit``). The queries are ``ivr.store.appeal_queries``, the rows
and the export's columns ``ivr.reports.appeals`` (as ``ivr appeals`` has them), the status
changes ``ivr.store.lifecycle`` (its event and audit row in one transaction)."""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from ivr.config import Config
from ivr.console.labels import APPEAL_KINDS, APPEAL_STATUSES, OUTCOMES, detail_items, label
from ivr.console.web import (
    Console,
    Pages,
    console,
    form_text,
    redirect,
    render,
    session_of,
    user_of,
)
from ivr.reports import appeals as views
from ivr.reports.tabular import as_csv
from ivr.store.appeal_queries import AppealDetail, AppealFilter, AppealQueries, AppealView
from ivr.store.appeals import AppealNumberError, format_appeal_number, parse_appeal_number
from ivr.store.audit import record_event
from ivr.store.lifecycle import NOTE_LENGTH, AppealLifecycle, LifecycleError, next_statuses
from ivr.store.records import AppealKind, AppealStatus, CallRecord

log = logging.getLogger(__name__)
pages = Pages()

#: The list shows at most this many appeals, the newest (the counts are of all of them).
LIMIT = 200
#: A CSV export holds at most this many appeals (a narrower filter for more).
EXPORT_LIMIT = 100_000
#: A topic code or a company id as a filter takes them (the columns' lengths).
CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")


class FilterError(Exception):
    """A filter's value is wrong; the message is what the user reads (Ukrainian)."""


@dataclass(frozen=True)
class Choice:
    """The filters as the list's form gives them (query parameters, no personal data)."""

    kind: str = ""
    topic: str = ""
    status: str = ""
    company: str = ""
    overdue: bool = False
    soon: bool = False
    since: date | None = None
    until: date | None = None
    test: bool = False

    def query(self) -> str:
        """The query string that chooses these appeals again (the CSV link)."""
        values: dict[str, str] = {
            "kind": self.kind,
            "topic": self.topic,
            "status": self.status,
            "company": self.company,
            "overdue": "1" if self.overdue else "",
            "soon": "1" if self.soon else "",
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "test": "1" if self.test else "",
        }
        return urlencode({k: v for k, v in values.items() if v})

    def form(self) -> dict[str, str]:
        """The values the filter form shows."""
        return {
            "kind": self.kind,
            "topic": self.topic,
            "status": self.status,
            "company": self.company,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "overdue": "1" if self.overdue else "",
            "soon": "1" if self.soon else "",
            "test": "1" if self.test else "",
        }

    def filters(self, config: Config, now: datetime) -> AppealFilter:
        return views.appeal_filter(
            config,
            now,
            kind=self.kind or None,
            topic=self.topic or None,
            status=self.status or None,
            overdue=self.overdue,
            due_soon=self.soon,
            since=self.since,
            until=self.until,
            include_test=self.test,
            company=self.company or None,
        )


def _date(query: MultiMapping[str], name: str, what: str) -> date | None:
    text = form_text(query, name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        raise FilterError(
            f"{what}: «{text}» не є датою. Вкажіть дату, наприклад 2026-12-01 або 01.12.2026."
        ) from None


def _flag(query: MultiMapping[str], name: str) -> bool:
    return form_text(query, name) in ("1", "on", "yes", "true")


def parse_choice(query: MultiMapping[str]) -> Choice:
    """The filters of a request's query; FilterError for a value that is wrong."""
    kind, status = form_text(query, "kind"), form_text(query, "status")
    if kind and kind not in {k.value for k in AppealKind}:
        raise FilterError(f"Невідомий вид звернення «{kind}».")
    if status and status not in {s.value for s in AppealStatus}:
        raise FilterError(f"Невідомий стан звернення «{status}».")
    topic, company = form_text(query, "topic"), form_text(query, "company")
    if topic and not CODE_RE.fullmatch(topic):
        raise FilterError(f"«{topic}» не є кодом тематики (наприклад, D1).")
    if company and not CODE_RE.fullmatch(company):
        raise FilterError(f"«{company}» не є ідентифікатором компанії.")
    since, until = _date(query, "from", "Дата «з»"), _date(query, "to", "Дата «по»")
    if since and until and since > until:
        raise FilterError(
            f"Дата «з» ({since:%d.%m.%Y}) пізніша за дату «по» ({until:%d.%m.%Y}): "
            "вкажіть спершу ранішу."
        )
    overdue, soon = _flag(query, "overdue"), _flag(query, "soon")
    if overdue and soon:
        raise FilterError(
            "Оберіть або прострочені звернення, або ті, чий термін спливає: разом їх не буває."
        )
    return Choice(kind, topic, status, company, overdue, soon, since, until, _flag(query, "test"))


# -- the list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ListData:
    views: list[AppealView]  # the newest LIMIT, newest first
    total: int
    overdue: int
    soon: int


def _list_data(queries: AppealQueries, filters: AppealFilter, now: datetime) -> ListData:
    overdue = dataclasses.replace(filters, overdue_at=now, due_soon_at=None)
    soon = dataclasses.replace(filters, overdue_at=None, due_soon_at=now)
    # A filter asking for the overdue (or soon due) ones has none of the other kind.
    return ListData(
        queries.find(filters, newest=LIMIT),
        queries.count(filters),
        0 if filters.due_soon_at else queries.count(overdue),
        0 if filters.overdue_at else queries.count(soon),
    )


def _topics(config: Config) -> dict[str, str]:
    """Every company's topic codes with their labels (the filter's choices)."""
    labels = views.topic_labels(config)
    codes = dict.fromkeys(code for company in config.companies for code in company.topics)
    return {code: labels(code) or code for code in codes}


def _companies(config: Config) -> dict[str, str]:
    return {c.company.id: c.company.name for c in config.companies}


def _row(view: AppealView, now: datetime, labels: views.Labels) -> dict[str, Any]:
    record = view.record
    row = views.list_row(view, now)
    row.update(
        digits=record.appeal_number,
        kind_label=label(APPEAL_KINDS, record.kind),
        status_label=label(APPEAL_STATUSES, record.status),
        topic_label=record.topic_label or labels(record.topic_code) or "",
        caller=record.caller_number,
        caller_raw=record.caller_raw,
        company=record.company,
        soon=view.due_soon(now),
    )
    return row


async def _list_page(
    request: web.Request,
    choice: Choice | None,
    *,
    status: int = 200,
    error: str | None = None,
) -> web.Response:
    state = console(request)
    now = state.now()
    config = state.config
    data = None
    if choice is not None:
        queries = AppealQueries(state.repository)
        data = await state.run(_list_data, queries, choice.filters(config, now), now)
    labels = views.topic_labels(config)
    return render(
        request,
        "appeals.html",
        status=status,
        error=error,
        query=choice.query() if choice else "",
        form=choice.form() if choice else _raw_form(request),
        data=data,
        rows=[_row(view, now, labels) for view in data.views] if data else [],
        limit=LIMIT,
        now=now,
        kinds=APPEAL_KINDS,
        statuses=APPEAL_STATUSES,
        topics=_topics(config),
        companies=_companies(config),
    )


def _raw_form(request: web.Request) -> dict[str, str]:
    """A refused filter's values as typed, to show them again in the form."""
    names = ("kind", "topic", "status", "company", "from", "to", "overdue", "soon", "test")
    return {name: form_text(request.query, name) for name in names}


@pages.get("/appeals", "appeals.view")
async def appeals_page(request: web.Request) -> web.StreamResponse:
    try:
        choice = parse_choice(request.query)
    except FilterError as exc:
        return await _list_page(request, None, status=400, error=str(exc))
    return await _list_page(request, choice)


def _export_text(
    queries: AppealQueries, filters: AppealFilter, config: Config, now: datetime
) -> tuple[int, str | None]:
    """How many appeals the export has, and its CSV (None when there are too many)."""
    total = queries.count(filters)
    if total > EXPORT_LIMIT:
        return total, None
    labels = views.topic_labels(config)
    rows = [views.export_row(view, now, labels) for view in queries.find(filters)]
    return len(rows), as_csv(views.EXPORT_COLUMNS, rows, config.company.tz) + "\n"


@pages.get("/appeals.csv", "appeals.detail")
async def appeals_csv(request: web.Request) -> web.StreamResponse:
    try:
        choice = parse_choice(request.query)
    except FilterError as exc:
        return await _list_page(request, None, status=400, error=str(exc))
    state = console(request)
    now = state.now()
    filters = choice.filters(state.config, now)
    queries = AppealQueries(state.repository)
    total, text = await state.run(_export_text, queries, filters, state.config, now)
    if text is None:
        return await _list_page(
            request,
            choice,
            status=400,
            error=f"Звернень за цим фільтром {total}: у файл вміщується щонайбільше "
            f"{EXPORT_LIMIT}. Звузьте період.",
        )
    actor = user_of(request).name
    log.info("%s exported %d appeal(s) to CSV", actor, total)
    # personal data left the console: who took how many, by which filter (no personal data)
    await state.run(
        record_event,
        state.repository,
        now,
        actor,
        "appeal.export",
        request.query_string or "усі",
        None,
        str(total),
    )
    stamp = now.astimezone(state.config.company.tz).strftime("%Y%m%d-%H%M")
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="appeals-{stamp}.csv"'},
    )


# -- one appeal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailData:
    detail: AppealDetail
    call: CallRecord | None  # None: the call was purged (its appeal stays)


def _detail_data(state: Console, number: str) -> DetailData | None:
    detail = AppealQueries(state.repository).get(number)
    if detail is None:
        return None
    return DetailData(detail, state.repository.get_call(detail.view.record.call_uid))


def _number(request: web.Request) -> str:
    """The appeal number of the address; a Ukrainian 404 page when it is not one."""
    text = request.match_info["number"]
    try:
        return parse_appeal_number(text)
    except AppealNumberError:
        raise web.HTTPNotFound() from None


def _not_found(request: web.Request, number: str) -> web.Response:
    return render(
        request,
        "error.html",
        status=404,
        title="Звернення не знайдено",
        message=f"Звернення {format_appeal_number(number)} у базі немає.",
    )


async def _detail_page(
    request: web.Request,
    number: str,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> web.Response:
    state = console(request)
    data = await state.run(_detail_data, state, number)
    if data is None:
        return _not_found(request, number)
    now = state.now()
    view = data.detail.view
    record = view.record
    labels = views.topic_labels(state.config)
    return render(
        request,
        "appeal.html",
        status=status,
        error=error,
        form=form or {},
        data=data,
        view=view,
        record=record,
        shown=format_appeal_number(record.appeal_number),
        topic_label=record.topic_label or labels(record.topic_code) or "",
        details=detail_items(record.details),
        call_topic_label=labels(data.call.topic_code) if data.call else None,
        late=views.days_overdue(view, now),
        soon=view.due_soon(now),
        answered_late=view.answered_at is not None and view.answered_at > record.due_at,
        next_statuses=next_statuses(record.status),
        note_length=NOTE_LENGTH,
        now=now,
        kinds=APPEAL_KINDS,
        statuses=APPEAL_STATUSES,
        outcomes=OUTCOMES,
        label=label,
        companies=_companies(state.config),
    )


@pages.get("/appeals/{number}", "appeals.detail")
async def appeal_page(request: web.Request) -> web.StreamResponse:
    return await _detail_page(request, _number(request))


def refusal(exc: LifecycleError, current: str, target: str, note: str) -> tuple[int, str]:
    """The HTTP status and the Ukrainian message of a refused status change."""
    now, wanted = label(APPEAL_STATUSES, current), label(APPEAL_STATUSES, target)
    order = " → ".join(APPEAL_STATUSES.values())
    messages = {
        "unknown_status": "Оберіть новий стан звернення.",
        "unknown_current": f"Звернення має стан «{current}», невідомий цій версії: "
        "змінити його тут не можна.",
        "unchanged": f"Звернення вже має стан «{now}».",
        "backwards": f"Звернення має стан «{now}»: повернути його до стану «{wanted}» не можна, "
        f"стан змінюється лише вперед ({order}).",
        "needs_note": "Звернення не отримало відповіді: щоб закрити його, напишіть у коментарі "
        "чому (відкликане, дублює інше звернення тощо).",
        "too_long": f"Коментар задовгий: {len(note.strip())} символів, можна щонайбільше "
        f"{NOTE_LENGTH}.",
        "before_last": "Час зміни раніший за останню зміну звернення. Оновіть сторінку й "
        "повторіть.",
        "conflict": "Звернення щойно змінив інший користувач. Вашу зміну не збережено: "
        "перегляньте його новий стан нижче й за потреби повторіть.",
    }
    code = 409 if exc.reason == "conflict" else 400
    return code, messages.get(exc.reason, "Стан звернення не змінено.")


@pages.post("/appeals/{number}/status", "appeals.edit")
async def change_status(request: web.Request) -> web.StreamResponse:
    number = _number(request)
    state = console(request)
    form = await request.post()
    target, note = form_text(form, "status"), form_text(form, "note")
    expected = form_text(form, "current") or None
    actor = user_of(request).name
    lifecycle = AppealLifecycle(state.repository)
    try:
        event = await state.run(
            lambda: lifecycle.change(number, target, actor, note, state.now(), expected)
        )
    except LifecycleError as exc:
        if exc.reason == "missing":
            return _not_found(request, number)
        log.info("%s: a status change of appeal %s refused (%s)", actor, number, exc.reason)
        detail = await state.run(AppealQueries(state.repository).get, number)
        current = detail.view.record.status if detail else ""
        code, message = refusal(exc, current, target, note)
        return await _detail_page(
            request, number, status=code, error=message, form={"status": target, "note": note}
        )
    log.info("%s: appeal %s is %s now", actor, number, event.status)
    session_of(request).flash(
        f"Звернення {format_appeal_number(number)}: стан «{label(APPEAL_STATUSES, event.status)}»."
    )
    raise redirect(f"/appeals/{number}")
