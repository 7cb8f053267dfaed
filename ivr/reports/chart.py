"""One PNG a supervisor would rather look at than read."""

from __future__ import annotations

from pathlib import Path

from ivr.reports.calls import CallReport
from ivr.reports.queue_log import LOST_TARGET, SERVICE_LEVEL_TARGET, QueueIndicators

TOP_TOPICS = 6
OUTCOME_TITLES = {
    "self_served": "self-served",
    "transferred": "transferred",
    "redirected": "redirected",
    "abandoned": "abandoned",
    "after_hours": "after hours",
    "failed": "failed",
}


def write_chart(report: CallReport, queue: QueueIndicators | None, company: str,
                path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 2, figsize=(14, 9), gridspec_kw={"height_ratios": [3, 2]})
    figure.suptitle(f"{company}: {report.range.first.isoformat()} .. "
                    f"{report.range.last.isoformat()}", fontsize=14, fontweight="bold")
    _calls_by_topic(axes[0][0], report)
    axes[0][1].remove()
    _indicators(figure.add_subplot(2, 2, 2), queue)
    _outcomes(axes[1][0], report)
    _hours(axes[1][1], report)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _calls_by_topic(ax, report: CallReport) -> None:
    ranked = sorted((t for t in report.topics if t.calls), key=lambda t: -t.calls)
    top = ranked[:TOP_TOPICS]
    rest = {t.code for t in ranked[TOP_TOPICS:]}
    periods = report.periods
    bottom = [0] * len(periods)
    x = range(len(periods))
    for topic in top:
        values = [report.calls_by_period.get(p, {}).get(topic.code, 0) for p in periods]
        label = f"{topic.code} {topic.label[:38]}"
        ax.bar(x, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if rest:
        values = [sum(n for c, n in report.calls_by_period.get(p, {}).items() if c in rest)
                  for p in periods]
        ax.bar(x, values, bottom=bottom, label="other topics", color="#bbbbbb")
    ax.set_title(f"Calls per {report.granularity.value} by topic")
    ax.set_xticks(list(x), periods, rotation=45 if len(periods) > 7 else 0, ha="right")
    ax.set_ylabel("calls")
    if top:
        ax.legend(fontsize=8, loc="upper left")
    else:
        ax.text(0.5, 0.5, "no calls", ha="center", va="center", transform=ax.transAxes)


def _indicators(ax, queue: QueueIndicators | None) -> None:
    ax.set_title("Resolution 375 indicators (operator queue)")
    if queue is None or queue.offered == 0:
        ax.text(0.5, 0.5, "no queue_log given" if queue is None else "no queued calls",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    level = (queue.service_level or 0) * 100
    lost = (queue.lost_share or 0) * 100
    colours = ["#2e7d32" if queue.service_level_met else "#c62828",
               "#2e7d32" if queue.lost_met else "#c62828"]
    bars = ax.bar([0, 1], [level, lost], color=colours, width=0.5)
    ax.hlines(SERVICE_LEVEL_TARGET * 100, -0.3, 0.3, colors="black", linestyles="--")
    ax.hlines(LOST_TARGET * 100, 0.7, 1.3, colors="black", linestyles="--")
    ax.text(0.32, SERVICE_LEVEL_TARGET * 100, "target ≥ 75 %", va="center", fontsize=9)
    ax.text(1.32, LOST_TARGET * 100, "target ≤ 10 %", va="center", fontsize=9)
    for bar, value in zip(bars, (level, lost), strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value + 2, f"{value:.1f} %", ha="center",
                fontsize=11, fontweight="bold")
    ax.set_xticks([0, 1], ["answered within 30 s", "lost in the queue"])
    ax.set_ylim(0, 105)
    ax.set_xlim(-0.6, 1.9)
    ax.set_ylabel("% of calls offered to the queue")
    ax.text(0.99, 0.97, f"{queue.offered} calls offered", ha="right", va="top",
            transform=ax.transAxes, fontsize=9)


def _outcomes(ax, report: CallReport) -> None:
    summary = report.outcome_summary()
    names = [OUTCOME_TITLES[k] for k in summary]
    values = list(summary.values())
    ax.barh(names, values, color="#1565c0")
    ax.invert_yaxis()
    total = sum(values) or 1
    for i, value in enumerate(values):
        ax.text(value, i, f" {value} ({value / total * 100:.0f} %)", va="center", fontsize=9)
    ax.set_title("How calls ended")
    ax.set_xlim(0, max(values + [1]) * 1.3)


def _hours(ax, report: CallReport) -> None:
    ax.bar(range(24), report.hours, color="#6a1b9a")
    ax.set_title(f"Calls by hour of day ({report.range.tz.key})")
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour")
