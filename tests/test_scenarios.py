"""``ivr test``: testers' scenario files run through the simulator over the AGI byte protocol.

The shipped scenarios (scenarios/) must pass and cover every menu, option and fallback of the
shipped configs; a broken menu must fail exactly the scenarios that go through it, with a
readable difference; bad scenario files are refused with FILE:LINE before anything runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT
from test_config import line_of, make_config

from ivr.config import load_config
from ivr.scenarios.coverage import Coverage, covered_by, parts_of
from ivr.scenarios.run import Heard, check_heard
from ivr.simulator import KeyScript, parse_keys

SCENARIOS = ROOT / "scenarios"


def ivr_test(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ivr", "test", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_the_shipped_scenarios_pass_and_cover_every_menu_option_and_fallback(tmp_path):
    junit = tmp_path / "scenarios.xml"
    result = ivr_test(str(SCENARIOS), "--coverage", "--junit", str(junit), "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.endswith("%")]
    kinds = {(row[0], row[1]): row[-2] for row in rows}
    for company in ("demooblenergo", "demoenergozbut"):
        for kind in ("menu", "option", "fallback"):
            assert kinds[company, kind] == "100", result.stdout
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests", "0")) >= 50
    assert {case.get("classname") for case in suite} == {
        str(SCENARIOS / "dso.yaml"),
        str(SCENARIOS / "supplier.yaml"),
    }


def copied_site(tmp_path: Path) -> Path:
    """The shipped configs and scenarios in ``tmp_path``: scenarios/ beside config.yaml."""
    config = make_config(tmp_path)
    shutil.copytree(SCENARIOS, tmp_path / "scenarios")
    return config


def test_breaking_one_menu_fails_exactly_the_scenarios_through_it(tmp_path):
    config = copied_site(tmp_path)
    text = config.read_text(encoding="utf-8")
    old = '"1": {action: announce, prompts: [power_quality_info], topic: D2}'
    assert text.count(old) == 1
    config.write_text(text.replace(old, old.replace("power_quality_info", "meter_info")), "utf-8")
    result = ivr_test("scenarios", cwd=tmp_path)
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert failed == [
        "FAILED scenarios/dso.yaml::power quality information, repeated, back: heard: "
        "expected «power_quality_info» after menu_quality: «Що робити, якщо напруга занадто "
        "низька чи висока, — натисніть один. П…» [interrupted], in this order:"
    ], result.stdout
    # the difference says what was expected and what the caller heard instead, in Ukrainian
    assert "✗ power_quality_info" in result.stdout
    assert "meter_info: «" in result.stdout
    assert "1 failed" in result.stdout


def test_a_wrong_topic_expectation_is_a_readable_failure(tmp_path):
    copied_site(tmp_path)
    scenarios = tmp_path / "scenarios" / "dso.yaml"
    text = scenarios.read_text(encoding="utf-8")
    old = '    keys: "2 2"\n    expect:\n      result: operator\n      topic: D2\n'
    assert text.count(old) == 1
    scenarios.write_text(text.replace(old, old.replace("D2", "D4")), encoding="utf-8")
    result = ivr_test("scenarios/dso.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "  topic: expected D4, recorded D2" in result.stdout


def write(tmp_path: Path, body: str) -> Path:
    config = make_config(tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(f"config: {config}\nscenarios:\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "needle", "message"),
    [
        (
            '  - name: x\n    keys: "0"\n    expekt: {}\n',
            "expekt",
            "scenarios[0].expekt: unknown key 'expekt'; did you mean 'expect'?",
        ),
        (
            '  - name: x\n    keys: "0"\n    expect: {heard: [welcom_dso]}\n',
            "welcom_dso",
            "scenarios[0].expect.heard[0]: no prompt 'welcom_dso': neither a prompt id nor a "
            "fragment of any prompt's text; did you mean 'welcome_dso'?",
        ),
        (
            '  - name: x\n    keys: "0"\n    expect: {heard: ["світла немає у місті"]}\n',
            "світла немає",
            "scenarios[0].expect.heard[0]: no prompt 'світла немає у місті'",
        ),
        (
            '  - name: x\n    keys: "0"\n    expect: {topic: D77}\n',
            "D77",
            "scenarios[0].expect.topic: topic 'D77' is not in the configuration's catalogues",
        ),
        (
            '  - name: x\n    keys: "0"\n    expect: {outcome: served}\n',
            "served",
            "scenarios[0].expect.outcome: unknown outcome 'served'",
        ),
        (
            '  - name: x\n    keys: "0"\n    expect: {appeals: [complain]}\n',
            "complain",
            "scenarios[0].expect.appeals[0]: unknown appeal kind 'complain'",
        ),
        ('  - name: x\n    keys: "1 x"\n', "1 x", "scenarios[0].keys: unknown key 'X' in 'x'"),
        ("  - name: x\n    keys: 12\n", "keys: 12", "scenarios[0].keys: expected keys in quotes"),
        (
            '  - name: x\n    keys: "0"\n    at: tomorrow\n',
            "tomorrow",
            "scenarios[0].at: 'tomorrow' is not a moment such as 2026-12-01T12:00",
        ),
    ],
)
def test_a_bad_scenario_file_is_refused_with_its_line(tmp_path, body, needle, message):
    path = write(tmp_path, body)
    result = ivr_test(str(path), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{line_of(path, needle)}: {message}"), result.stderr
    assert "collected" not in result.stdout  # nothing ran


def test_expected_words_of_a_spoken_date_are_accepted(tmp_path):
    path = write(
        tmp_path,
        '  - name: x\n    keys: "h"\n    expect: {not_heard: ["тридцятого грудня", digits/5]}\n',
    )
    result = ivr_test(str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_heard_is_a_subsequence_of_ids_and_pieces_of_text():
    heard = [
        Heard(("welcome_dso",), "Вітаємо! Ви зателефонували до кол-центру"),
        Heard(("menu_outages",), "Якщо ви бачите обірваний провід"),
        Heard(("digits/4", "schedule_point"), "чотири точка два"),
    ]
    assert check_heard(("welcome_dso", "зателефонували", "digits/4", "точка"), heard) == []
    assert check_heard(("menu_outages", "welcome_dso"), heard)[0].startswith(
        "heard: expected «welcome_dso» after menu_outages"
    )
    assert check_heard(("welcome_dso", "welcome_dso"), heard)  # one welcome, not two


def test_coverage_reads_options_fallbacks_branches_and_outcomes_from_a_path():
    config = load_config(ROOT / "config.yaml").profiles["demoenergozbut"]
    path = [
        {"menu": "main", "key": "3", "action": "menu"},
        {"menu": "contract", "key": "3", "action": "when_open"},
        {"menu": "contract", "action": "announce", "event": "closed"},
        {"menu": "contract", "key": "9", "event": "invalid"},
        {"menu": "contract", "event": "timeout"},
        {"menu": "main", "key": "6", "action": "redirect"},
        {"menu": "main", "event": "identified_by_caller_id"},
    ]
    assert covered_by(config, path) == {
        "menu:main",
        "menu:contract",
        "option:main:3",
        "option:contract:3",
        "option:contract:3:closed",
        "fallback:contract:invalid",
        "fallback:contract:timeout",
        "option:main:6",
        "outcome:main:6:identified_by_caller_id",
    }
    assert set(covered_by(config, path)) <= set(parts_of(config))
    coverage = Coverage()
    coverage.add_config(load_config(ROOT / "config.yaml"))
    coverage.add_call(config, path)
    assert coverage.counts("demoenergozbut", "menu") == (2, 4)
    assert not coverage.complete()


def test_w_listens_to_the_prompt_playing_to_its_end():
    keys = KeyScript(parse_keys("w 1"))
    assert keys.during_prompt("1") is None  # w: this prompt plays to its end
    assert keys.during_prompt("1") == "1"  # the next one is interrupted by 1


def svg_stroke(svg: str, element_id: str) -> str:
    """The stroke colour of an SVG element's first path (``id="..."``)."""
    start = svg.index(f'id="{element_id}"')
    path = svg.index("<path", start)
    return svg[path:].split('stroke="', 1)[1].split('"', 1)[0]


def test_the_coverage_picture_draws_what_no_scenario_exercised_in_red(tmp_path):
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("Graphviz's dot is not installed (tests/run.sh installs it)")
    path = write(tmp_path, '  - name: planned outages\n    keys: "1 3 w h"\n')
    result = ivr_test(str(path), "--coverage-graph", str(tmp_path / "cover.svg"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    dso = (tmp_path / "cover-demooblenergo.svg").read_text(encoding="utf-8")
    assert svg_stroke(dso, "option:main:1:edge") == "black"  # 1: the outages menu
    assert svg_stroke(dso, "option:outages:3:edge") == "black"  # 3: planned outages
    assert svg_stroke(dso, "option:main:2:edge") == "#dc2626"  # never pressed
    assert svg_stroke(dso, "option:outages:2:edge") == "#dc2626"
    supplier = (tmp_path / "cover-demoenergozbut.svg").read_text(encoding="utf-8")
    assert svg_stroke(supplier, "option:main:1:edge") == "#dc2626"  # nobody dialled it
    assert "demooblenergo: " in result.stdout and "parts not exercised, drawn to" in result.stdout
