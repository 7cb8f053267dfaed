"""The live page (``/``): per company, the calls running now (the server's journal), the
calls of the last hour per minute and by topic, the share that ended in the IVR, the callers
waiting in the operator queue and today's Resolution 375 indicators (when the console is
given Asterisk's queue_log), and the appeals past their deadline. The page reloads itself
every ``REFRESH_SECONDS`` (no JavaScript)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from ivr.config import Config
from ivr.console.labels import topic_label
from ivr.console.web import Console, Pages, console, render
from ivr.reports.companies import queue_indicators
from ivr.reports.periods import Granularity, ReportRange
from ivr.reports.queue_log import QueueIndicators
from ivr.store.appeal_queries import AppealFilter, AppealQueries
from ivr.store.journal import Journal, first_line
from ivr.store.live import RecentCalls, recent_calls
from ivr.store.records import CallRecord

log = logging.getLogger(__name__)
pages = Pages()

REFRESH_SECONDS = 15
WINDOW_MINUTES = 60
#: A caller still without a fate this long after entering the queue is not counted as
#: waiting (Asterisk restarted, or the file lost the event).
WAITING_AT_MOST = timedelta(hours=1)
#: The per-minute chart's geometry (SVG user units).
BAR_WIDTH, BAR_GAP, CHART_HEIGHT = 10, 2, 100


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    calls: int
    minute: str  # local HH:MM


@dataclass(frozen=True)
class TopicLine:
    code: str
    label: str
    calls: int


@dataclass(frozen=True)
class CompanyLive:
    id: str
    name: str
    tz: Any
    in_progress: int
    recent: RecentCalls
    topics: list[TopicLine]
    bars: list[Bar]
    ticks: list[tuple[int, str]]  # (x, local HH:MM) under the chart
    busiest_minute: int
    queue: QueueIndicators | None  # today's, from the queue_log
    waiting: int | None  # None: not known
    overdue: int


@dataclass(frozen=True)
class LivePage:
    companies: list[CompanyLive]
    overdue: int
    journal_error: str | None
    queue_error: str | None

    @property
    def in_progress(self) -> int:
        return sum(c.in_progress for c in self.companies)


def _bars(recent: RecentCalls, tz: Any) -> tuple[list[Bar], list[tuple[int, str]]]:
    top = max(recent.per_minute, default=0) or 1
    bars, ticks = [], []
    for i, (minute, n) in enumerate(recent.minutes()):
        x = i * (BAR_WIDTH + BAR_GAP)
        height = round(CHART_HEIGHT * n / top) if n else 0
        label = minute.astimezone(tz).strftime("%H:%M")
        bars.append(Bar(x, CHART_HEIGHT - height, height, n, label))
        if i % 10 == 0:
            ticks.append((x, label))
    return bars, ticks


def _topics(recent: RecentCalls, company: Config) -> list[TopicLine]:
    labels = {code: t.label for code, t in company.topics.items()}
    ranked = sorted(recent.topics.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return [
        TopicLine(code or "—", topic_label(code, labels.get(code or "")), n) for code, n in ranked
    ]


def _running(state: Console) -> list[CallRecord]:
    """The calls in progress, test calls left out."""
    journal = Journal(state.config.journal_path)
    calls = journal.in_progress(stored=state.repository.stored_call_uids)
    return [c for c in calls if not c.test]


def _page_data(state: Console, now: datetime) -> LivePage:
    config = state.config
    by_company = bool(config.profiles)
    main = config.company.id
    journal_error = None
    try:
        running = Counter(c.company if by_company else main for c in _running(state))
    except OSError as exc:
        log.warning("live page: journal %s unreadable: %s", config.journal_path, exc)
        journal_error = first_line(exc)
        running = Counter()
    queries = AppealQueries(state.repository)  # counted in SQL: there may be thousands
    if by_company:
        overdue = Counter(
            {
                c.company.id: queries.count(AppealFilter(overdue_at=now, company=c.company.id))
                for c in config.companies
            }
        )
    else:
        overdue = Counter({main: queries.count(AppealFilter(overdue_at=now))})
    companies = list(config.companies)
    queue_error = None
    today = now.astimezone(config.company.tz).date()
    try:
        queues = queue_indicators(
            companies,
            state.queue_log,
            ReportRange(today, today, config.company.tz),
            Granularity.DAY,
        )
    except OSError as exc:
        log.warning("live page: queue_log %s unreadable: %s", state.queue_log, exc)
        queue_error = first_line(exc)
        queues = [None] * len(companies)
    result = []
    for company, queue in zip(companies, queues, strict=True):
        cid = company.company.id
        recent = recent_calls(
            state.repository.engine, now, WINDOW_MINUTES, cid if by_company else None
        )
        bars, ticks = _bars(recent, company.company.tz)
        waiting = None
        if queue is not None:
            waiting = sum(1 for at in queue.waiting_since if now - at <= WAITING_AT_MOST)
        result.append(
            CompanyLive(
                id=cid,
                name=company.company.name,
                tz=company.company.tz,
                in_progress=running.get(cid, 0),
                recent=recent,
                topics=_topics(recent, company),
                bars=bars,
                ticks=ticks,
                busiest_minute=max(recent.per_minute, default=0),
                queue=queue,
                waiting=waiting,
                overdue=overdue.get(cid, 0),
            )
        )
    return LivePage(result, sum(overdue.values()), journal_error, queue_error)


@pages.get("/", "live.view")
async def live_page(request: web.Request) -> web.StreamResponse:
    state = console(request)
    now = state.now()
    try:
        data = await state.run(_page_data, state, now)
    except Exception:  # the database is down: say so, the page retries by itself
        log.exception("live page: cannot read the database")
        return render(
            request,
            "error.html",
            status=503,
            title="Дані недоступні",
            message="Не вдалося прочитати базу даних дзвінків. Сторінка спробує знову за "
            "кілька секунд; якщо це триває, перевірте сервер бази даних.",
            refresh=REFRESH_SECONDS,
        )
    return render(
        request,
        "live.html",
        data=data,
        now=now,
        refresh=REFRESH_SECONDS,
        window=WINDOW_MINUTES,
        queue_log=state.queue_log is not None,
        chart_width=WINDOW_MINUTES * (BAR_WIDTH + BAR_GAP),
        chart_height=CHART_HEIGHT,
        bar_width=BAR_WIDTH,
    )
