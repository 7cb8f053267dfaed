"""The report as a terminal table, CSV or JSON.

CSV is one figure a row, ``section,period,item,label,value``; the sections are
``calls_by_topic``, ``appeals_by_topic``, ``outcomes``, ``duration``, ``calls_by_hour_of_day``
and, with a queue_log, ``queue`` (every indicator for ``total`` and for each period) and
``queue_log`` (lines read and skipped). JSON holds every figure as one document.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ivr.reports.calls import CallReport
from ivr.reports.queue_log import (
    LOST_TARGET,
    SERVICE_LEVEL_SECONDS,
    SERVICE_LEVEL_TARGET,
    QueueFigures,
    QueueIndicators,
)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("PASS" if met else "FAIL")


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def as_dict(report: CallReport, queue: QueueIndicators | None, company: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "company": company,
        "from": report.range.first.isoformat(),
        "to": report.range.last.isoformat(),
        "timezone": report.range.tz.key,
        "by": report.granularity.value,
        "calls": report.total_calls,
        "appeals": report.total_appeals,
        "test_calls_left_out": report.test_calls_left_out,
        "topics": [t.__dict__ for t in report.topics],
        "calls_by_period": report.calls_by_period,
        "appeals_by_period": report.appeals_by_period,
        "outcomes": report.outcomes,
        "outcome_summary": report.outcome_summary(),
        "outcomes_by_period": report.outcomes_by_period,
        "duration": {
            "calls": report.duration.calls,
            "median_s": report.duration.median_s,
            "p90_s": report.duration.p90_s,
        },
        "calls_by_hour_of_day": report.hours,
        "busiest_hours": [{"hour": h, "calls": n} for h, n in report.busiest_hours()],
        "peak_hour": None
        if report.peak_hour is None
        else dict(zip(("date", "hour", "calls"), report.peak_hour, strict=True)),
    }
    if queue is not None:
        data["queue"] = queue.as_dict()
    return data


def as_json(report: CallReport, queue: QueueIndicators | None, company: str) -> str:
    return json.dumps(as_dict(report, queue, company), ensure_ascii=False, indent=2)


def as_csv(report: CallReport, queue: QueueIndicators | None, company: str) -> str:
    """Long format, one figure a row: ``section,period,item,label,value``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "period", "item", "label", "value"])
    labels = {t.code: t.label for t in report.topics}
    for topic in report.topics:
        writer.writerow(["calls_by_topic", "total", topic.code, topic.label, topic.calls])
        writer.writerow(["appeals_by_topic", "total", topic.code, topic.label, topic.appeals])
    for section, table in (
        ("calls_by_topic", report.calls_by_period),
        ("appeals_by_topic", report.appeals_by_period),
    ):
        for period in report.periods:
            for code, n in sorted(table.get(period, {}).items()):
                writer.writerow([section, period, code, labels.get(code, ""), n])
    for name, n in report.outcomes.items():
        writer.writerow(["outcomes", "total", name, "", n])
    for period in report.periods:
        for name, n in sorted(report.outcomes_by_period.get(period, {}).items()):
            writer.writerow(["outcomes", period, name, "", n])
    writer.writerow(["duration", "total", "median_s", "", report.duration.median_s])
    writer.writerow(["duration", "total", "p90_s", "", report.duration.p90_s])
    for hour, n in enumerate(report.hours):
        writer.writerow(["calls_by_hour_of_day", "total", f"{hour:02d}", "", n])
    if queue is not None:
        for period, figures in [("total", queue), *queue.by_period.items()]:
            for item, value in QueueFigures.as_dict(figures).items():
                writer.writerow(["queue", period, item, "", value])
        for item in (
            "calls_without_fate",
            "calls_outside_range",
            "lines",
            "other_queue_events",
            "malformed_lines",
            "unknown_event_lines",
        ):
            writer.writerow(["queue_log", "total", item, "", queue.as_dict()[item]])
        for example in queue.examples:
            writer.writerow(["queue_log", "total", "skipped", example, ""])
    return out.getvalue()


