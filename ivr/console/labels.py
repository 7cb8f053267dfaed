"""How the console names the reports' values in Ukrainian: call outcomes, topics without a
label, report periods (the reports themselves, ``ivr.reports``, keep machine names)."""

from __future__ import annotations

from datetime import date

from ivr.reports.calls import NO_TOPIC, UNKNOWN_LABEL

#: ``CallReport.outcome_summary`` keys, in its order.
OUTCOME_LABELS = {
    "self_served": "самообслуговування (почули потрібне в IVR)",
    "transferred": "передано людині (оператору або на номер)",
    "redirected": "скеровано до іншої компанії",
    "callback": "замовили зворотний дзвінок",
    "abandoned": "поклали слухавку в IVR",
    "after_hours": "хотіли оператора в неробочий час",
    "failed": "збій IVR",
    "interrupted": "перервано (IVR зупинився під час дзвінка)",
}
NO_TOPIC_LABEL = "без теми (завершили до вибору)"
NOT_IN_CATALOGUE = "(немає в каталозі тем)"
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
