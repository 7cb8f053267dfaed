"""Every text on the report's chart (``ivr.reports.chart``), in English (the command line's,
the default) and in Ukrainian (the web console's). The texts are ``str.format`` templates;
counted nouns carry their three Ukrainian forms (one, few, many: 1 дзвінок, 2 дзвінки,
5 дзвінків), which English fills with one word thrice.

The Ukrainian names of the report's outcome groups and of the topics without a label are
defined here once; the console's labels (``ivr.console.labels``) take them from here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ivr.reports.calls import NO_TOPIC_LABEL, UNKNOWN_LABEL
from ivr.speech.grammar import plural_form

#: A counted noun's forms: (one, few, many), as ``ivr.speech.grammar.plural_form`` picks them.
Forms = tuple[str, str, str]

#: ``CallReport.outcome_summary``'s groups of outcomes, in its order, in Ukrainian.
UKRAINIAN_OUTCOMES: Mapping[str, str] = MappingProxyType(
    {
        "self_served": "самообслуговування (почули потрібне в IVR)",
        "transferred": "передано людині (оператору або на номер)",
        "redirected": "скеровано до іншої компанії",
        "callback": "замовили зворотний дзвінок",
        "abandoned": "поклали слухавку в IVR",
        "after_hours": "хотіли оператора в неробочий час",
        "failed": "збій IVR",
        "interrupted": "перервано (IVR зупинився під час дзвінка)",
    }
)
UKRAINIAN_NO_TOPIC = "без теми (завершили до вибору)"
UKRAINIAN_NOT_IN_CATALOGUE = "(немає в каталозі тем)"


@dataclass(frozen=True)
class ChartTexts:
    """The chart's texts; the names in braces are what each template is formatted with."""

    #: {company}, {first}, {last} (ISO dates), {tz}, {calls}, {appeals} (counted, see below)
    suptitle: str
    calls: Forms  # the suptitle's counted calls
    appeals: Forms  # the suptitle's counted appeals
    #: the top panel's title, per ``Granularity`` value (day, week, month)
    topics_title: Mapping[str, str]
    calls_axis: str  # the axis of call counts (three panels)
    topic_legend: str  # the title of the top panel's legend
    other_topics: str  # {count}: the topics left out of the top ones, in one bar
    no_topic: str  # the calls that ended before a topic was chosen
    not_in_catalogue: str  # a topic code the catalogue does not have
    no_calls: str  # the top panel without any call
    indicators_title: str  # the indicator panel without queue figures
    no_queue_log: str
    no_queued_calls: str
    #: the indicator panel's title: {offered} calls queued, {seconds} the answer target
    queue_title: str
    total: str  # the indicator panel's column of the whole range
    target_service_level: str  # {seconds}, {share} (e.g. 75%)
    target_lost: str  # {share}
    queue_axis: str
    #: ``CallReport.outcome_summary``'s keys -> their names
    outcomes: Mapping[str, str]
    outcomes_title: str
    hours_title: str  # {tz}

    def count(self, n: int, forms: Forms) -> str:
        """``n`` and its noun: ``3 дзвінки``, ``5 дзвінків``."""
        return f"{n} {forms[{1: 0, 2: 1, 5: 2}[plural_form(n)]]}"


ENGLISH = ChartTexts(
    suptitle="{company}: {first} .. {last} ({tz}) — {calls}, {appeals}",
    calls=("calls", "calls", "calls"),
    appeals=("appeals", "appeals", "appeals"),
    topics_title=MappingProxyType(
        {
            "day": "Calls per day by topic",
            "week": "Calls per week by topic",
            "month": "Calls per month by topic",
        }
    ),
    calls_axis="calls",
    topic_legend="topic",
    other_topics="other topics ({count})",
    no_topic=NO_TOPIC_LABEL,
    not_in_catalogue=UNKNOWN_LABEL,
    no_calls="no calls in these days",
    indicators_title="Resolution 375 indicators",
    no_queue_log="no queue_log given",
    no_queued_calls="no queued calls",
    queue_title="Resolution 375: calls queued for an operator ({offered})\n"
    "solid: answered within {seconds} s · hatched: lost in the queue · green meets the "
    "target, red misses it",
    total="total",
    target_service_level="target: answered ≤ {seconds} s at least {share}",
    target_lost="target: lost in queue at most {share}",
    queue_axis="% of calls offered to the queue",
    outcomes=MappingProxyType(
        {
            "self_served": "self-served in the IVR",
            "transferred": "transferred (operator, number)",
            "redirected": "redirected to the other company",
            "callback": "asked for a callback",
            "abandoned": "abandoned in the IVR",
            "after_hours": "wanted an operator after hours",
            "failed": "failed (IVR error)",
            "interrupted": "interrupted (IVR stopped mid-call)",
        }
    ),
    outcomes_title="How calls ended",
    hours_title="Calls by hour of day ({tz}); busiest dark",
)

UKRAINIAN = ChartTexts(
    suptitle="{company}: з {first} по {last} ({tz}) — {calls}, {appeals}",
    calls=("дзвінок", "дзвінки", "дзвінків"),
    appeals=("звернення", "звернення", "звернень"),
    topics_title=MappingProxyType(
        {
            "day": "Дзвінки за днями й темами",
            "week": "Дзвінки за тижнями й темами",
            "month": "Дзвінки за місяцями й темами",
        }
    ),
    calls_axis="дзвінки",
    topic_legend="тема",
    other_topics="інші теми ({count})",
    no_topic=UKRAINIAN_NO_TOPIC,
    not_in_catalogue=UKRAINIAN_NOT_IN_CATALOGUE,
    no_calls="у ці дні дзвінків не було",
    indicators_title="Показники Постанови 375",
    no_queue_log="немає даних queue_log",
    no_queued_calls="у черзі дзвінків не було",
    queue_title="Постанова 375: дзвінки в черзі до оператора ({offered})\n"
    "суцільні: відповідь за {seconds} с · заштриховані: втрачені в черзі\n"
    "зелений: ціль досягнуто, червоний: ні",
    total="усього",
    target_service_level="ціль: відповідь за ≤ {seconds} с щонайменше для {share}",
    target_lost="ціль: втрачено в черзі не більше {share}",
    queue_axis="% дзвінків, що надійшли в чергу",
    outcomes=UKRAINIAN_OUTCOMES,
    outcomes_title="Чим завершилися дзвінки",
    hours_title="Дзвінки за годинами доби ({tz});\nгодини пік — темні",
)
