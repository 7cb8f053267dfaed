"""The back office's views of appeals: list rows, the CRM export's rows, the outage reports
per street, and one appeal's whole story (``ivr appeals``).

The list shows no personal data; the export has every column, caller numbers, accounts and
addresses included (see the README on who may run it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ivr.config import Config
from ivr.reports.periods import ReportRange
from ivr.store.appeal_queries import AppealDetail, AppealFilter, AppealView, StreetReports
from ivr.store.appeals import format_appeal_number

LIST_COLUMNS = (
    "number",
    "kind",
    "topic",
    "status",
    "registered",
    "due",
    "reports",
    "days_overdue",
)
EXPORT_COLUMNS = (
    "appeal_number",
    "kind",
    "channel",
    "company",
    "role",
    "topic_code",
    "topic_label",
    "status",
    "registered_at",
    "due_at",
    "answered_at",
    "closed_at",
    "days_overdue",
    "answered_late",
    "caller_number",
    "caller_raw",
    "account_number",
    "address",
    "address_key",
    "street_key",
    "details",
    "links",
    "reports",
    "call_uid",
    "test",
)
STREET_COLUMNS = ("reports", "houses", "first", "last", "street")

#: A topic code -> its label in the configuration's catalogue (for appeals without one).
Labels = Callable[[str | None], str | None]


def topic_labels(config: Config) -> Labels:
    """The label of a topic code in the catalogues of the configuration's companies (its own
    company's first), for the appeals registered without one."""
    labels: dict[str, str] = {}
    for company in reversed(config.companies):
        labels.update({code: topic.label for code, topic in company.topics.items()})
    return lambda code: labels.get(code or "")


def known_topic(config: Config, code: str) -> bool:
    """``code`` is in the catalogue of one of the configuration's companies."""
    return any(code in company.topics for company in config.companies)


def known_company(config: Config, company_id: str) -> bool:
    return company_id in {company.company.id for company in config.companies}


def appeal_filter(
    config: Config,
    now: datetime,
    *,
    kind: str | None = None,
    topic: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    due_soon: bool = False,
    since: date | None = None,
    until: date | None = None,
    include_test: bool = False,
    company: str | None = None,
) -> AppealFilter:
    """The appeals chosen as ``ivr appeals`` and the console choose them: ``since`` and
    ``until`` are the company's local dates (both included), ``overdue`` and ``due_soon``
    are seen from ``now``. The values are taken as they are (the callers check them)."""
    tz = config.company.tz
    return AppealFilter(
        kind=kind,
        topic=topic,
        status=status,
        overdue_at=now if overdue else None,
        due_soon_at=now if due_soon else None,
        since=ReportRange(since, since, tz).start_utc if since else None,
        until=ReportRange(until, until, tz).end_utc if until else None,
        include_test=include_test,
        company=company,
    )


def days_overdue(view: AppealView, now: datetime) -> int | None:
    """Whole days (a day begun counts) an open appeal is past its deadline; None if not."""
    if not view.overdue(now):
        return None
    return math.ceil((now - view.record.due_at).total_seconds() / 86400)


def list_row(view: AppealView, now: datetime) -> dict[str, Any]:
    record = view.record
    return {
        "number": format_appeal_number(record.appeal_number),
        "kind": record.kind,
        "topic": record.topic_code,
        "status": record.status,
        "registered": record.registered_at,
        "due": record.due_at,
        "reports": view.reports,
        "days_overdue": days_overdue(view, now),
    }


def export_row(view: AppealView, now: datetime, labels: Labels) -> dict[str, Any]:
    record = view.record
    answered = view.answered_at
    return {
        "appeal_number": record.appeal_number,
        "kind": record.kind,
        "channel": record.channel,
        "company": record.company,
        "role": record.role,
        "topic_code": record.topic_code,
        "topic_label": record.topic_label or labels(record.topic_code),
        "status": record.status,
        "registered_at": record.registered_at,
        "due_at": record.due_at,
        "answered_at": answered,
        "closed_at": view.closed_at,
        "days_overdue": days_overdue(view, now),
        "answered_late": answered is not None and answered > record.due_at,
        "caller_number": record.caller_number,
        "caller_raw": record.caller_raw,
        "account_number": record.account_number,
        "address": record.address,
        "address_key": record.address_key,
        "street_key": record.street_key,
        "details": dict(record.details),
        "links": view.links,
        "reports": view.reports,
        "call_uid": record.call_uid,
        "test": view.test,
    }


def street_row(street: StreetReports) -> dict[str, Any]:
    return {
        "reports": street.reports,
        "houses": street.houses,
        "first": street.first,
        "last": street.last,
        "street": street.place or "(address not known)",
    }


def detail_lines(detail: AppealDetail, now: datetime, tz: ZoneInfo, labels: Labels) -> list[str]:
    """``ivr appeals show``: one appeal, its deadline and everything that happened to it."""
    view, record = detail.view, detail.view.record

    def local(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")

    due = local(record.due_at)
    late = days_overdue(view, now)
    if late is not None:
        due += f" (overdue by {late} day{'s' if late != 1 else ''})"
    elif view.answered_at is not None and view.answered_at > record.due_at:
        due += " (answered late)"
    label = record.topic_label or labels(record.topic_code) or ""
    facts = [
        ("appeal", f"{format_appeal_number(record.appeal_number)} ({record.appeal_number})"),
        ("kind", f"{record.kind} ({record.channel})"),
        ("topic", f"{record.topic_code or '-'} {label}".rstrip()),
        ("status", record.status),
        ("registered", f"{local(record.registered_at)} (call {record.call_uid})"),
        ("due", due),
        ("answered", local(view.answered_at) if view.answered_at else "-"),
        ("closed", local(view.closed_at) if view.closed_at else "-"),
        ("caller", f"{record.caller_number or '-'} (as received: {record.caller_raw})"),
        ("account", record.account_number or "-"),
        ("address", record.address or "-"),
        ("details", json.dumps(record.details, ensure_ascii=False) if record.details else "-"),
    ]
    if view.links or record.kind == "outage_report":
        facts.append(("reports", f"{view.reports} (this one and {view.links} linked)"))
    if view.test:
        facts.append(("test call", "yes (left out of lists and exports unless asked)"))
    lines = [f"{name:<11} {value}" for name, value in facts]
    lines += ["", "history:", f"  {local(record.registered_at)}  registered  by the IVR"]
    lines += [
        f"  {local(e.at)}  {e.status:<11} by {e.by}" + (f": {e.note}" if e.note else "")
        for e in detail.events
    ]
    if detail.linked:
        lines += ["", "linked reports:"]
        lines += [
            f"  {local(link.linked_at)}  {link.caller_number or '-'}  call {link.call_uid}"
            for link in detail.linked
        ]
    if detail.readings:
        lines += ["", "meter readings:"]
        lines += [
            f"  {local(r.read_at)}  {', '.join(str(v) for v in r.values)} kWh ({r.source})"
            for r in detail.readings
        ]
    return lines
