"""What Asterisk must provide for a configuration, and a check of the shipped dialplan.

The operator queue has two sources that must agree: ``operator.queue`` in config.yaml (where
the IVR sends callers) and ``IVR_FALLBACK_QUEUE`` in the dialplan's ``[globals]`` (where
Asterisk sends callers the IVR could not serve, without asking the IVR). ``ivr validate``
reads both and names every queue Asterisk must define.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ivr.actions.transfer import TransferAction
from ivr.config.model import Config
from ivr.config.problems import Problem

#: The dialplan the README tells admins to include, relative to the config file.
DEFAULT_DIALPLAN = Path("dialplan") / "extensions_ivr.conf"
_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=>?\s*(.*?)\s*$")


@dataclass(frozen=True)
class DialplanGlobal:
    value: str
    line: int


def dialplan_globals(path: Path) -> dict[str, DialplanGlobal]:
    """The ``[globals]`` of an Asterisk dialplan file (comments after ``;`` removed)."""
    found: dict[str, DialplanGlobal] = {}
    section = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = re.sub(r"(?<!\\);.*", "", raw)
        header = _SECTION.match(line)
        if header:
            section = header.group(1).strip().lower()
            continue
        if section == "globals":
            match = _ASSIGNMENT.match(line)
            if match:
                found[match.group(1)] = DialplanGlobal(match.group(2), number)
    return found


def dialplan_for(config_path: Path, explicit: str | Path | None = None) -> Path | None:
    """The dialplan to check: the one given, else ``dialplan/extensions_ivr.conf`` beside the
    config file when it exists."""
    if explicit is not None:
        return Path(explicit)
    candidate = Path(config_path).parent / DEFAULT_DIALPLAN
    return candidate if candidate.is_file() else None


def check_dialplan(config: Config, dialplan: Path) -> tuple[list[Problem], str | None]:
    """The dialplan's fallback queue must be the config's operator queue: the problems, and
    the dialplan's fallback queue (None when it has none or cannot be read)."""
    try:
        values = dialplan_globals(dialplan)
    except OSError as exc:
        return [Problem(str(dialplan), None, "", f"cannot read the dialplan: {exc}")], None
    fallback = values.get("IVR_FALLBACK_QUEUE")
    if fallback is None:
        return [
            Problem(
                str(dialplan),
                None,
                "globals",
                "no IVR_FALLBACK_QUEUE: a caller the IVR cannot serve would not reach a queue",
            )
        ], None
    if fallback.value != config.operator.queue:
        return [
            Problem(
                str(dialplan),
                fallback.line,
                "globals.IVR_FALLBACK_QUEUE",
                f"is '{fallback.value}' but {config.source.name} operator.queue is "
                f"'{config.operator.queue}': callers the IVR cannot serve would go to another "
                "queue; make them equal (or define both queues in Asterisk)",
                "warning",
            )
        ], fallback.value
    return [], fallback.value


def asterisk_requirements(config: Config, dialplan: Path | None, fallback: str | None) -> list[str]:
    """What the admin must set up in Asterisk for this configuration, one line each
    (``fallback``: the dialplan's IVR_FALLBACK_QUEUE, from ``check_dialplan``)."""
    companies = config.companies
    queues = [
        f"'{q}' ({c.company.id}: operator.{'queue' if i == 0 else 'queues'})"
        for c in companies
        for i, q in enumerate(c.operator.queues)
    ]
    if fallback is not None and fallback != config.operator.queue:
        queues.append(f"'{fallback}' (IVR_FALLBACK_QUEUE in {dialplan})")
    numbers = sorted(
        {
            number
            for c in companies
            for number in (
                {r.number for r in c.redirects.values()}
                | ({e.number for e in c.directory.entries} if c.misrouted else set())
                | {
                    a.number
                    for m in c.menus.values()
                    for a in m.options.values()
                    if isinstance(a, TransferAction)
                }
            )
        }
    )
    dialled = ", ".join(n for c in companies for n in c.company.dialled_numbers)
    sounds = sorted({str(c.prompts.sounds_dir / c.prompts.language) for c in companies})
    languages = sorted({c.prompts.language for c in companies})
    hold_time = (
        " and setqueuevar = yes (operator.expected_wait reads QUEUEHOLDTIME)"
        if any(
            c.operator.expected_wait is not None and c.operator.expected_wait.hold_time is None
            for c in companies
        )
        else ""
    )
    lines = [
        "Asterisk must define:",
        f"  queues.conf: {', '.join(queues)}, with members and music on hold{hold_time}",
        f"  the dialled numbers {dialled} routed to [ivr-inbound] (dialplan/extensions_ivr.conf)",
        f"  channel language {', '.join(repr(x) for x in languages)} (set by [ivr-inbound]); "
        f"the IVR plays its own audio from {', '.join(sounds)}, "
        "which Asterisk's user must be able to read",
    ]
    if numbers:
        lines.append(
            f"  a trunk that reaches {', '.join(numbers)} (IVR_TRUNK_PREFIX/SUFFIX in [globals])"
        )
    return lines
