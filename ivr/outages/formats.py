"""The import formats by name: ``yasno``, ``dtek``, ``csv``, ``json``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ivr.outages.batch import Batch, Origin
from ivr.outages.dtek import parse_dtek
from ivr.outages.ours import parse_csv, parse_json
from ivr.outages.problems import BadData, Problem
from ivr.outages.yasno import parse_yasno

PARSERS: dict[str, Callable[[str, Origin], Batch]] = {
    "yasno": parse_yasno,
    "dtek": parse_dtek,
    "csv": parse_csv,
    "json": parse_json,
}


def read_file(path: Path, format: str, origin: Origin) -> Batch:
    """Parse a file in ``format``; BadData when it cannot be read or is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadData([Problem(origin.file, f"cannot read: {exc}")]) from exc
    return PARSERS[format](text, origin)
