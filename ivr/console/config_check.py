"""What the configuration page shows, computed off the event loop: the running file's
problems under the rule of calls (what ``ivr serve`` applies at a SIGHUP), its menu
diagrams, and a candidate file's problems and its change summary against the running file
(as ``ivr validate --diff RUNNING CANDIDATE`` prints it). Nothing here writes the running
file."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ivr.config.loader import check_file
from ivr.config.model import Config
from ivr.config.problems import Problem

#: A candidate file may be this large (the shipped config is ~30 KB).
MAX_CANDIDATE = 1024 * 1024


@dataclass(frozen=True)
class Diagram:
    """One company's menus: an SVG from Graphviz, or the Mermaid text when ``dot`` failed."""

    company_id: str
    company_name: str
    svg: bytes | None
    text: str


@dataclass(frozen=True)
class Running:
    problems: list[Problem]
    errors: int
    diagrams: list[Diagram]
    #: why the diagrams are text (Graphviz missing or failing), in English for the log
    dot_problem: str | None


@dataclass(frozen=True)
class Candidate:
    name: str  # the file name as the admin gave it
    problems: list[Problem]
    errors: int
    #: the change summary; None when either file is invalid
    changes: list[str] | None
    running_errors: int  # the running file's errors (no diff without it valid)


def errors_in(problems: list[Problem]) -> int:
    return sum(1 for p in problems if p.is_error)


def check_for_calls(path: Path) -> tuple[list[Problem], Config | None]:
    """The running file as ``ivr serve`` loads it at a SIGHUP (``provider.load(path,
    for_calls=True)``: the same validation, audio included), without making a snapshot."""
    return check_file(path, require_audio=True)


def diagrams(path: Path) -> tuple[list[Diagram], str | None]:
    """Every company's menu diagram of the file, drawn as ``ivr graph`` draws it (an
    unreachable menu is drawn, highlighted) but in Ukrainian (``ivr.graph.texts``); none
    when the file has errors."""
    from ivr.graph.dot import render_dot
    from ivr.graph.graphviz import GraphvizError, run_dot
    from ivr.graph.mermaid import render_mermaid
    from ivr.graph.model import build_graph
    from ivr.graph.texts import UKRAINIAN

    _problems, config = check_file(path, allow_unreachable=True)
    if config is None:
        return [], None
    drawn: list[Diagram] = []
    failure: str | None = None
    for company in config.companies:
        graph = build_graph(company, UKRAINIAN)
        svg: bytes | None = None
        if failure is None:
            try:
                svg = run_dot(render_dot(graph), "svg", timeout=30)
            except GraphvizError as exc:
                failure = str(exc)
        text = render_mermaid(graph) if svg is None else ""
        drawn.append(Diagram(company.company.id, company.company.name, svg, text))
    return drawn, failure


def running(path: Path) -> Running:
    problems, _config = check_for_calls(path)
    drawn, failure = diagrams(path)
    return Running(problems, errors_in(problems), drawn, failure)


def _renamed(problems: list[Problem], temporary: str, name: str) -> list[Problem]:
    """The candidate's problems naming the file as the admin knows it."""
    return [dataclasses.replace(p, file=name) if p.file == temporary else p for p in problems]


def check_candidate(running_path: Path, text: str, name: str, require_audio: bool) -> Candidate:
    """Validate ``text`` as a file beside the running one (its relative paths resolve as
    the running file's do), then summarise what it changes. The temporary file is removed
    before this returns; OSError when that directory cannot be written."""
    from ivr.audio.build import stale_prompts
    from ivr.config.diff import diff_configs, render

    directory = running_path.resolve().parent
    handle, temporary = tempfile.mkstemp(
        prefix=".ivr-candidate-", suffix=".yaml", dir=directory, text=False
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
        problems, new = check_file(temporary, require_audio=require_audio)
        problems = _renamed(problems, temporary, name)
        old_problems, old = check_file(running_path)  # running already: its audio not asked
        changes = None
        if old is not None and new is not None:
            lines = render(diff_configs(old, new, stale_prompts))
            changes = [line.replace(temporary, name) for line in lines]
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    return Candidate(name, problems, errors_in(problems), changes, errors_in(old_problems))
