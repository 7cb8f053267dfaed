"""``ivr graph``: the menu tree of a company as a diagram (Mermaid, DOT, SVG, PNG)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ivr.cli.common import config_option

FORMATS = ("mermaid", "dot", "svg", "png")
#: the format an output file's suffix implies when --format is not given
SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot"} | {
    f".{name}": name for name in ("svg", "png")
}


@click.command()
@config_option
@click.option(
    "--profile",
    "profile_id",
    default=None,
    metavar="ID",
    help="The company to draw (its company.id) when the config lists profiles; default: "
    "the config's own company.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="mermaid and dot are text; svg and png run Graphviz's dot. Default: from the "
    "suffix of -o (.mmd, .dot, .svg, .png), else mermaid.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write here instead of standard output.",
)
def graph(config_path: str, profile_id: str | None, fmt: str | None, output: str | None) -> None:
    """Draw the menus of a company: each menu with the first words of its greeting, its
    keys as labelled arrows, its actions as shapes with their topic codes, the default
    keys, what a timeout, a wrong key and too many failures do, and menus no caller can
    reach, highlighted."""
    from ivr.config.loader import check_file
    from ivr.graph.dot import render_dot
    from ivr.graph.graphviz import GraphvizError, run_dot
    from ivr.graph.mermaid import render_mermaid
    from ivr.graph.model import build_graph

    if fmt is None:
        fmt = SUFFIXES.get(Path(output).suffix.lower(), "mermaid") if output else "mermaid"
    if fmt == "png" and output is None and sys.stdout.isatty():
        raise click.UsageError("a PNG is no text for the terminal: give -o FILE.png")
    problems, config = check_file(config_path, allow_unreachable=True)
    if config is None:
        click.echo("ivr: cannot draw an invalid configuration:", err=True)
        for problem in problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    for problem in problems:  # warnings only; an unreachable menu is drawn as one
        click.echo(str(problem), err=True)
    if profile_id is not None:
        chosen = [c for c in config.companies if c.company.id == profile_id]
        if not chosen:
            known = ", ".join(c.company.id for c in config.companies)
            raise click.BadParameter(
                f"'{profile_id}' is not a company of {config_path}: use one of {known}",
                param_hint="--profile",
            )
        config = chosen[0]
    menus = build_graph(config)
    data: bytes
    if fmt == "mermaid":
        data = render_mermaid(menus).encode("utf-8")
    elif fmt == "dot":
        data = render_dot(menus).encode("utf-8")
    else:
        try:
            data = run_dot(render_dot(menus), fmt)
        except GraphvizError as exc:
            click.echo(f"ivr: {exc}", err=True)
            sys.exit(2)
    if output is None:
        click.get_binary_stream("stdout").write(data)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        click.echo(f"ivr: cannot write {output}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{config.company.id}: {len(menus.menus)} menus drawn to {output}", err=True)
