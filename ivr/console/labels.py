"""The Ukrainian names the console gives the records' and the reports' values: appeal kinds
and statuses, call outcomes, the report's outcome groups, topics without a label, report
periods (the stored values and the reports themselves, ``ivr.reports``, keep machine names;
``label`` falls back to the value itself)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from ivr.reports.calls import NO_TOPIC, UNKNOWN_LABEL
from ivr.reports.chart_texts import (
    UKRAINIAN_NO_TOPIC,
    UKRAINIAN_NOT_IN_CATALOGUE,
    UKRAINIAN_OUTCOMES,
)
from ivr.store.records import AppealKind, AppealStatus, Outcome

APPEAL_KINDS: Mapping[str, str] = {
    AppealKind.OPERATOR: "розмова з оператором",
    AppealKind.OUTAGE_REPORT: "повідомлення про відключення",
    AppealKind.METER_READING: "передача показів",
    AppealKind.CALLBACK: "зворотний дзвінок",
    AppealKind.COMPLAINT: "скарга",
}
APPEAL_STATUSES: Mapping[str, str] = {
    AppealStatus.REGISTERED: "зареєстровано",
    AppealStatus.IN_PROGRESS: "в роботі",
    AppealStatus.ANSWERED: "надано відповідь",
    AppealStatus.CLOSED: "закрито",
}
OUTCOMES: Mapping[str, str] = {
    Outcome.SELF_SERVED: "отримав інформацію",
    Outcome.OPERATOR: "переведено до оператора",
    Outcome.TRANSFERRED: "переведено на номер",
    Outcome.REDIRECTED: "спрямовано до іншої компанії",
    Outcome.AFTER_HOURS: "оператор у неробочий час",
    Outcome.CALLBACK: "замовив зворотний дзвінок",
    Outcome.ABANDONED: "поклав слухавку",
    Outcome.FAILED: "збій IVR",
    Outcome.INTERRUPTED: "перервано (IVR зупинився)",
}


def label(labels: Mapping[str, str], value: str | None) -> str:
    """``value``'s Ukrainian name in ``labels``; the value itself when it has none."""
    if value is None:
        return "—"
    return labels.get(value, value)


#: What the caller said, an appeal's ``details`` (``ivr.actions``, ``ivr.flow.callback``).
DETAIL_KEYS: Mapping[str, str] = {
    "answer": "Відповідь у меню",
    "number": "Номер для зворотного дзвінка",
    "waiting": "Абонентів у черзі",
    "keyed": "Номер введено вручну",
    "zones": "Зони лічильника",
    "values": "Покази",
    "previous": "Попередні покази",
    "check": "Перевірка показів",
    "reason": "Причина",
}


def detail_items(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An appeal's details as (name, value) to show: known names in Ukrainian, lists joined,
    yes/no in words, anything nested as JSON."""
    items = []
    for key in sorted(details):
        value = details[key]
        if isinstance(value, bool):
            text = "так" if value else "ні"
        elif value is None:
            text = "—"
        elif isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            text = str(value)
        items.append((DETAIL_KEYS.get(key, key), text))
    return items


#: ``CallReport.outcome_summary``'s groups of outcomes, in its order (the report's chart's
#: Ukrainian texts define them, with the names of topics without a label).
OUTCOME_LABELS = UKRAINIAN_OUTCOMES
NO_TOPIC_LABEL = UKRAINIAN_NO_TOPIC
NOT_IN_CATALOGUE = UKRAINIAN_NOT_IN_CATALOGUE
MONTHS = (
    "січень",
    "лютий",
    "березень",
    "квітень",
    "травень",
    "червень",
    "липень",
    "серпень",
    "вересень",
    "жовтень",
    "листопад",
    "грудень",
)


def topic_label(code: str | None, label: str | None) -> str:
    """A topic's label as the console shows it."""
    if code is None or code == NO_TOPIC:
        return NO_TOPIC_LABEL
    if not label or label == UNKNOWN_LABEL:
        return NOT_IN_CATALOGUE
    return label


def period_name(label: str) -> str:
    """``2026-01-15`` -> ``15.01.2026``; ``2026-W03`` -> ``тиждень 3, 2026``; ``2026-01`` ->
    ``січень 2026`` (``ivr.reports.periods.period_label``'s labels)."""
    if "-W" in label:
        year, week = label.split("-W", 1)
        return f"тиждень {int(week)}, {year}"
    parts = label.split("-")
    if len(parts) == 2:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return date.fromisoformat(label).strftime("%d.%m.%Y")
