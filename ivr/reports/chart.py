"""One PNG a supervisor would rather look at than read: calls per period by topic (top), the
two Resolution 375 indicators against their targets, how calls ended, and calls by hour."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import IO, Any

from ivr.reports.calls import NO_TOPIC, UNKNOWN_LABEL, CallReport
from ivr.reports.chart_texts import ENGLISH, ChartTexts
from ivr.reports.queue_log import (
    LOST_TARGET,
    SERVICE_LEVEL_SECONDS,
    SERVICE_LEVEL_TARGET,
    QueueFigures,
    QueueIndicators,
)

TOP_TOPICS = 7
MAX_INDICATOR_PERIODS = 14  # more periods than this: the indicator panel shows the total only
OUTCOME_WIDTH = 34  # characters; a longer outcome name wraps, not to run into the next panel
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
OTHER = "#b8b8b8"
PASS_COLOUR, FAIL_COLOUR = "#2e7d32", "#c62828"
OUTCOME_COLOURS = {  # summary key: colour (the names: ``ChartTexts.outcomes``)
    "self_served": "#2ca02c",
    "transferred": "#1f77b4",
    "redirected": "#9467bd",
    "callback": "#17becf",
    "abandoned": "#d62728",
    "after_hours": "#ff7f0e",
    "failed": "#7f7f7f",
    "interrupted": "#8c564b",
}


def write_chart(
    report: CallReport,
    queue: QueueIndicators | None,
    company: str,
    path: Path | IO[bytes],
    texts: ChartTexts = ENGLISH,
) -> None:
    """The PNG into a file, or a binary stream (the web console's page, with
    ``chart_texts.UKRAINIAN``)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(15, 10), dpi=100)
    draw_chart(figure, report, queue, company, texts)
    figure.savefig(path, format="png")
    plt.close(figure)


def draw_chart(
    figure: Any,
    report: CallReport,
    queue: QueueIndicators | None,
    company: str,
    texts: ChartTexts = ENGLISH,
) -> None:
    """The chart's four panels and title on a 15 x 10 inch matplotlib ``Figure``."""
    rng = report.range
    figure.suptitle(
        texts.suptitle.format(
            company=company,
            first=rng.first.isoformat(),
            last=rng.last.isoformat(),
            tz=rng.tz.key,
            calls=texts.count(report.total_calls, texts.calls),
            appeals=texts.count(report.total_appeals, texts.appeals),
        ),
        fontsize=14,
        fontweight="bold",
        y=0.975,
    )
    # fixed places, so long Ukrainian labels never squeeze the plots
    _calls_by_topic(figure.add_axes((0.05, 0.56, 0.63, 0.35)), report, texts)
    _indicators(figure.add_axes((0.05, 0.08, 0.29, 0.34)), queue, texts)
    _outcomes(figure.add_axes((0.52, 0.08, 0.17, 0.34)), report, texts)
    _hours(figure.add_axes((0.75, 0.08, 0.23, 0.34)), report, texts)


