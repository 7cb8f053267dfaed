"""Queues per topic (``operator.queues``): the call's queue, the callback's count of it,
the configuration's checks, and the Resolution 375 indicators over all of a company's
queues."""

from __future__ import annotations

import pytest
from conftest import SHIPPED_CONFIG
from test_callback import call
from test_config import errors, line_of, make_config

from ivr.config import load_config
from ivr.config.model import Config
from ivr.reports.queue_log import compute_indicators


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def test_a_topic_with_a_queue_of_its_own_goes_there(shipped, tmp_path):
    assert shipped.operator.queues == ("dso-callcentre", "dso-emergency")
    danger, asterisk = call(shipped, "1 1", 0, tmp_path)  # outages, sparking wires
    assert danger.topic_code == "D10"
    assert asterisk.variables["IVR_TRANSFER_TO"] == "dso-emergency"
    assert danger.transfer_to == "dso-emergency"
    other, asterisk = call(shipped, "0", 0, tmp_path)
    assert other.topic_code == "D99" and asterisk.variables["IVR_TRANSFER_TO"] == "dso-callcentre"


def test_the_callback_counts_the_callers_of_the_calls_own_queue(shipped, tmp_path):
    _, asterisk = call(shipped, "1 1 3", 12, tmp_path)
    assert asterisk.asked == ["${QUEUE_WAITING_COUNT(dso-emergency)}"]


QUEUES = "  queues:\n    dso-emergency: [D10]\n"


@pytest.mark.parametrize(
    ("new", "needle", "message"),
    [
        (
            "  queues:\n    dso emergency: [D10]\n",
            "dso emergency:",
            "operator.queues.dso emergency: queue name 'dso emergency' must not contain spaces",
        ),
        (
            "  queues:\n    dso-emergency: [D10]\n    dso-other: [D10]\n",
            "dso-other:",
            "operator.queues.dso-other[0]: topic 'D10' already goes to queue 'dso-emergency'",
        ),
        (
            "  queues:\n    dso-emergency: [S3]\n",
            "dso-emergency: [S3]",
            "operator.queues.dso-emergency[0]: topic 'S3' is from the supplier catalogue",
        ),
        (
            "  queues:\n    dso-emergency: D10\n",
            "dso-emergency: D10",
            "operator.queues.dso-emergency: expected a list of topic codes",
        ),
    ],
)
def test_a_bad_queues_block_is_reported_with_its_line(tmp_path, new, needle, message):
    path = make_config(tmp_path, (QUEUES, new))
    found = errors(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:{line_of(path, needle)}: {message}"), (
        found
    )


def test_the_indicators_cover_every_queue_of_the_company():
    lines = [
        "100|c1|dso-callcentre|NONE|ENTERQUEUE||044|1",
        "110|c1|dso-callcentre|op|CONNECT|10|x|2",
        "200|c2|dso-emergency|NONE|ENTERQUEUE||050|1",
        "203|c2|dso-emergency|op|CONNECT|3|x|2",
        "300|c3|other-company|NONE|ENTERQUEUE||067|1",
        "340|c3|other-company|NONE|ABANDON|1|1|40",
    ]
    both = compute_indicators(lines, queue=("dso-callcentre", "dso-emergency"))
    assert (both.offered, both.answered, both.lost) == (2, 2, 0)
    assert both.queue == "dso-callcentre, dso-emergency" and both.other_queue_events == 2
    one = compute_indicators(lines, queue="dso-emergency")
    assert (one.offered, one.answered) == (1, 1)
