"""The reports page (``/reports``): what ``ivr report`` gives, per company and period, in
the page: calls and appeals by topic and period, outcomes, durations, busiest hours, the
Resolution 375 indicators against their targets (from Asterisk's queue_log, when the console
is given one), and the report's chart; ``/reports.csv`` is the same report as CSV.

The report is built by ``ivr.reports.companies``, as the command line builds it. The query
is a GET form: ``from`` and ``to`` (YYYY-MM-DD, company time, default today), ``by``
(day|week|month), ``company`` (a ``company.id``, with profiles; none: each company in
turn), ``test=1`` to count test calls."""

from __future__ import annotations

import base64
import io
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ivr.config import Config
from ivr.console.labels import OUTCOME_LABELS, period_name, topic_label
from ivr.console.web import Console, Pages, console, render
from ivr.reports.calls import CallReport
from ivr.reports.companies import (
    CompanyReport,
    call_reports,
    companies_csv,
    companies_of,
    queue_indicators,
)
from ivr.reports.periods import Granularity, ReportRange
from ivr.reports.queue_log import (
    LOST_TARGET,
    SERVICE_LEVEL_SECONDS,
    SERVICE_LEVEL_TARGET,
    QueueIndicators,
)
from ivr.reports.render import as_csv, as_dict
from ivr.store.journal import first_line

log = logging.getLogger(__name__)
pages = Pages()

#: The longest report the page makes (a longer one: the command line).
MAX_DAYS = 366
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
GRANULARITY_LABELS = {
    Granularity.DAY: "за днями",
    Granularity.WEEK: "за тижнями",
    Granularity.MONTH: "за місяцями",
}
#: pyplot keeps global state: one chart at a time across the console's threads
_CHART_LOCK = threading.Lock()


class QueryError(Exception):
    """The form's values make no report; the message is the supervisor's (Ukrainian)."""


@dataclass(frozen=True)
class ReportQuery:
    first: date
    last: date
    by: Granularity
    company: str | None
    include_test: bool

    def link(self) -> str:
        """The query string of this report (dates, period, company id: no personal data)."""
        values = {"from": self.first.isoformat(), "to": self.last.isoformat(), "by": self.by}
        if self.company:
            values["company"] = self.company
        if self.include_test:
            values["test"] = "1"
        return urlencode(values)


@dataclass(frozen=True)
class Section:
    """One company's report as the page shows it."""

    id: str
    name: str
    data: dict[str, Any]  # ``ivr.reports.render.as_dict``
    periods: list[tuple[str, str]]  # (label, the label in Ukrainian)
    topics: list[dict[str, Any]]  # as_dict's, with the console's labels
    chart: str | None  # the PNG, base64


def _date(value: str, what: str, today: date) -> date:
    if not value:
        return today
    if not DATE_RE.fullmatch(value):
        raise QueryError(f"{what}: «{value[:40]}» не є датою у вигляді РРРР-ММ-ДД.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{what}: дати «{value}» не існує.") from None