def text_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], left: int = 1
) -> list[str]:
    """A plain text table: the first ``left`` columns aligned left, the others right."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in body)]


def short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


OUTCOME_TITLES = {
    "self_served": "self-served in the IVR",
    "transferred": "transferred (operator or number)",
    "redirected": "redirected to the other company",
    "callback": "asked for a callback",
    "abandoned": "abandoned in the IVR",
    "after_hours": "wanted an operator after hours",
    "failed": "failed (IVR error)",
    "interrupted": "interrupted (IVR stopped mid-call)",
}


def as_table(report: CallReport, queue: QueueIndicators | None, company: str) -> str:
    rng = report.range
    by = report.granularity.value
    lines = [
        f"{company}: calls {rng.first.isoformat()} .. {rng.last.isoformat()} "
        f"({rng.tz.key}, by {by})",
        "",
        f"Calls: {report.total_calls}    Appeals: {report.total_appeals}",
        "",
    ]
    if report.test_calls_left_out:
        lines[-1:-1] = [
            f"({report.test_calls_left_out} test call(s) left out: simulator or "
            "account code ivr-test; --include-test counts them)"
        ]
    total = report.total_calls
    lines += text_table(
        ["topic", "label", "calls", "share", "appeals"],
        [
            (
                t.code,
                short(t.label),
                t.calls,
                percent(t.calls / total if total else None),
                t.appeals,
            )
            for t in report.topics
        ],
        left=2,
    )
    codes = [t.code for t in report.topics if t.calls]
    lines += ["", f"Calls per {by} by topic (appeals in the last column):"]
    lines += text_table(
        ["period", "calls", *codes, "appeals"],
        [
            (
                p,
                report.period_total(p),
                *(report.calls_by_period.get(p, {}).get(c, 0) for c in codes),
                sum(report.appeals_by_period.get(p, {}).values()),
            )
            for p in report.periods
        ],
    )
    summary = report.outcome_summary()
    lines += ["", "Outcomes:"]
    lines += text_table(
        ["outcome", "calls", "share"],
        [
            (title, summary[key], percent(summary[key] / total if total else None))
            for key, title in OUTCOME_TITLES.items()
        ],
    )
    lines.append(
        f"(transferred = operator queue {report.outcomes.get('operator', 0)} + "
        f"to a number {report.outcomes.get('transferred', 0)})"
    )
    names = list(report.outcomes)
    lines += ["", f"Outcomes per {by}:"]
    lines += text_table(
        ["period", "calls", *names],
        [
            (
                p,
                sum(report.outcomes_by_period.get(p, {}).values()),
                *(report.outcomes_by_period.get(p, {}).get(n, 0) for n in names),
            )
            for p in report.periods
        ],
    )
    lines += [
        "",
        f"Duration: median {seconds(report.duration.median_s)}, "
        f"90th percentile {seconds(report.duration.p90_s)}",
        f"Busiest hours ({rng.tz.key}): "
        + (
            ", ".join(f"{h:02d}:00-{h + 1:02d}:00 ({n})" for h, n in report.busiest_hours())
            or "no calls"
        ),
    ]
    if report.peak_hour:
        day, hour, n = report.peak_hour
        lines.append(f"Peak: {day} {hour:02d}:00-{hour + 1:02d}:00 with {n} calls")
    top = max(report.hours) or 1
    lines += ["hour   calls  per day"]
    lines += [
        f"{h:02d}:00 {n:>6}  {n / rng.days:>7.1f}  {'#' * max(1, round(40 * n / top))}"
        for h, n in enumerate(report.hours)
        if n
    ]
    lines += ["", *queue_table(queue)]
    return "\n".join(lines)


def queue_table(queue: QueueIndicators | None) -> list[str]:
    lines = ["Resolution 375 call-centre indicators"]
    if queue is None:
        return [*lines, "  (give Asterisk's queue_log with --queue-log PATH)"]
    lines += [
        f"(queue_log, queue {queue.queue or 'any'}; calls that ended in the IVR menu never "
        "reach the queue,",
        "so they are excluded by construction)",
        f"  offered to the queue        {queue.offered:>6}",
        f"  answered by an operator     {queue.answered:>6}  "
        f"(within {SERVICE_LEVEL_SECONDS} s: {queue.answered_within}, later: "
        f"{queue.answered - queue.answered_within}; average wait "
        f"{seconds(queue.average_wait_answered_s)})",
        f"  lost in the queue           {queue.lost:>6}  (abandoned {queue.abandoned}, "
        f"timed out {queue.timed_out}, no operators {queue.no_agents})",
        f"  left the queue by a key     {queue.left_by_key:>6}  (callback or menu: offered, "
        "not answered, not lost)",
        f"  service level (<= {SERVICE_LEVEL_SECONDS} s)     {percent(queue.service_level):>8}"
        f"  target >= {SERVICE_LEVEL_TARGET * 100:.0f} %  {verdict(queue.service_level_met)}",
        f"  lost in queue               {percent(queue.lost_share):>8}"
        f"  target <= {LOST_TARGET * 100:.0f} %  {verdict(queue.lost_met)}",
    ]
    if queue.by_period:
        lines.append("")
        lines += text_table(
            [
                "period",
                "offered",
                "answered",
                "<= 30 s",
                "lost",
                "by key",
                "service level",
                "lost share",
            ],
            [
                (
                    p,
                    f.offered,
                    f.answered,
                    f.answered_within,
                    f.lost,
                    f.left_by_key,
                    f"{percent(f.service_level)} {verdict(f.service_level_met)}",
                    f"{percent(f.lost_share)} {verdict(f.lost_met)}",
                )
                for p, f in queue.by_period.items()
            ],
        )
    lines += [
        f"queue_log: {queue.lines} line(s); {queue.waiting} call(s) without a fate in the file "
        "(left out);",
        f"  {queue.outside_range} call(s) queued outside the dates; "
        f"{queue.other_queue_events} event(s) of other queues",
    ]
    if queue.malformed or queue.unknown_events:
        lines.append(
            f"queue_log: {queue.malformed} malformed line(s), "
            f"{queue.unknown_events} unknown event(s) skipped:"
        )
        lines += [f"  {example}" for example in queue.examples]
    return lines
