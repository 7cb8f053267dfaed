"""``ivr prompts build`` (render the prompt audio) and ``ivr say`` (check Ukrainian speech)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from ivr.audio.synth import DEFAULT_ENGINE, ENGINES, FALLBACK_ENGINE
from ivr.cli.common import config_option_with, load_or_exit


@click.group()
def prompts() -> None:
    """Prompt audio: render the texts of prompts/<language>.yaml and the speech fragments."""


@prompts.command()
@config_option_with("The IVR configuration file (its prompts section says where).")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=DEFAULT_ENGINE,
    show_default=True,
    help="gtts: Google's voice, needs the network. espeak: offline (espeak-ng).",
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="ID",
    help="Build only this prompt or fragment id (repeatable).",
)
@click.option("--force", is_flag=True, help="Rebuild even what is up to date.")
@click.option("--sln16", is_flag=True, help="Also write 16 kHz .sln16 files.")
@click.option(
    "--no-fallback",
    is_flag=True,
    help=f"Do not fall back to {FALLBACK_ENGINE} when gTTS cannot reach the network.",
)
def build(
    config_path: str,
    engine: str,
    only: tuple[str, ...],
    force: bool,
    sln16: bool,
    no_fallback: bool,
) -> None:
    """Render every prompt to 8 kHz mono WAV under <sounds>/<language>/, skipping what is
    unchanged, and record it in manifest.json there."""
    from ivr.audio.build import PromptBuilder
    from ivr.audio.catalogue import all_specs
    from ivr.audio.errors import AudioError, BuildError, EngineMissing
    from ivr.audio.synth import make_engine

    refusal = "cannot build prompts of an invalid configuration"
    config = load_or_exit(config_path, refusal=refusal).config
    try:
        synthesizer = make_engine(engine)
    except EngineMissing as exc:
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
    fallback = None
    if engine != FALLBACK_ENGINE and not no_fallback:

        def fallback():
            return make_engine(FALLBACK_ENGINE)

    specs = all_specs(config)
    builder = PromptBuilder(
        config.prompts.sounds_dir,
        config.prompts.language,
        synthesizer,
        formats=("wav", "sln16") if sln16 else ("wav",),
        fallback=fallback,
        force=force,
    )
    total = len(only) if only else len(specs)
    target = config.prompts.sounds_dir / config.prompts.language
    try:
        progress: Any = click.progressbar(
            length=total,
            file=sys.stderr,
            show_pos=True,
            label=f"Building {total} prompts into {target}",
        )
        with progress as bar:
            report = builder.build(specs, only=only or None, progress=lambda _r: bar.update(1))
    except BuildError as exc:
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
    except AudioError as exc:  # pragma: no cover - every item error is caught per prompt
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
    for notice in report.notices:
        click.echo(f"note: {notice}", err=True)
    for item in report.failed:
        click.echo(f"FAILED {item.id}: {item.message}", err=True)
    engines = sorted({r.engine for r in report.results if r.status == "built"})
    summary = (
        f"prompts: {len(report.built)} built, {len(report.skipped)} skipped "
        f"(up to date), {len(report.failed)} failed"
    )
    if engines:
        summary += f"; engine: {', '.join(engines)}"
    if report.removed:
        summary += f"; {len(report.removed)} removed (no longer in the texts)"
    click.echo(summary)
    if report.failed:
        sys.exit(1)


@click.command()
@click.argument("value")
@click.option(
    "--as",
    "kind",
    type=click.Choice(["number", "time", "date", "money", "digits", "phone", "duration"]),
    default="number",
    show_default=True,
    help="How to read VALUE.",
)
@click.option(
    "--gender",
    type=click.Choice(["m", "f", "n"]),
    default=None,
    help="number: the gender of what is counted (default masculine).",
)
@click.option(
    "--noun",
    type=click.Choice(["hour", "minute", "day", "hryvnia", "kopiyka", "kwh", "thousand"]),
    default=None,
    help="number: say the noun after it, in the form that agrees (22 -> двадцять дві гривні).",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="date: today's date for 'сьогодні'/'завтра' (default: today in Kyiv).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def say(
    value: str,
    kind: str,
    gender: str | None,
    noun: str | None,
    today: datetime | None,
    as_json: bool,
) -> None:
    """Print how the IVR says VALUE in Ukrainian: the fragments it plays and their text.

    Examples: ivr say "18:30" --as time; ivr say "до 18:30" --as time;
    ivr say 2025-11-27 --as date; ivr say "4,32 грн/кВт·год" --as money;
    ivr say 22 --noun hryvnia; ivr say 2611280700425 --as digits; ivr say "2:15" --as duration.
    """
    from ivr.speech import SayError, plan_value

    day: date = today.date() if today else datetime.now(ZoneInfo("Europe/Kyiv")).date()
    try:
        plan = plan_value(value, kind, gender=gender, noun=noun, today=day)
    except SayError as exc:
        raise click.BadParameter(str(exc), param_hint="VALUE") from None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "value": value,
                    "as": kind,
                    "text": plan.text(),
                    "fragments": [{"id": f, "text": t} for f, t in plan.pairs()],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(plan.text())
    width = max(len(f) for f in plan)
    for fragment_id, text in plan.pairs():
        click.echo(f"  {fragment_id:<{width}}  {text}")