def parse_query(query: Mapping[str, str], config: Config, now: datetime) -> ReportQuery:
    """The report a GET form asks for; raises QueryError with the reason."""
    today = now.astimezone(config.company.tz).date()
    first = _date(query.get("from", "").strip(), "Початкова дата", today)
    last = _date(query.get("to", "").strip(), "Кінцева дата", today)
    if first > last:
        raise QueryError(
            f"Початкова дата ({first:%d.%m.%Y}) пізніша за кінцеву ({last:%d.%m.%Y}): "
            "вкажіть спершу ранішу."
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise QueryError(
            f"Звіт на сторінці — щонайбільше за {MAX_DAYS} днів; оберіть коротший період "
            "(довший дає команда ivr report)."
        )
    by = query.get("by", "").strip() or Granularity.DAY.value
    if by not in {g.value for g in Granularity}:
        raise QueryError("Невідоме групування: оберіть дні, тижні або місяці.")
    company = query.get("company", "").strip() or None
    if company is not None and company not in {c.company.id for c in config.companies}:
        raise QueryError(f"Невідома компанія «{company[:40]}».")
    return ReportQuery(first, last, Granularity(by), company, query.get("test") == "1")


@dataclass(frozen=True)
class Built:
    reports: list[CompanyReport]
    queue_error: str | None


def build(state: Console, query: ReportQuery) -> Built:
    """Each company's report (blocking: the database and the queue_log)."""
    config = state.config
    rng = ReportRange(query.first, query.last, config.company.tz)
    companies = companies_of(config, query.company)
    calls = call_reports(config, companies, state.repository, rng, query.by, query.include_test)
    queue_error = None
    try:
        queues = queue_indicators(companies, state.queue_log, rng, query.by)
    except OSError as exc:
        log.warning("reports page: queue_log %s unreadable: %s", state.queue_log, exc)
        queue_error = first_line(exc)
        queues = [None] * len(companies)
    reports = [CompanyReport(c, r, q) for c, r, q in zip(companies, calls, queues, strict=True)]
    return Built(reports, queue_error)


def chart_png(report: CallReport, queue: QueueIndicators | None, company: str) -> str:
    """``ivr.reports.chart``'s PNG of a report, base64 (for a ``data:`` image), in Ukrainian."""
    from ivr.reports.chart import write_chart
    from ivr.reports.chart_texts import UKRAINIAN

    out = io.BytesIO()
    with _CHART_LOCK:
        write_chart(report, queue, company, out, texts=UKRAINIAN)
    return base64.b64encode(out.getvalue()).decode("ascii")


def sections(built: Built, charts: bool = True) -> list[Section]:
    result = []
    for item in built.reports:
        name = item.company.company.name
        data = as_dict(item.calls, item.queue, name)
        topics = [t | {"label": topic_label(t["code"], t["label"])} for t in data["topics"]]
        result.append(
            Section(
                id=item.company.company.id,
                name=name,
                data=data,
                periods=[(p, period_name(p)) for p in item.calls.periods],
                topics=topics,
                chart=chart_png(item.calls, item.queue, name) if charts else None,
            )
        )
    return result


def _page_sections(state: Console, query: ReportQuery) -> tuple[list[Section], str | None]:
    built = build(state, query)
    return sections(built), built.queue_error


def _form(request: web.Request) -> dict[str, str]:
    return {k: request.query.get(k, "").strip()[:40] for k in ("from", "to", "by", "company")} | {
        "test": request.query.get("test", "")
    }


def _render(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    query: ReportQuery | None = None,
    found: list[Section] | None = None,
    queue_error: str | None = None,
) -> web.Response:
    state = console(request)
    form = _form(request)
    if query is not None:  # the values the report was made with (the defaults filled in)
        form |= {"from": query.first.isoformat(), "to": query.last.isoformat(), "by": query.by}
    return render(
        request,
        "reports.html",
        status=status,
        error=error,
        form=form,
        query=query,
        sections=found or [],
        queue_log=state.queue_log is not None,
        queue_error=queue_error,
        companies=[(c.company.id, c.company.name) for c in state.config.companies]
        if state.config.profiles
        else [],
        granularities=GRANULARITY_LABELS,
        outcomes=OUTCOME_LABELS,
        targets={
            "seconds": SERVICE_LEVEL_SECONDS,
            "service_level": SERVICE_LEVEL_TARGET,
            "lost": LOST_TARGET,
        },
    )


_DATABASE_DOWN = (
    "Не вдалося прочитати базу даних дзвінків. Спробуйте ще раз за хвилину; якщо це "
    "триває, перевірте сервер бази даних."
)


@pages.get("/reports", "reports.view")
async def reports_page(request: web.Request) -> web.StreamResponse:
    state = console(request)
    try:
        query = parse_query(request.query, state.config, state.now())
    except QueryError as exc:
        return _render(request, status=400, error=str(exc))
    try:
        found, queue_error = await state.run(_page_sections, state, query)
    except Exception:
        log.exception("reports page: cannot build the report")
        return _render(request, status=503, error=_DATABASE_DOWN, query=query)
    return _render(request, query=query, found=found, queue_error=queue_error)


def _csv(state: Console, query: ReportQuery) -> str:
    built = build(state, query)
    return companies_csv(
        [
            (r.company.company.id, as_csv(r.calls, r.queue, r.company.company.name))
            for r in built.reports
        ]
    )


@pages.get("/reports.csv", "reports.view")
async def reports_csv(request: web.Request) -> web.StreamResponse:
    state = console(request)
    try:
        query = parse_query(request.query, state.config, state.now())
    except QueryError as exc:
        return _render(request, status=400, error=str(exc))
    try:
        text = await state.run(_csv, state, query)
    except Exception:
        log.exception("reports CSV: cannot build the report")
        return _render(request, status=503, error=_DATABASE_DOWN, query=query)
    name = f"ivr-report-{query.first.isoformat()}-{query.last.isoformat()}"
    if query.company:
        name += f"-{query.company}"
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
