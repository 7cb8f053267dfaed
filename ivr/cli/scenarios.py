"""``ivr test``: run testers' scenario files through the simulator and report."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import click

from ivr.cli.common import config_option_with

DEFAULT_PATHS = ("scenarios",)


@click.command("test")
@config_option_with("Configuration of scenario files that do not name one (config:).")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML.")
@click.option(
    "--coverage",
    "with_coverage",
    is_flag=True,
    help="Report the menus, options, fallbacks and action outcomes no scenario exercised.",
)
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(1, 64),
    default=None,
    help="Calls run at once (default: the number of cores).",
)
@click.option(
    "--coverage-graph",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Draw the menus (as ivr graph; .svg, .png, .dot or .mmd) with what no scenario "
    "exercised in red; FILE-ID.svg per company when there are several.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only failures and the summary.")
def test(
    config_path: str,
    paths: tuple[Path, ...],
    junit: Path | None,
    with_coverage: bool,
    workers: int | None,
    coverage_graph: Path | None,
    quiet: bool,
) -> None:
    """Run the scenario files in PATHS (files or directories of *.yaml; default:
    ./scenarios): each scenario is a simulated call over the AGI byte protocol with its own
    database; exit 1 when one fails, 2 when the files or configurations are invalid."""
    from ivr.cli.sample import seed_sample
    from ivr.config import ConfigError, load_config
    from ivr.scenarios.coverage import Coverage
    from ivr.scenarios.report import problems_text, progress, summary, write_junit
    from ivr.scenarios.run import Runner
    from ivr.scenarios.spec import ScenarioFile, scenario_files
    from ivr.store.repository import CallRepository

    logging.disable(logging.CRITICAL)  # the calls' own logs are not the tester's business
    chosen = list(paths) or [Path(p) for p in DEFAULT_PATHS if Path(p).exists()]
    if not chosen:
        raise click.UsageError("no scenario files: give PATHS (or make ./scenarios)")
    default_config = Path(config_path).resolve() if Path(config_path).is_file() else None
    files = [ScenarioFile(path, default_config).read() for path in scenario_files(chosen)]
    configs = {}
    problems = [p for f in files for p in f.problems]
    for path in sorted({s.config for f in files for s in f.scenarios}):
        try:
            configs[path] = load_config(path)
        except ConfigError as exc:
            problems += exc.problems
    for scenario_file in files:
        scenario_file.check_against(configs)
        problems += [p for p in scenario_file.problems if p not in problems]
    if problems:
        click.echo("\n".join(problems_text(problems)), err=True)
        sys.exit(2)
    scenarios = [s for f in files for s in f.scenarios]
    if not scenarios:
        raise click.UsageError("the scenario files hold no scenario")
    click.echo(f"collected {len(scenarios)} scenarios from {len(files)} file(s)")
    began = time.perf_counter()
    shown: list[str] = []

    def done(result) -> None:
        if not quiet:
            shown.append(progress(result))
            click.echo(progress(result), nl=False)

    runner = Runner(configs, CallRepository, seed_sample, workers or os.cpu_count() or 2)
    results = runner.run(scenarios, done)
    seconds = time.perf_counter() - began
    if shown:
        click.echo("")
    click.echo("\n".join(summary(results, seconds)))
    if junit is not None:
        write_junit(results, seconds, junit)
        click.echo(f"JUnit XML written to {junit}")
    if with_coverage or coverage_graph is not None:
        coverage = Coverage()
        for config in configs.values():
            coverage.add_config(config)
        for result in results:
            if result.record is not None and result.config is not None:
                coverage.add_call(result.config, result.record.path)
        if with_coverage:
            click.echo("\n".join(coverage.table()))
        if coverage_graph is not None:
            draw_coverage(coverage, list(configs.values()), coverage_graph)
    sys.exit(0 if all(r.passed for r in results) else 1)


def draw_coverage(coverage, configs: list, target: Path) -> None:
    """Each company's menus with what no scenario exercised highlighted (``ivr graph``)."""
    from ivr.cli.graph import SUFFIXES
    from ivr.graph.dot import render_dot
    from ivr.graph.graphviz import GraphvizError, run_dot
    from ivr.graph.mermaid import render_mermaid
    from ivr.graph.model import build_graph

    fmt = SUFFIXES.get(target.suffix.lower(), "svg")
    companies = {c.company.id: c for config in configs for c in config.companies}
    for company_id, company in companies.items():
        menus = build_graph(company)
        missing = [part for part in coverage.missing(company_id) if part in menus.ids]
        path = target
        if len(companies) > 1:
            path = target.with_name(f"{target.stem}-{company_id}{target.suffix}")
        if fmt == "mermaid":
            data = render_mermaid(menus, missing).encode("utf-8")
        elif fmt == "dot":
            data = render_dot(menus, missing).encode("utf-8")
        else:
            try:
                data = run_dot(render_dot(menus, missing), fmt)
            except GraphvizError as exc:
                click.echo(f"ivr: {exc}", err=True)
                sys.exit(2)
        path.write_bytes(data)
        click.echo(f"{company_id}: {len(missing)} parts not exercised, drawn to {path}")
