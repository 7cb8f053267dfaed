"""What ``ivr test`` prints: a pytest-like summary with a readable difference for each
failure (expected versus heard, in Ukrainian), and a JUnit XML file for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ivr.config.problems import Problem
from ivr.scenarios.run import ScenarioResult


def progress(result: ScenarioResult) -> str:
    return "." if result.passed else "F"


def failure_text(result: ScenarioResult) -> list[str]:
    scenario = result.scenario
    where = f"{scenario.file}:{scenario.line}" if scenario.line else str(scenario.file)
    lines = [f"___ {scenario.name} ({where}) ___"]
    lines.append(f"  caller {scenario.caller}, keys «{scenario.keys}»")
    lines += [f"  {line}" for line in "\n".join(result.failures).splitlines()]
    return lines


def summary(results: list[ScenarioResult], seconds: float) -> list[str]:
    failed = [r for r in results if not r.passed]
    lines: list[str] = []
    if failed:
        lines.append("=" * 30 + " FAILURES " + "=" * 30)
        for result in failed:
            lines += failure_text(result)
            lines.append("")
        lines.append("=" * 24 + " short test summary info " + "=" * 21)
        lines += [f"FAILED {r.scenario.id}: {r.failures[0].splitlines()[0]}" for r in failed]
    passed = len(results) - len(failed)
    parts = ([f"{len(failed)} failed"] if failed else []) + [f"{passed} passed"]
    lines.append(f"{', '.join(parts)} in {seconds:.2f}s")
    return lines


def problems_text(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems] + [f"{len(problems)} problem(s) in the scenario files"]


def write_junit(results: list[ScenarioResult], seconds: float, path: Path) -> None:
    failures = sum(not r.passed for r in results)
    suite = ET.Element(
        "testsuite",
        name="ivr scenarios",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{seconds:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=str(result.scenario.file),
            name=result.scenario.name,
            time=f"{result.seconds:.3f}",
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.failures[0].splitlines()[0])
            failure.text = "\n".join(failure_text(result))
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
