"""The report chart's texts: English for the command line (unchanged), Ukrainian for the web
console, every text on the figure taken from them, Cyrillic rendered by the font."""

from __future__ import annotations

import dataclasses
import io
import re
import string
import warnings
from collections.abc import Iterator
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT

from ivr.reports.calls import (
    NO_TOPIC,
    NO_TOPIC_LABEL,
    UNKNOWN_LABEL,
    CallReport,
    DurationStats,
    TopicRow,
)
from ivr.reports.chart import OUTCOME_COLOURS, TOP_TOPICS, draw_chart, write_chart
from ivr.reports.chart_texts import ENGLISH, UKRAINIAN, ChartTexts
from ivr.reports.periods import Granularity, ReportRange
from ivr.reports.queue_log import compute_indicators, read_queue_log
from ivr.store.records import Outcome

SAMPLE = ROOT / "tests" / "data" / "queue_log.sample"
KYIV = ZoneInfo("Europe/Kyiv")
#: Latin words a Ukrainian text may carry: codes and names, not English
CODES = {"IVR", "queue_log", "Europe", "Kyiv"}
LATIN_WORD = re.compile(r"[A-Za-z_]{2,}")


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from strings(item)
    else:
        assert hasattr(value, "values"), value
        for item in value.values():  # type: ignore[attr-defined]
            yield from strings(item)


def literal(template: str) -> str:
    """A template without its ``{placeholders}``."""
    return "".join(text for text, *_ in string.Formatter().parse(template))


def placeholders(template: str) -> set[str]:
    return {name for _, name, *_ in string.Formatter().parse(template) if name}


def latin_words(text: str) -> set[str]:
    return set(LATIN_WORD.findall(text)) - CODES


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(ChartTexts)])
def test_every_ukrainian_text_is_ukrainian(field):
    english, ukrainian = getattr(ENGLISH, field), getattr(UKRAINIAN, field)
    assert type(english) is type(ukrainian) or hasattr(english, "keys")
    if hasattr(english, "keys"):
        assert list(ukrainian.keys()) == list(english.keys())
    english_texts, ukrainian_texts = list(strings(english)), list(strings(ukrainian))
    assert len(english_texts) == len(ukrainian_texts)
    for en, uk in zip(english_texts, ukrainian_texts, strict=True):
        assert uk.strip() and uk != en
        assert placeholders(uk) == placeholders(en)  # formatted with the same values
        assert not latin_words(literal(uk)), (field, uk)
        assert re.search("[а-яіїєґ]", uk, re.IGNORECASE), (field, uk)
        assert "'" not in uk  # the typographic apostrophe only


def test_the_texts_name_every_outcome_group_and_granularity():
    summary_keys = list(report().outcome_summary())
    for texts in (ENGLISH, UKRAINIAN):
        assert list(texts.outcomes) == summary_keys == list(OUTCOME_COLOURS)
        assert set(texts.topics_title) == {g.value for g in Granularity}


@pytest.mark.parametrize(
    ("n", "calls", "appeals"),
    [
        (0, "0 дзвінків", "0 звернень"),
        (1, "1 дзвінок", "1 звернення"),
        (2, "2 дзвінки", "2 звернення"),
        (4, "4 дзвінки", "4 звернення"),
        (5, "5 дзвінків", "5 звернень"),
        (11, "11 дзвінків", "11 звернень"),
        (12, "12 дзвінків", "12 звернень"),
        (21, "21 дзвінок", "21 звернення"),
        (22, "22 дзвінки", "22 звернення"),
        (111, "111 дзвінків", "111 звернень"),
        (1001, "1001 дзвінок", "1001 звернення"),
    ],
)
def test_counted_nouns(n, calls, appeals):
    assert UKRAINIAN.count(n, UKRAINIAN.calls) == calls
    assert UKRAINIAN.count(n, UKRAINIAN.appeals) == appeals
    assert ENGLISH.count(n, ENGLISH.calls) == f"{n} calls"  # as the command line had it


def report(first: date = date(2025, 11, 24), last: date = date(2025, 11, 26)) -> CallReport:
    """A report with more topics than the chart shows, one outside the catalogue and calls
    without a topic."""
    rng = ReportRange(first, last, KYIV)
    periods = rng.periods(Granularity.DAY)
    topics = [TopicRow(f"T{i}", f"Тема номер {i}", 10 + i, i) for i in range(TOP_TOPICS + 2)]
    topics += [TopicRow("X9", UNKNOWN_LABEL, 40, 0), TopicRow(NO_TOPIC, NO_TOPIC_LABEL, 50, 0)]
    by_period = {p: {t.code: t.calls for t in topics} for p in periods}
    outcomes = {o.value: 3 for o in Outcome}
    hours = [h % 7 for h in range(24)]
    return CallReport(
        rng,
        Granularity.DAY,
        periods,
        topics,
        by_period,
        {},
        outcomes,
        {},
        DurationStats(27, 30.0, 90.0),
        hours,
        None,
    )


def figure_texts(calls: CallReport, queue, texts: ChartTexts) -> list[str]:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    figure = Figure(figsize=(15, 10), dpi=100)
    draw_chart(figure, calls, queue, "ПрАТ «Енерго»", texts)
    return [t.get_text() for t in figure.findobj(Text) if t.get_text().strip()]


def sample_queue():
    return read_queue_log(SAMPLE, ReportRange(date(2025, 11, 24), date(2025, 11, 26), KYIV))


EMPTY = report(date(2025, 11, 24), date(2025, 11, 24))
EMPTY.topics, EMPTY.calls_by_period, EMPTY.hours = [], {}, [0] * 24
EMPTY.outcomes = {o.value: 0 for o in Outcome}


@pytest.mark.parametrize(
    ("calls", "queue"),
    [
        (report(), "sample"),
        (report(), None),
        (report(date(2025, 11, 1), date(2025, 11, 30)), "sample"),
        (EMPTY, "empty"),
    ],
    ids=["queue", "no-queue-log", "month", "no-calls"],
)
def test_every_text_on_the_ukrainian_figure_is_ukrainian(calls, queue):
    indicators = {"sample": sample_queue(), None: None, "empty": compute_indicators([])}[queue]
    english = figure_texts(calls, indicators, ENGLISH)
    assert any(latin_words(t) for t in english)  # the check below can fail
    ukrainian = figure_texts(calls, indicators, UKRAINIAN)
    assert len(ukrainian) == len(english)
    for text in ukrainian:
        assert not latin_words(text), text
    suptitle = f"{calls.total_calls} дзвінк"
    assert any(suptitle in t and "звернен" in t for t in ukrainian)


def test_the_topics_without_a_label_in_both_languages():
    english = figure_texts(report(), None, ENGLISH)
    ukrainian = figure_texts(report(), None, UKRAINIAN)
    assert f"X9  {UNKNOWN_LABEL}" in english and f"-  {NO_TOPIC_LABEL}" in english
    assert f"X9  {UKRAINIAN.not_in_catalogue}" in ukrainian
    assert f"-  {UKRAINIAN.no_topic}" in ukrainian
    assert UKRAINIAN.other_topics.format(count=4) in ukrainian  # T0..T3, the smallest


def test_write_chart_in_ukrainian_writes_a_png_with_every_glyph():
    out = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_chart(report(), sample_queue(), "ПрАТ «Енерго»", out, texts=UKRAINIAN)
    assert not [w for w in caught if "missing from" in str(w.message)]  # Cyrillic rendered
    png = out.getvalue()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert image.size == (1500, 1000)