def _tidy(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_axisbelow(True)


def _calls_by_topic(ax: Any, report: CallReport, texts: ChartTexts) -> None:
    ranked = sorted((t for t in report.topics if t.calls), key=lambda t: -t.calls)
    top = ranked if len(ranked) <= TOP_TOPICS + 1 else ranked[:TOP_TOPICS]
    rest = {t.code for t in ranked[len(top) :]}
    periods = report.periods
    x = list(range(len(periods)))
    bottom = [0] * len(periods)
    series = [
        (
            f"{t.code}  {_short(_topic_label(t.code, t.label, texts), 45)}",
            PALETTE[i % len(PALETTE)],
            {t.code},
        )
        for i, t in enumerate(top)
    ]
    if rest:
        series.append((texts.other_topics.format(count=len(rest)), OTHER, rest))
    for label, colour, codes in series:
        values = [
            sum(n for c, n in report.calls_by_period.get(p, {}).items() if c in codes)
            for p in periods
        ]
        ax.bar(x, values, bottom=bottom, label=label, color=colour, width=0.75)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if len(periods) <= 45:
        for i, total in enumerate(bottom):
            if total:
                ax.annotate(
                    str(total),
                    (i, total),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
    ax.set_title(texts.topics_title[report.granularity.value], loc="left", fontsize=12)
    ax.set_ylabel(texts.calls_axis)
    step = max(1, -(-len(periods) // 31))
    rotate = len(periods) > 8
    ax.set_xticks(
        x[::step],
        periods[::step],
        rotation=45 if rotate else 0,
        ha="right" if rotate else "center",
        fontsize=9,
    )
    ax.set_xlim(-0.6, len(periods) - 0.4)
    ax.margins(y=0.1)
    ax.grid(axis="y", alpha=0.3)
    _tidy(ax)
    if series:
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.005, 1.0),
            fontsize=9,
            frameon=False,
            title=texts.topic_legend,
            title_fontsize=9,
            alignment="left",
        )
    else:
        ax.text(
            0.5,
            0.5,
            texts.no_calls,
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=12,
            color="grey",
        )


def _indicators(ax: Any, queue: QueueIndicators | None, texts: ChartTexts) -> None:
    from matplotlib.lines import Line2D

    ax.set_title(texts.indicators_title, loc="left", fontsize=11)
    _tidy(ax)
    if queue is None or queue.offered == 0:
        ax.text(
            0.5,
            0.5,
            texts.no_queue_log if queue is None else texts.no_queued_calls,
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=12,
            color="grey",
        )
        ax.set_axis_off()
        return
    periods = [(p, f) for p, f in queue.by_period.items() if f.offered]
    if len(periods) > MAX_INDICATOR_PERIODS or len(periods) == 1:
        periods = []
    columns: list[tuple[str, QueueFigures]] = [*periods, (texts.total, queue)]
    x = list(range(len(columns)))
    width = 0.38
    level = [100 * (f.service_level or 0) for _, f in columns]
    lost = [100 * (f.lost_share or 0) for _, f in columns]
    level_bars = ax.bar(
        [i - width / 2 for i in x],
        level,
        width,
        color=[PASS_COLOUR if f.service_level_met else FAIL_COLOUR for _, f in columns],
    )
    lost_bars = ax.bar(
        [i + width / 2 for i in x],
        lost,
        width,
        hatch="///",
        edgecolor="white",
        color=[PASS_COLOUR if f.lost_met else FAIL_COLOUR for _, f in columns],
    )
    for bars in (level_bars, lost_bars):
        ax.bar_label(bars, fmt="%.0f%%", fontsize=8, padding=1)
    ax.axhline(100 * SERVICE_LEVEL_TARGET, color="#222222", linestyle="--", linewidth=1)
    ax.axhline(100 * LOST_TARGET, color="#222222", linestyle=":", linewidth=1.2)
    ax.legend(
        handles=[
            Line2D(
                [],
                [],
                color="#222222",
                linestyle="--",
                linewidth=1,
                label=texts.target_service_level.format(
                    seconds=SERVICE_LEVEL_SECONDS, share=f"{SERVICE_LEVEL_TARGET:.0%}"
                ),
            ),
            Line2D(
                [],
                [],
                color="#222222",
                linestyle=":",
                linewidth=1.2,
                label=texts.target_lost.format(share=f"{LOST_TARGET:.0%}"),
            ),
        ],
        loc="upper left",
        fontsize=8,
        frameon=False,
        ncol=1,
    )
    if len(columns) > 1:
        ax.axvline(len(columns) - 1.5, color="#999999", linewidth=0.8)
    labels = [p[5:] if len(p) == 10 else p for p, _ in columns]  # 2025-11-24 -> 11-24
    ax.set_xticks(
        x,
        labels,
        fontsize=8,
        rotation=45 if len(columns) > 6 else 0,
        ha="right" if len(columns) > 6 else "center",
    )
    ax.set_ylim(0, 128)
    ax.set_yticks(range(0, 101, 25))
    ax.set_ylabel(texts.queue_axis)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(
        texts.queue_title.format(offered=queue.offered, seconds=SERVICE_LEVEL_SECONDS),
        loc="left",
        fontsize=10,
    )


def _outcomes(ax: Any, report: CallReport, texts: ChartTexts) -> None:
    summary = report.outcome_summary()
    titles = [textwrap.fill(texts.outcomes[k], OUTCOME_WIDTH) for k in summary]
    values = list(summary.values())
    bars = ax.barh(titles, values, color=[OUTCOME_COLOURS[k] for k in summary])
    ax.invert_yaxis()
    total = sum(values) or 1
    ax.bar_label(
        bars, labels=[f"{v} ({100 * v / total:.0f}%)" for v in values], fontsize=9, padding=3
    )
    ax.set_title(texts.outcomes_title, loc="left", fontsize=11)
    ax.tick_params(axis="y", labelsize=9)
    ax.set_xlim(0, max([*values, 1]) * 1.35)
    ax.set_xlabel(texts.calls_axis)
    _tidy(ax)


def _hours(ax: Any, report: CallReport, texts: ChartTexts) -> None:
    busiest = {h for h, _ in report.busiest_hours()}
    ax.bar(
        range(24), report.hours, color=["#6a1b9a" if h in busiest else "#b39ddb" for h in range(24)]
    )
    ax.set_title(texts.hours_title.format(tz=report.range.tz.key), loc="left", fontsize=11)
    ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)], fontsize=8)
    ax.set_xlim(-0.6, 23.6)
    ax.set_ylabel(texts.calls_axis)
    ax.grid(axis="y", alpha=0.3)
    _tidy(ax)


def _topic_label(code: str, label: str, texts: ChartTexts) -> str:
    if code == NO_TOPIC:
        return texts.no_topic
    return texts.not_in_catalogue if label == UNKNOWN_LABEL else label


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
