"""The report as a terminal table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ivr.reports.calls import CallReport
from ivr.reports.queue_log import (
    LOST_TARGET,
    SERVICE_LEVEL_SECONDS,
    SERVICE_LEVEL_TARGET,
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
        "topics": [t.__dict__ for t in report.topics],
        "calls_by_period": report.calls_by_period,
        "appeals_by_period": report.appeals_by_period,
        "outcomes": report.outcomes,
        "outcome_summary": report.outcome_summary(),
        "duration": {"median_s": report.duration.median_s, "p90_s": report.duration.p90_s},
        "calls_by_hour_of_day": report.hours,
        "busiest_hours": [{"hour": h, "calls": n} for h, n in report.busiest_hours()],
        "peak_hour": None if report.peak_hour is None else dict(
            zip(("date", "hour", "calls"), report.peak_hour, strict=True)),
    }
    if queue is not None:
        data["queue"] = {
            "offered": queue.offered,
            "answered": queue.answered,
            "answered_within_30s": queue.answered_within,
            "lost": queue.lost,
            "left_by_key": queue.left_by_key,
            "waiting": queue.waiting,
            "service_level": queue.service_level,
            "service_level_target": SERVICE_LEVEL_TARGET,
            "service_level_met": queue.service_level_met,
            "lost_share": queue.lost_share,
            "lost_target": LOST_TARGET,
            "lost_met": queue.lost_met,
            "lines": queue.lines,
            "malformed_lines": queue.malformed,
            "unknown_events": queue.unknown_events,
            "examples": queue.examples,
        }
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
    for section, table in (("calls_by_topic", report.calls_by_period),
                           ("appeals_by_topic", report.appeals_by_period)):
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
        for item, value in as_dict(report, queue, company)["queue"].items():
            if item != "examples":
                writer.writerow(["queue", "total", item, "", value])
    return out.getvalue()


def as_table(report: CallReport, queue: QueueIndicators | None, company: str) -> str:
    rng = report.range
    lines = [
        f"{company}: calls {rng.first.isoformat()} .. {rng.last.isoformat()} "
        f"({rng.tz.key}, by {report.granularity.value})",
        "",
        f"Calls: {report.total_calls}    Appeals: {report.total_appeals}",
        "",
        "Topic  Calls  Appeals  Label",
    ]
    for t in report.topics:
        lines.append(f"{t.code:<6} {t.calls:>5}  {t.appeals:>7}  {t.label}")
    lines += ["", "Calls per " + report.granularity.value + ":"]
    codes = [t.code for t in report.topics if t.calls]
    lines.append(f"{'period':<11} {'total':>6}  " + "  ".join(f"{c:>4}" for c in codes))
    for period in report.periods:
        counts = report.calls_by_period.get(period, {})
        lines.append(f"{period:<11} {report.period_total(period):>6}  "
                     + "  ".join(f"{counts.get(c, 0):>4}" for c in codes))
    summary = report.outcome_summary()
    total = report.total_calls or 1
    lines += ["", "Outcomes:"]
    names = {
        "self_served": "self-served in the IVR",
        "transferred": "transferred (operator or number)",
        "redirected": "redirected to the other company",
        "abandoned": "abandoned in the IVR",
        "after_hours": "wanted an operator after hours",
        "failed": "failed (IVR error)",
    }
    for key, title in names.items():
        lines.append(f"  {title:<34} {summary[key]:>6}  {summary[key] / total * 100:5.1f} %")
    lines += [
        "",
        f"Duration: median {seconds(report.duration.median_s)}, "
        f"90th percentile {seconds(report.duration.p90_s)}",
        "Busiest hours: " + (", ".join(f"{h:02d}:00-{h + 1:02d}:00 ({n})"
                                       for h, n in report.busiest_hours()) or "no calls"),
    ]
    if report.peak_hour:
        day, hour, n = report.peak_hour
        lines.append(f"Peak: {day} {hour:02d}:00-{hour + 1:02d}:00 with {n} calls")
    if queue is not None:
        lines += [
            "",
            "Resolution 375 call-centre indicators (from queue_log; calls that ended in the "
            "IVR menu never reach the queue and are excluded):",
            f"  offered to the queue        {queue.offered:>6}",
            f"  answered by an operator     {queue.answered:>6}  "
            f"(within {SERVICE_LEVEL_SECONDS} s: {queue.answered_within})",
            f"  lost in the queue           {queue.lost:>6}  (abandoned, timed out, no agents)",
            f"  left the queue by a key     {queue.left_by_key:>6}",
            f"  service level (<= {SERVICE_LEVEL_SECONDS} s)     {percent(queue.service_level):>8}"
            f"  target >= {SERVICE_LEVEL_TARGET * 100:.0f} %  {verdict(queue.service_level_met)}",
            f"  lost in queue               {percent(queue.lost_share):>8}"
            f"  target <= {LOST_TARGET * 100:.0f} %  {verdict(queue.lost_met)}",
        ]
        if queue.malformed or queue.unknown_events:
            lines.append(f"  queue_log: {queue.malformed} malformed line(s), "
                         f"{queue.unknown_events} unknown event(s) skipped: "
                         + "; ".join(queue.examples))
    return "\n".join(lines)
