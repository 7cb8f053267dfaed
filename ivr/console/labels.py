"""The Ukrainian names the console gives the records' values: appeal kinds and statuses, call
outcomes (the stored values stay English; ``label`` falls back to the value itself)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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
